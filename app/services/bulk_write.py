"""Writing many rows in one go: COPY on PostgreSQL, one executemany INSERT elsewhere.

Both run on the session's own connection, so the rows commit or roll back with the rest of the
transaction. Values pass through each column's bind processing (aware UTC datetimes, enums, JSON)
exactly as an INSERT would send them.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    columns = [table.c[name] for name in names]
    defaults = {name: _scalar_default(table.c[name]) for name in names}
    if not all(len(row) == len(names) for row in rows):
        # Rows that leave out a column get its default: only a constant one can be sent by COPY.
        for name, value in defaults.items():
            if value is _MISSING and any(name not in row for row in rows):
                return _executemany(session, table, rows)
    # Columns nobody filled: their constant default, as INSERT would; a computed one needs INSERT itself.
    for column in table.columns:
        if column.name in defaults or column.primary_key:
            continue
        if column.default is not None:
            value = _scalar_default(column)
            if value is _MISSING:
                return _executemany(session, table, rows)
            names.append(column.name)
            columns.append(column)
            defaults[column.name] = value

    processors = [column.type.dialect_impl(dialect).bind_processor(dialect) for column in columns]
    raw = session.connection().connection.driver_connection
    assert raw is not None
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in names)
    statement = f"COPY {dialect.identifier_preparer.format_table(table)} ({quoted}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = []
            for name, process in zip(names, processors, strict=True):
                value = row.get(name, defaults[name])
                values.append(process(value) if process is not None and value is not None else value)
            copy.write_row(values)
    return len(rows)


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
