"""Mass actions on orders: status change, its undo, assignment, label printing records — set-based.

A status batch is one call of the state machine (`lifecycle.apply_status`) with the selected orders: it
checks each against the same rules as a single change, updates the valid ones with a few UPDATEs guarded
by the old status, writes their history and runs the effects once for the whole set. This module adds
what a mass action needs around it: the batch record, the per-order report with the reason for every
skip, and the undo within a few minutes by the same staff member. All in the caller's transaction.

A mass action takes either the ticked orders (`order_ids`) or everything a list filter matches (`matching`, a
SELECT of order ids, resolved here when the action runs — up to MAX_MATCHING orders): the same path, report
and undo either way.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import BatchKind, Order, OrderBatch, OrderHistory, OrderStatus
from app.services.actors import Actor, staff_name
from app.services.errors import DomainError, NotFound, PermissionDenied, ValidationError
from app.services.money import ZERO, format_money, to_money
from app.services.orders import lifecycle, sets
from app.services.orders.editing import staff_member
from app.services.orders.history import entry_row, record_many, staff_names
from app.services.orders.lifecycle import CLOSED_STATUSES, CONCURRENT
from app.services.orders.sets import parse_ids
from app.services.shoptime import format_datetime, now

S = OrderStatus
UNDO_WINDOW = timedelta(minutes=10)
MAX_ORDERS = sets.MAX_ORDERS
MAX_MATCHING = 200_000  # orders a filter may select for one status change or assignment


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


def _missing(ids: Sequence[int], found: dict[int, str]) -> list[Skipped]:
    return [Skipped(f"№{order_id}", "заказ не найден") for order_id in ids if order_id not in found]


def matching_ids(session: Session, matching: sa.Select, *, limit: int | None = None) -> list[int]:
    """The ids of the orders a filter's SELECT matches at this moment, ascending; refused (with the reason) when
    there are none or more than `limit` (default MAX_MATCHING)."""
    limit = MAX_MATCHING if limit is None else limit
    query = matching.order_by(None).order_by(Order.id).limit(limit + 1)
    ids = list(session.scalars(query))
    if not ids:
        raise ValidationError("По фильтру не найдено ни одного заказа.")
    if len(ids) > limit:
        most = f"{limit:,}".replace(",", "\u00a0")
        raise ValidationError(
            f"По фильтру найдено больше {most} заказов — за один раз столько нельзя. Уточните фильтр."
        )
    return ids


def _scope(
    session: Session, order_ids: Sequence[int] | str | None, matching: sa.Select | None, *, limit: int | None = None
) -> list[int]:
    """The orders of a mass action: the ticked ones, or those the filter matches."""
    if matching is not None:
        return matching_ids(session, matching, limit=limit)
    return parse_ids(order_ids or [])


def change_status(
    session: Session,
    *,
    order_ids: Sequence[int] | None = None,
    matching: sa.Select | None = None,
    target: OrderStatus | str,
    actor: Actor,
    comment: str = "",
) -> BatchReport:
    """Move every selected order that may go to `target`; report the others with the reason."""
    target = lifecycle.parse_status(target)
    comment = comment.strip()
    ids = _scope(session, order_ids, matching)
    batch = _new_batch(session, BatchKind.status, actor, target=target.value, comment=comment, moment=now())
    outcome = lifecycle.apply_status(
        session, dict.fromkeys(ids, target), actor=actor, comment=comment, batch_id=batch.id
    )
    report = BatchReport(batch_id=batch.id, kind=BatchKind.status, skipped=_missing(ids, outcome.numbers))
    report.skipped += [Skipped(outcome.numbers[i], reason) for i, reason in outcome.refused.items()]
    report.changed = [c.number for c in outcome.changed]
    return _finish(session, batch, report)


def _received(value: Decimal | str) -> Decimal:
    text = str(value).strip().replace(" ", "").replace("\u00a0", "").replace("₽", "").replace(",", ".")
    try:
        amount = to_money(Decimal(text))
    except (InvalidOperation, ValueError):
        raise ValidationError("Укажите полученную сумму числом, например 12 480,00.", field="total") from None
    if amount <= 0:
        raise ValidationError("Полученная сумма должна быть больше нуля.", field="total")
    return amount


@dataclass(frozen=True)
class Payable:
    """How many of the selected orders can be marked paid now, and the sum they are due."""

    count: int
    due: Decimal


def _payable(session: Session, ids: Sequence[int]) -> tuple[dict[int, sa.Row], list[int], Decimal]:
    rows = sets.load(session, ids, Order.status, Order.payment_status, Order.amount_due)
    payable = [i for i, r in rows.items() if lifecycle.payment_refusal(r.status, r.payment_status) is None]
    return rows, payable, sum((rows[i].amount_due for i in payable), ZERO)


def payable(session: Session, *, order_ids: Sequence[int] | None = None, matching: sa.Select | None = None) -> Payable:
    """What a mass «Отметить оплаченными» would mark, for the page that asks for the sum received."""
    try:
        ids = _scope(session, order_ids, matching)
    except ValidationError:
        return Payable(0, ZERO)
    _, found, due = _payable(session, ids)
    return Payable(len(found), due)


def mark_paid(
    session: Session,
    *,
    order_ids: Sequence[int] | None = None,
    matching: sa.Select | None = None,
    total: Decimal | str,
    actor: Actor,
    comment: str = "",
) -> BatchReport:
    """Mark the selected orders paid in full through the state machine's payment path (`apply_payment`).

    `total` is the sum received (one bank payment for several invoices, a courier's cash): it must equal the
    amount due of the orders that can be marked paid now, else nothing changes and the message names both sums.
    The others (already paid, cancelled …) are skipped with their reason.
    """
    received = _received(total)
    comment = comment.strip()
    ids = _scope(session, order_ids, matching)
    rows, payable, due = _payable(session, ids)
    if not payable:
        raise ValidationError("Среди выбранных заказов нет таких, которые можно отметить оплаченными.")
    if received != due:
        raise ValidationError(
            f"Сумма {format_money(received)} не равна сумме к оплате {format_money(due)} "
            f"по {len(payable)} заказам, которые можно отметить оплаченными. Ничего не изменено.",
            field="total",
        )
    batch = _new_batch(session, BatchKind.payment, actor, target=format_money(due), comment=comment, moment=now())
    outcome = lifecycle.apply_payment(
        session,
        ids,
        actor=actor,
        amounts={i: rows[i].amount_due for i in payable},
        comment=comment,
        batch_id=batch.id,
    )
    report = BatchReport(batch_id=batch.id, kind=BatchKind.payment, skipped=_missing(ids, outcome.numbers))
    report.skipped += [Skipped(outcome.numbers[i], reason) for i, reason in outcome.refused.items()]
    report.changed = [c.number for c in outcome.changed]
    return _finish(session, batch, report)


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
    """Put back the orders of a status batch that have not changed since; the revert is a batch of its own.

    It takes the state machine's one path as an undo: each order returns to the status it had before, and
    every effect (promo code uses, messages, and what later features attach) is reversed.
    """
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
    previous: dict[int, OrderStatus] = {}
    last_entry: dict[int, int] = {}
    for order_id, entry_id, field_name, old_value in done:
        if field_name == "status":
            previous[order_id] = S(str(old_value))
        last_entry[order_id] = max(entry_id, last_entry.get(order_id, 0))
    ids = list(previous)
    undo_of = batch
    batch = _new_batch(
        session,
        BatchKind.undo,
        actor,
        target=undo_of.target,
        comment=f"Отмена массовой операции от {format_datetime(undo_of.created_at)}",
        moment=now(),
    )
    batch.undoes_id = undo_of.id
    report = BatchReport(batch_id=batch.id, kind=BatchKind.undo)
    if not ids:
        return _finish(session, batch, report)

    # An order changed by anyone since the batch (a later history entry) is left alone.
    latest: dict[int, int] = {}
    for chunk in sets.chunks(session, ids):
        latest.update(
            session.execute(
                sa.select(OrderHistory.order_id, sa.func.max(OrderHistory.id))
                .where(sets.id_filter(session, OrderHistory.order_id, chunk))
                .group_by(OrderHistory.order_id)
            ).all()
        )
    touched = {i for i in ids if latest.get(i, 0) > last_entry[i]}
    revertible = [i for i in ids if i not in touched]
    done_status = S(undo_of.target)
    outcome = lifecycle.apply_status(
        session,
        {i: previous[i] for i in revertible},
        actor=actor,
        comment=batch.comment,
        batch_id=batch.id,
        undoes=undo_of.id,
        undone_at=undo_of.created_at,
        expected=dict.fromkeys(revertible, done_status),
    )
    if touched:
        numbers = dict(session.execute(sa.select(Order.id, Order.number).where(Order.id.in_(touched))).all())
        report.skipped += [Skipped(numbers[i], "изменён после массовой операции") for i in touched if i in numbers]
    report.skipped += [Skipped(outcome.numbers[i], reason) for i, reason in outcome.refused.items()]
    report.changed = [c.number for c in outcome.changed]
    report.withdrawn = outcome.notes.get("withdrawn_messages", 0)
    return _finish(session, batch, report)


# --- assignment and labels ---------------------------------------------------------------------------


def assign(
    session: Session,
    *,
    order_ids: Sequence[int] | None = None,
    matching: sa.Select | None = None,
    assignee_id: int | None,
    actor: Actor,
    comment: str = "",
) -> BatchReport:
    """Put a staff member in charge of the selected open orders (None: nobody)."""
    ids = _scope(session, order_ids, matching)
    comment = comment.strip()
    assignee = staff_member(session, assignee_id) if assignee_id is not None else None
    new_name = staff_name(assignee) if assignee is not None else None
    moment = now()
    rows = sets.load(session, ids, Order.status, Order.assignee_id)
    report = BatchReport(
        batch_id=None, kind=BatchKind.assign, skipped=_missing(ids, {i: r.number for i, r in rows.items()})
    )
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
        updated = sets.guarded_update(session, group, guard, {"assignee_id": assignee_id, "updated_at": moment})
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
    for chunk in sets.chunks(session, ids):
        printed.update(
            session.execute(
                sa.select(OrderHistory.order_id, sa.func.count())
                .where(sets.id_filter(session, OrderHistory.order_id, chunk), OrderHistory.field == "label_printed")
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
