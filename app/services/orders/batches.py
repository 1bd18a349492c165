"""Mass actions on orders: status change, its undo, assignment, label printing records — set-based.

A batch loads the selected orders' columns in one query (row-locked on PostgreSQL), checks each against
the same rules as a single change (`orders.transition_refusal`), updates the valid ones with a few
UPDATE statements guarded by the expected old values, writes their history with one executemany and
queues notifications with one call. An order is either fully changed (columns, history, notification,
side effects) or untouched and reported with its reason; all in the caller's transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import (
    BatchKind,
    DeliveryMethod,
    Order,
    OrderBatch,
    OrderHistory,
    OrderStatus,
    PaymentStatus,
    PromoCode,
)
from app.services.actors import Actor, staff_name
from app.services.catalog import promo
from app.services.errors import DomainError, NotFound, PermissionDenied, ValidationError
from app.services.messaging import notifications
from app.services.messaging.notifications import StatusChange
from app.services.orders import lifecycle
from app.services.orders.editing import CLOSED_STATUSES, staff_member
from app.services.orders.history import as_text, entry_row, record_many, recorded_update, staff_names
from app.services.shoptime import format_datetime, now

S = OrderStatus
UNDO_WINDOW = timedelta(minutes=10)
MAX_ORDERS = 20000
CHUNK = 5000  # ids per IN (...) list: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Skipped:
    number: str
    reason: str


@dataclass
class BatchReport:
    """What a mass action did, order by order."""

    batch_id: str | None
    kind: BatchKind
    changed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    withdrawn: int = 0  # undo: messages about the change taken back before they were sent

    def summary(self, limit: int | None = None) -> str:
        """«12 изменено, 3 пропущено: заказ 2026-000123 — нельзя из «Выдан» в «В печати»; …»."""
        text = f"{len(self.changed)} изменено, {len(self.skipped)} пропущено"
        shown = self.skipped if limit is None else self.skipped[:limit]
        if shown:
            text += ": " + "; ".join(f"заказ {s.number} — {s.reason}" for s in shown)
            if len(self.skipped) > len(shown):
                text += f"; и ещё {len(self.skipped) - len(shown)}"
        if self.withdrawn:
            text += f". Уведомлений отозвано до отправки: {self.withdrawn}"
        return text


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
        if value > 0:
            ids[value] = None
    if not ids:
        raise ValidationError("Не выбрано ни одного заказа.")
    if len(ids) > MAX_ORDERS:
        raise ValidationError(f"За один раз можно обработать не больше {MAX_ORDERS} заказов.")
    return list(ids)


def _chunks(session: Session, ids: Sequence[int]) -> Iterable[Sequence[int]]:
    """The ids in groups for `_id_filter`: all at once on PostgreSQL (one array), else IN lists of CHUNK."""
    if session.get_bind().dialect.name == "postgresql":
        yield ids
        return
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _id_filter(session: Session, column: InstrumentedAttribute[int], ids: Sequence[int]) -> sa.ColumnElement[bool]:
    """`column IN ids`; on PostgreSQL `= ANY(array)`: one parameter, planned and bound much faster."""
    if session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.bindparam("ids", list(ids), type_=postgresql.ARRAY(sa.Integer)))
    return column.in_(ids)


def _load(session: Session, ids: Sequence[int], *columns: InstrumentedAttribute[Any]) -> dict[int, sa.Row]:
    """The orders' columns by id, rows locked until commit (PostgreSQL)."""
    rows: dict[int, sa.Row] = {}
    for chunk in _chunks(session, ids):
        query = (
            sa.select(Order.id, Order.number, *columns)
            .where(_id_filter(session, Order.id, chunk))
            .with_for_update(of=Order)
        )
        for row in session.execute(query):
            rows[row.id] = row
    return rows


def _new_batch(session: Session, kind: BatchKind, actor: Actor, *, target: str, comment: str, moment: datetime):
    batch = OrderBatch(
        id=str(uuid.uuid4()),
        kind=kind,
        created_at=moment,
        staff_id=actor.staff_id,
        actor_name=actor.name[:200],
        target=target[:200],
        comment=comment,
    )
    session.add(batch)
    session.flush()
    return batch


def _finish(session: Session, batch: OrderBatch, report: BatchReport) -> BatchReport:
    report.changed.sort()
    report.skipped.sort(key=lambda s: (s.number.startswith("№"), s.number))
    batch.changed_count = len(report.changed)
    batch.skipped_count = len(report.skipped)
    batch.skipped = [{"number": s.number, "reason": s.reason} for s in report.skipped]
    session.flush()
    return report


def _missing(ids: Sequence[int], rows: dict[int, sa.Row]) -> list[Skipped]:
    return [Skipped(f"№{order_id}", "заказ не найден") for order_id in ids if order_id not in rows]


def _guarded_update(
    session: Session, ids: Sequence[int], guard: Sequence[sa.ColumnElement[bool]], values: dict[str, object]
) -> set[int]:
    """UPDATE the orders still matching `guard` (their expected old values); the ids actually updated."""
    updated: set[int] = set()
    for chunk in _chunks(session, ids):
        result = session.execute(
            sa.update(Order).where(_id_filter(session, Order.id, chunk), *guard).values(**values).returning(Order.id),
            execution_options=recorded_update(),
        )
        updated.update(result.scalars())
    return updated


CONCURRENT = "изменён одновременно с этой операцией — повторите"


def change_status(
    session: Session, *, order_ids: Sequence[int], target: OrderStatus | str, actor: Actor, comment: str = ""
) -> BatchReport:
    """Move every selected order that may go to `target`; report the others with the reason."""
    target = lifecycle.parse_status(target)
    comment = comment.strip()
    ids = parse_ids(order_ids)
    moment = now()
    rows = _load(
        session,
        ids,
        Order.status,
        Order.delivery_method,
        Order.payment_status,
        Order.promo_code_id,
        Order.customer_id,
        Order.contact_email,
    )
    report = BatchReport(batch_id=None, kind=BatchKind.status, skipped=_missing(ids, rows))
    by_old: dict[OrderStatus, list[int]] = defaultdict(list)
    for order_id in ids:
        row = rows.get(order_id)
        if row is None:
            continue
        reason = lifecycle.transition_refusal(
            row.status, target, delivery_method=row.delivery_method, payment_status=row.payment_status
        )
        if reason:
            report.skipped.append(Skipped(row.number, reason))
        else:
            by_old[row.status].append(order_id)

    batch = _new_batch(session, BatchKind.status, actor, target=target.value, comment=comment, moment=moment)
    report.batch_id = batch.id
    values = lifecycle.status_entry_values(target, moment) | {"updated_at": moment}
    changed: list[int] = []
    for old, group in by_old.items():
        guard = [Order.status == old]
        if target == S.refunded:
            guard.append(Order.payment_status == PaymentStatus.paid)
        updated = _guarded_update(session, group, guard, values)
        changed.extend(i for i in group if i in updated)
        report.skipped.extend(Skipped(rows[i].number, CONCURRENT) for i in group if i not in updated)

    if target == S.cancelled:
        uses: dict[int, int] = defaultdict(int)
        for order_id in changed:
            if rows[order_id].promo_code_id is not None:
                uses[rows[order_id].promo_code_id] += 1
        for promo_id, count in uses.items():
            promo.release(session, promo_id, count)

    entries = []
    for order_id in changed:
        row = rows[order_id]
        entries.append(
            entry_row(
                order_id,
                actor,
                "status",
                as_text(row.status),
                target.value,
                comment=comment,
                batch_id=batch.id,
                moment=moment,
            )
        )
        if target == S.refunded:
            entries.append(
                entry_row(
                    order_id,
                    actor,
                    "payment_status",
                    as_text(row.payment_status),
                    PaymentStatus.refunded.value,
                    comment=comment,
                    batch_id=batch.id,
                    moment=moment,
                )
            )
    record_many(session, entries)
    notifications.order_status_changed(session, [_status_change(rows[i], rows[i].status, target) for i in changed])
    report.changed = [rows[i].number for i in changed]
    return _finish(session, batch, report)


def _status_change(row: sa.Row, old: OrderStatus, new: OrderStatus) -> StatusChange:
    return StatusChange(
        order_id=row.id,
        order_number=row.number,
        customer_id=row.customer_id,
        email=row.contact_email,
        delivery_method=DeliveryMethod(row.delivery_method),
        old=old,
        new=new,
    )


# --- undo ------------------------------------------------------------------------------------------


def undo_refusal(batch: OrderBatch, actor: Actor, *, moment: datetime | None = None) -> DomainError | None:
    """Why this staff member cannot undo the batch now (an error with a Russian message), or None."""
    if batch.kind != BatchKind.status:
        return ValidationError("Отменить можно только массовую смену статуса.")
    if actor.staff_id is None or batch.staff_id != actor.staff_id:
        return PermissionDenied("Отменить массовую операцию может только тот, кто её выполнил.")
    if (moment or now()) - batch.created_at > UNDO_WINDOW:
        minutes = int(UNDO_WINDOW.total_seconds() // 60)
        return ValidationError(f"Отменить можно в течение {minutes} минут после операции — время вышло.")
    return None


def undo_batch_id(session: Session, batch_id: str) -> str | None:
    """The id of the batch that undid this one, if any."""
    return session.scalar(sa.select(OrderBatch.id).where(OrderBatch.undoes_id == batch_id))


def undo(session: Session, *, batch_id: str, actor: Actor) -> BatchReport:
    """Put back the orders of a status batch that have not changed since; the revert is a batch of its own."""
    batch = session.get(OrderBatch, batch_id, with_for_update=True)
    if batch is None:
        raise NotFound("Массовая операция не найдена.")
    refusal = undo_refusal(batch, actor)
    if refusal is not None:
        raise refusal
    if undo_batch_id(session, batch.id) is not None:
        raise ValidationError("Эта операция уже отменена.")

    done = session.execute(
        sa.select(OrderHistory.order_id, OrderHistory.id, OrderHistory.field, OrderHistory.old_value)
        .where(OrderHistory.batch_id == batch.id)
        .order_by(OrderHistory.id)
    ).all()
    previous: dict[int, dict[str, str | None]] = defaultdict(dict)
    last_entry: dict[int, int] = {}
    for order_id, entry_id, field_name, old_value in done:
        previous[order_id][field_name] = old_value
        last_entry[order_id] = max(entry_id, last_entry.get(order_id, 0))
    ids = list(previous)
    moment = now()
    undo_of = batch
    batch = _new_batch(
        session,
        BatchKind.undo,
        actor,
        target=undo_of.target,
        comment=f"Отмена массовой операции от {format_datetime(undo_of.created_at)}",
        moment=moment,
    )
    batch.undoes_id = undo_of.id
    report = BatchReport(batch_id=batch.id, kind=BatchKind.undo)
    if not ids:
        return _finish(session, batch, report)

    rows = _load(
        session,
        ids,
        Order.status,
        Order.delivery_method,
        Order.payment_status,
        Order.promo_code_id,
        Order.customer_id,
        Order.contact_email,
    )
    latest: dict[int, int] = {}
    for chunk in _chunks(session, ids):
        latest.update(
            session.execute(
                sa.select(OrderHistory.order_id, sa.func.max(OrderHistory.id))
                .where(_id_filter(session, OrderHistory.order_id, chunk))
                .group_by(OrderHistory.order_id)
            ).all()
        )
    done_status = S(undo_of.target)
    revertible: dict[OrderStatus, list[int]] = defaultdict(list)
    for order_id in ids:
        row = rows.get(order_id)
        if row is None:
            continue
        if latest.get(order_id, 0) > last_entry[order_id] or row.status != done_status:
            report.skipped.append(Skipped(row.number, "изменён после массовой операции"))
            continue
        revertible[S(str(previous[order_id]["status"]))].append(order_id)

    if done_status == S.cancelled:
        # Cancelling gave promo code uses back; taking the cancellation back takes them again, if still allowed.
        for group in revertible.values():
            uses: dict[int, list[int]] = defaultdict(list)
            for order_id in group:
                if rows[order_id].promo_code_id is not None:
                    uses[rows[order_id].promo_code_id].append(order_id)
            for promo_id, owners in uses.items():
                if not promo.consume_many(session, promo_id, len(owners)):
                    code = session.scalar(sa.select(PromoCode.code).where(PromoCode.id == promo_id))
                    for order_id in owners:
                        group.remove(order_id)
                        report.skipped.append(Skipped(rows[order_id].number, f"лимит промокода {code} исчерпан"))

    timestamp = lifecycle.STATUS_TIMESTAMPS.get(done_status)
    changed: list[tuple[int, OrderStatus]] = []
    for old_status, group in revertible.items():
        # The state machine never re-enters a status, so the timestamp the batch set was empty before it.
        values: dict[str, object] = {"status": old_status, "updated_at": moment}
        if timestamp:
            values[timestamp] = None
        guard = [Order.status == done_status]
        if done_status == S.refunded:
            values["payment_status"] = PaymentStatus.paid
            guard.append(Order.payment_status == PaymentStatus.refunded)
        updated = _guarded_update(session, group, guard, values)
        changed.extend((i, old_status) for i in group if i in updated)
        report.skipped.extend(Skipped(rows[i].number, CONCURRENT) for i in group if i not in updated)

    entries = []
    for order_id, old_status in changed:
        entries.append(
            entry_row(
                order_id,
                actor,
                "status",
                done_status.value,
                old_status.value,
                comment=batch.comment,
                batch_id=batch.id,
                moment=moment,
            )
        )
        if done_status == S.refunded:
            entries.append(
                entry_row(
                    order_id,
                    actor,
                    "payment_status",
                    PaymentStatus.refunded.value,
                    PaymentStatus.paid.value,
                    comment=batch.comment,
                    batch_id=batch.id,
                    moment=moment,
                )
            )
    record_many(session, entries)
    # Messages about the change still in the outbox are withdrawn; only customers who were told of
    # the change hear that it was taken back.
    heard, report.withdrawn = notifications.withdraw_status_messages(
        session, [i for i, _ in changed], done_status, since=undo_of.created_at
    )
    notifications.order_status_changed(
        session, [_status_change(rows[i], done_status, old_status) for i, old_status in changed if i in heard]
    )
    report.changed = [rows[i].number for i, _ in changed]
    return _finish(session, batch, report)


# --- assignment and labels ---------------------------------------------------------------------------


def assign(
    session: Session, *, order_ids: Sequence[int], assignee_id: int | None, actor: Actor, comment: str = ""
) -> BatchReport:
    """Put a staff member in charge of the selected open orders (None: nobody)."""
    ids = parse_ids(order_ids)
    comment = comment.strip()
    assignee = staff_member(session, assignee_id) if assignee_id is not None else None
    new_name = staff_name(assignee) if assignee is not None else None
    moment = now()
    rows = _load(session, ids, Order.status, Order.assignee_id)
    report = BatchReport(batch_id=None, kind=BatchKind.assign, skipped=_missing(ids, rows))
    by_old: dict[int | None, list[int]] = defaultdict(list)
    for order_id in ids:
        row = rows.get(order_id)
        if row is None:
            continue
        if row.status in CLOSED_STATUSES:
            report.skipped.append(Skipped(row.number, f"заказ закрыт («{row.status.label}»)"))
        elif row.assignee_id == assignee_id:
            report.skipped.append(Skipped(row.number, "уже назначен" if assignee_id else "ответственного нет"))
        else:
            by_old[row.assignee_id].append(order_id)
    batch = _new_batch(session, BatchKind.assign, actor, target=new_name or "—", comment=comment, moment=moment)
    report.batch_id = batch.id
    old_names = staff_names(session, by_old.keys())
    entries = []
    changed: list[int] = []
    for old_id, group in by_old.items():
        guard = [Order.assignee_id.is_(None) if old_id is None else Order.assignee_id == old_id]
        updated = _guarded_update(session, group, guard, {"assignee_id": assignee_id, "updated_at": moment})
        report.skipped.extend(Skipped(rows[i].number, CONCURRENT) for i in group if i not in updated)
        for order_id in (i for i in group if i in updated):
            changed.append(order_id)
            old_name = old_names.get(old_id) if old_id is not None else None
            entries.append(
                entry_row(
                    order_id, actor, "assignee", old_name, new_name, comment=comment, batch_id=batch.id, moment=moment
                )
            )
    record_many(session, entries)
    report.changed = [rows[i].number for i in changed]
    return _finish(session, batch, report)


def record_labels_printed(session: Session, *, order_ids: Sequence[int], format_label: str, actor: Actor) -> str:
    """Record that labels of these orders were printed (a reprint says which time it is); the batch id."""
    ids = parse_ids(order_ids)
    moment = now()
    batch = _new_batch(session, BatchKind.labels, actor, target=format_label, comment="", moment=moment)
    printed: dict[int, int] = {}
    for chunk in _chunks(session, ids):
        printed.update(
            session.execute(
                sa.select(OrderHistory.order_id, sa.func.count())
                .where(_id_filter(session, OrderHistory.order_id, chunk), OrderHistory.field == "label_printed")
                .group_by(OrderHistory.order_id)
            ).all()
        )
    entries = [
        entry_row(
            order_id,
            actor,
            "label_printed",
            str(printed.get(order_id, 0)),
            str(printed.get(order_id, 0) + 1),
            batch_id=batch.id,
            subject=format_label,
            moment=moment,
        )
        for order_id in ids
    ]
    record_many(session, entries)
    batch.changed_count = len(ids)
    session.flush()
    return batch.id


def batch_orders(session: Session, batch_id: str) -> list[tuple[int, str]]:
    """(id, number) of the orders a batch changed, by number."""
    return list(
        session.execute(
            sa.select(Order.id, Order.number)
            .where(Order.id.in_(sa.select(OrderHistory.order_id).where(OrderHistory.batch_id == batch_id)))
            .order_by(Order.number)
        ).all()
    )


def get_batch(session: Session, batch_id: str) -> OrderBatch:
    batch = session.get(OrderBatch, batch_id)
    if batch is None:
        raise NotFound("Массовая операция не найдена.")
    return batch
