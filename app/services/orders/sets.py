"""Set-based SQL on orders: ids in chunks, rows loaded under lock, UPDATEs guarded by the expected old values.

Used by every path that changes many orders at once (the state machine, mass assignment, labels), so that
a set of one and a set of ten thousand take the same route.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import Order
from app.services.errors import ValidationError
from app.services.orders.history import recorded_update

MAX_ORDERS = 20000
CHUNK = 5000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits
MAX_ID = 2**63 - 1


def parse_ids(raw: str | Iterable[str | int]) -> list[int]:
    """Order ids from a form or a query string ("1,2,3"), unique, in the given order."""
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    ids: dict[int, None] = {}  # an ordered set: a list's `in` made 10,000 ids cost 0.6 s
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        try:
            value = int(text)
        except ValueError:
            raise ValidationError("Неверный список заказов.") from None
        if 0 < value <= MAX_ID:
            ids[value] = None
    if not ids:
        raise ValidationError("Не выбрано ни одного заказа.")
    if len(ids) > MAX_ORDERS:
        raise ValidationError(f"За один раз можно обработать не больше {MAX_ORDERS} заказов.")
    return list(ids)


def chunks(session: Session, ids: Sequence[int]) -> Iterable[Sequence[int]]:
    """The ids in groups for `id_filter`: all at once on PostgreSQL (one array), else IN lists of CHUNK."""
    if session.get_bind().dialect.name == "postgresql":
        yield ids
        return
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def id_filter(session: Session, column: InstrumentedAttribute[int], ids: Sequence[int]) -> sa.ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL `= ANY(array)`: one parameter, planned and bound much faster."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("ids", list(ids), type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def load(session: Session, ids: Sequence[int], *columns: InstrumentedAttribute[Any]) -> dict[int, sa.Row]:
    """The orders' current columns by id, read from the database (never a stale object in the session),
    rows locked until commit on PostgreSQL."""
    rows: dict[int, sa.Row] = {}
    for chunk in chunks(session, ids):
        query = (
            sa.select(Order.id, Order.number, *columns)
            .where(id_filter(session, Order.id, chunk))
            .with_for_update(of=Order)
        )
        for row in session.execute(query):
            rows[row.id] = row
    return rows


def guarded_update(
    session: Session, ids: Sequence[int], guard: Sequence[sa.ColumnElement[bool]], values: dict[str, object]
) -> set[int]:
    """UPDATE the orders still matching `guard` (their expected old values); the ids actually updated.

    The caller writes the history entries of the updated orders itself (`history.record_many`).
    """
    updated: set[int] = set()
    for chunk in chunks(session, ids):
        result = session.execute(
            sa.update(Order).where(id_filter(session, Order.id, chunk), *guard).values(**values).returning(Order.id),
            execution_options=recorded_update(),
        )
        updated.update(result.scalars())
    return updated
