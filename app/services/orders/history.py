"""Order history: who did something to an order, and the append-only record of every change to it.

One mechanism for every code path. A change to an order or its lines is made inside
`acting(session, actor, ...)`; at flush a listener compares each changed order and line with its
loaded state and writes one entry per changed field, in the same transaction. Flushing a change to an
order outside `acting` is refused (`UntrackedOrderChange`), so no code path can change an order
without a trace. Set-based paths (mass actions) write their entries with `record_many` and mark their
UPDATE statements with `recorded_update()`; any other UPDATE or DELETE of orders or lines through the
session is refused. Events that change no column (labels printed, documents issued) go through
`record`. Entries are never updated or deleted: the ORM refuses it here, the database by triggers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import InstanceState, ORMExecuteState, Session, UOWTransaction

from app.models import Order, OrderHistory, OrderLine, OrderStatus, StoredFile
from app.models.base import utcnow
from app.services.actors import Actor, staff_name
from app.services.bulk_write import insert_rows

ACTING_KEY = "order_history_acting"
RECORDED_OPTION = "order_history_recorded"
REFUNDED_KEY = "order_history_refunded_lines"

# Order columns that follow from other recorded changes (a status sets its timestamp, lines set totals).
DERIVED_ORDER_FIELDS = frozenset(
    {
        "id",
        "updated_at",
        "created_at",
        "confirmed_at",
        "ready_at",
        "shipped_at",
        "completed_at",
        "cancelled_at",
        "paid_at",
        "refunded_at",
        "goods_total",
        "discount_total",
        "vat_total",
        "amount_due",
        "checkout_token",
    }
)
# Line columns that follow from the recorded ones (price split, VAT, position after a line is added).
DERIVED_LINE_FIELDS = frozenset(
    {"id", "order_id", "position", "unit_price", "discount", "total", "vat_amount", "net_amount", "product_id"}
)
# Recorded line columns and the field name their entries carry.
LINE_FIELD_NAMES = {
    "quantity": "line_quantity",
    "options": "line_options",
    "gross_amount": "line_price",
    "layout_file_id": "layout_file",
    "product_name": "line_product",
    "vat_rate": "line_vat_rate",
}


class UntrackedOrderChange(RuntimeError):
    """A programming error: an order was changed without saying who did it (see `acting`)."""


class HistoryIsAppendOnly(RuntimeError):
    """A programming error: something tried to update or delete an order history entry."""


@dataclass(frozen=True)
class Acting:
    actor: Actor
    comment: str = ""
    batch_id: str | None = None


@contextmanager
def acting(session: Session, actor: Actor, *, comment: str = "", batch_id: str | None = None) -> Iterator[None]:
    """Changes to orders made inside this block are recorded as done by `actor` (flushed on leaving it)."""
    info = session.info
    previous = info.get(ACTING_KEY)
    info[ACTING_KEY] = Acting(actor, comment.strip(), batch_id)
    try:
        yield
        session.flush()
    finally:
        if previous is None:
            info.pop(ACTING_KEY, None)
        else:
            info[ACTING_KEY] = previous


@contextmanager
def refunding(session: Session, line: OrderLine, amount: Decimal) -> Iterator[None]:
    """A line removed inside this block is recorded as refunded («вернула позицию …», with the money given back)
    instead of removed."""
    refunds = session.info.setdefault(REFUNDED_KEY, {})
    refunds[id(line)] = as_text(amount)
    try:
        yield
    finally:
        refunds.pop(id(line), None)
        if not refunds:
            session.info.pop(REFUNDED_KEY, None)


def recorded_update() -> dict[str, Any]:
    """Execution options of a set-based UPDATE of orders whose history rows the caller writes itself."""
    return {RECORDED_OPTION: True, "synchronize_session": False}


def entry_row(
    order_id: int,
    actor: Actor,
    field: str,
    old: str | None,
    new: str | None,
    *,
    comment: str = "",
    batch_id: str | None = None,
    subject: str = "",
    moment: datetime | None = None,
) -> dict[str, Any]:
    """The column values of one history entry, for `record_many`."""
    return {
        "order_id": order_id,
        "created_at": moment or utcnow(),
        "actor_kind": actor.kind,
        "actor_staff_id": actor.staff_id,
        "actor_customer_id": actor.customer_id,
        "actor_name": actor.name[:200],
        "field": field,
        "old_value": old,
        "new_value": new,
        "comment": comment,
        "batch_id": batch_id,
        "subject": subject[:200],
    }


def record_many(session: Session, rows: list[dict[str, Any]]) -> int:
    """Write many history entries at once: COPY on PostgreSQL (rows built by `entry_row`)."""
    if rows:
        insert_rows(session, OrderHistory.__table__, rows)
    return len(rows)


def record(
    session: Session,
    order: Order,
    actor: Actor,
    field: str,
    old: str | None,
    new: str | None,
    *,
    comment: str = "",
    batch_id: str | None = None,
    subject: str = "",
) -> OrderHistory:
    """Record an event that changes no column of the order (a label printed, a document issued)."""
    entry = OrderHistory(
        actor_kind=actor.kind,
        actor_staff_id=actor.staff_id,
        actor_customer_id=actor.customer_id,
        actor_name=actor.name[:200],
        field=field,
        old_value=old,
        new_value=new,
        comment=comment,
        batch_id=batch_id,
        subject=subject[:200],
    )
    if order.id is None:
        entry.order = order
    else:
        entry.order_id = order.id
    session.add(entry)
    return entry


# --- values as text ------------------------------------------------------------------------------


def as_text(value: object) -> str | None:
    """A column value as history keeps it: enums by value, dates ISO, amounts as plain decimals."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def line_subject(line: OrderLine) -> str:
    return f"поз. {line.position} «{line.product_name}»"


def line_summary(line: OrderLine) -> str:
    """«Визитки стандартные, 500 шт. (Бумага: …) — 1690.00»: what a line is, for an added/removed entry."""
    options = f" ({line.options_label})" if line.options else ""
    amount = as_text(line.gross_amount) if line.gross_amount is not None else "?"
    return f"{line.product_name}, {line.quantity} шт.{options} — {amount}"


def _options_text(options: list | None) -> str:
    return ", ".join(f"{o['group']}: {o['value']}" for o in options or [])


def staff_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """Staff members' names by id, as history shows them."""
    from flask_appbuilder.security.sqla.models import User

    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    users = session.execute(sa.select(User).where(User.id.in_(wanted))).scalars()
    return {u.id: staff_name(u) for u in users}


def _file_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(sa.select(StoredFile.id, StoredFile.original_name).where(StoredFile.id.in_(wanted)))
    return {file_id: name for file_id, name in rows}


# --- the flush listener ----------------------------------------------------------------------------


def _change(session: Session, state: InstanceState[Any], key: str) -> tuple[bool, object, object]:
    """(changed, old, new) of one attribute since it was loaded."""
    hist = state.attrs[key].history
    if not hist.has_changes():
        return False, None, None
    new = hist.added[0] if hist.added else None
    if hist.deleted:
        old = hist.deleted[0]
    else:
        # Set while not loaded (expired): the row in the database still holds the old value.
        mapper = state.mapper
        column = mapper.columns[key]
        pk = mapper.primary_key_from_instance(state.obj())
        old = session.execute(
            sa.select(column).where(*(c == v for c, v in zip(mapper.primary_key, pk, strict=True)))
        ).scalar()
    return old != new, old, new


def _order_entries(session: Session, order: Order) -> list[tuple[str, object, object, str]]:
    """(field, old, new, subject) for every recorded change of a persistent order."""
    state: InstanceState[Any] = sa.inspect(order)
    entries: list[tuple[str, object, object, str]] = []
    for attr in state.mapper.column_attrs:
        if attr.key in DERIVED_ORDER_FIELDS:
            continue
        changed, old, new = _change(session, state, attr.key)
        if changed:
            entries.append((attr.key, old, new, ""))
    return entries


def _line_entries(session: Session, line: OrderLine) -> list[tuple[str, object, object, str]]:
    state: InstanceState[Any] = sa.inspect(line)
    entries: list[tuple[str, object, object, str]] = []
    for attr in state.mapper.column_attrs:
        if attr.key in DERIVED_LINE_FIELDS:
            continue
        changed, old, new = _change(session, state, attr.key)
        if changed:
            entries.append((LINE_FIELD_NAMES.get(attr.key, f"line_{attr.key}"), old, new, line_subject(line)))
    return entries


@event.listens_for(Session, "before_flush")
def _record_changes(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    """Turn the pending changes of orders and lines into history entries, or refuse them without an actor."""
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, OrderHistory) and (obj in session.deleted or session.is_modified(obj)):
            raise HistoryIsAppendOnly("order history entries are never updated or deleted")
    for obj in session.deleted:
        if isinstance(obj, Order):
            raise UntrackedOrderChange(f"orders are never deleted (order {obj.number})")

    pending: list[tuple[Order, str, object, object, str]] = []
    created: list[Order] = []
    removed_lines: dict[int, tuple[Order, OrderLine]] = {}
    with session.no_autoflush:
        for obj in session.new:
            if isinstance(obj, Order):
                created.append(obj)
            elif isinstance(obj, OrderLine) and obj.order is not None and obj.order not in session.new:
                pending.append((obj.order, "line_added", None, line_summary(obj), ""))
        for obj in session.dirty:
            if isinstance(obj, Order) and obj not in session.new:
                for field, old, new, subject in _order_entries(session, obj):
                    pending.append((obj, field, old, new, subject))
                removed: Iterable[OrderLine] = sa.inspect(obj).attrs.lines.history.deleted
                for line in removed:
                    removed_lines[id(line)] = (obj, line)
            elif isinstance(obj, OrderLine) and obj not in session.new and obj.order is not None:
                for field, old, new, subject in _line_entries(session, obj):
                    pending.append((obj.order, field, old, new, subject))
        for obj in session.deleted:
            if isinstance(obj, OrderLine) and id(obj) not in removed_lines and obj.order is not None:
                removed_lines[id(obj)] = (obj.order, obj)
        refunded = session.info.get(REFUNDED_KEY, {})
        for order, line in removed_lines.values():
            if sa.inspect(line).persistent or sa.inspect(line).deleted:
                if id(line) in refunded:
                    pending.append((order, "line_refunded", line_summary(line), refunded[id(line)], ""))
                else:
                    pending.append((order, "line_removed", line_summary(line), None, ""))

        if not pending and not created:
            return
        # A stable order: per order, its own fields first, then lines removed, changed, added.
        rank = {"line_removed": 1, "line_refunded": 1, "line_added": 3}
        pending.sort(key=lambda p: (p[0].number, rank.get(p[1], 2 if p[4] else 0), p[4]))
        acting_now: Acting | None = session.info.get(ACTING_KEY)
        if acting_now is None:
            what = sorted({f"{o.number}: {f}" for o, f, *_ in pending} | {f"{o.number}: created" for o in created})
            raise UntrackedOrderChange(
                "an order was changed outside history.acting(); say who does it: " + ", ".join(what)
            )

        staff = staff_names(session, _ids_of(pending, "assignee_id"))
        files = _file_names(session, _ids_of(pending, "layout_file"))
        for order in created:
            _add_entry(session, order, acting_now, "created", None, as_text(order.status or OrderStatus.new), "")
        for order, field, old, new, subject in pending:
            if field == "assignee_id":
                field, old, new = "assignee", staff.get(old, old), staff.get(new, new)  # type: ignore[call-overload]
            elif field == "layout_file":
                old, new = files.get(old, old), files.get(new, new)  # type: ignore[call-overload]
            elif field == "line_options":
                old, new = _options_text(old), _options_text(new)  # type: ignore[arg-type]
            _add_entry(session, order, acting_now, field, as_text(old), as_text(new), subject)


def _ids_of(pending: list[tuple[Order, str, object, object, str]], field: str) -> list[int | None]:
    """The ids (old and new) that pending entries of `field` refer to."""
    return [v for _, f, old, new, _ in pending if f == field for v in (old, new) if isinstance(v, int)]


def _add_entry(
    session: Session, order: Order, acting_now: Acting, field: str, old: str | None, new: str | None, subject: str
) -> None:
    entry = OrderHistory(
        actor_kind=acting_now.actor.kind,
        actor_staff_id=acting_now.actor.staff_id,
        actor_customer_id=acting_now.actor.customer_id,
        actor_name=acting_now.actor.name[:200],
        field=field,
        old_value=old,
        new_value=new,
        comment=acting_now.comment,
        batch_id=acting_now.batch_id,
        subject=subject[:200],
    )
    if order.id is None:
        entry.order = order
    else:
        entry.order_id = order.id
    session.add(entry)


GUARDED_TABLES = frozenset({"orders", "order_line"})


@event.listens_for(Session, "do_orm_execute")
def _guard_bulk_statements(state: ORMExecuteState) -> None:
    """Set-based UPDATE/DELETE of orders must write their own history (`recorded_update`); of history, never."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name == OrderHistory.__tablename__:
        raise HistoryIsAppendOnly("order history entries are never updated or deleted")
    if name in GUARDED_TABLES and not state.execution_options.get(RECORDED_OPTION):
        raise UntrackedOrderChange(
            f"a set-based {'UPDATE' if state.is_update else 'DELETE'} of {name} must record history "
            "(write the entries with record_many and pass history.recorded_update())"
        )
