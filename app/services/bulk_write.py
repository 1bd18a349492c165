"""Writing many rows in one go: COPY on PostgreSQL, one executemany INSERT elsewhere.

Both run on the session's own connection, so the rows commit or roll back with the rest of the
transaction. Values pass through each column's bind processing (aware UTC datetimes, enums, JSON)
exactly as an INSERT would send them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

_MISSING = object()


def insert_rows(session: Session, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """Insert `rows` (column name → value) into `table`; returns how many were written."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        return _executemany(session, table, rows)
    names = list(dict.fromkeys(name for row in rows for name in row))
    defaults = {name: _scalar_default(table.c[name]) for name in names}
    if not all(len(row) == len(names) for row in rows):
        # Rows that leave out a column get its default: only a constant one can be sent by COPY.
        for name, value in defaults.items():
            if value is _MISSING and any(name not in row for row in rows):
                return _executemany(session, table, rows)
    extra = unnamed_defaults(table, names)
    if extra is None:  # a column nobody filled has a computed default: INSERT computes it
        return _executemany(session, table, rows)
    defaults |= extra
    names += extra
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]

    def values(row: dict[str, Any]) -> list[Any]:
        out = []
        for name, process in zip(names, processors, strict=True):
            value = row.get(name, defaults[name])
            out.append(process(value) if process is not None and value is not None else value)
        return out

    copy_rows(session, table, names, map(values, rows))
    return len(rows)


def unnamed_defaults(table: sa.Table, names: Iterable[str], *, skip_computed: bool = False) -> dict[str, Any] | None:
    """The constant defaults of the columns not in `names` (as an INSERT would fill them).

    None when one of them is computed in Python (a callable), which only an INSERT can apply — or,
    with `skip_computed`, such columns are left out (to their server default or NULL).
    """
    named = set(names)
    extra: dict[str, Any] = {}
    for column in table.columns:
        if column.name in named or column.primary_key or column.default is None:
            continue
        value = _scalar_default(column)
        if value is _MISSING:
            if skip_computed:
                continue
            return None
        extra[column.name] = value
    return extra


def copy_rows(session: Session, table: sa.Table, names: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL COPY … FROM STDIN on the session's own connection (same transaction).

    Each row holds the values of `names` in order, as the driver adapts them (no SQLAlchemy types).
    """
    preparer = session.get_bind().dialect.identifier_preparer
    raw = session.connection().connection.driver_connection
    assert raw is not None
    columns = ", ".join(preparer.quote(name) for name in names)
    with raw.cursor() as cursor, cursor.copy(f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _scalar_default(column: sa.Column) -> Any:
    """The column's constant Python-side default; None when it has none; _MISSING when it is computed."""
    default = column.default
    if default is None:
        return None
    if getattr(default, "is_scalar", False):
        return default.arg  # type: ignore[attr-defined]
    return _MISSING


def _executemany(session: Session, table: sa.Table, rows: Sequence[dict[str, Any]]) -> int:
    """One executemany per set of named columns (an INSERT gives the others their defaults)."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    for group in groups.values():
        session.execute(sa.insert(table), group)
    return len(rows)
