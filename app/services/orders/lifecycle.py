"""The order state machine: the statuses an order may move to, their timestamps, the payment rules, and the
effects of a change — one path for every entry point.

`apply_status` is the only code that changes an order's status: a single change (`change_status`), a mass
change and its undo (`batches`), jobs and tools all call it. It reads the orders' current values under a
row lock (whatever stale objects the caller holds), checks each against the rules, updates the valid ones
with UPDATEs guarded by the old status (so two concurrent changes give one success and one refusal),
writes their history, and runs the registered effects once with the *set* of orders that changed. An
order is either fully changed (columns, history, effects) or untouched and reported with its reason.

Effects attach with `@on_status_change(order=N)` (and payments with `@on_payment(order=N)`): promo code
uses and notifications are registered here; the sales journal, bonus points and documents register
theirs in their own packages. Each effect receives a `Transition` and picks the changes it cares about
(`transition.entering(REALISATION_STATUSES)`, `transition.reverted()` …).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import DeliveryMethod, Order, OrderHistory, OrderStatus, PaymentStatus, PromoCode
from app.services.actors import Actor
from app.services.catalog import promo
from app.services.errors import InvalidTransition, ValidationError
from app.services.messaging import notifications
from app.services.money import format_money, to_money
from app.services.orders import sets
from app.services.orders.history import as_text, entry_row, record_many
from app.services.shoptime import from_shop_local, now, shop_today

S = OrderStatus

# The state machine: from each status, the statuses an order may move to.
TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.new: frozenset({S.confirmed, S.cancelled}),
    S.confirmed: frozenset({S.in_production, S.cancelled}),
    S.in_production: frozenset({S.ready, S.cancelled}),
    S.ready: frozenset({S.shipped, S.handed_over, S.cancelled}),
    S.shipped: frozenset({S.completed}),
    S.handed_over: frozenset({S.completed}),
    S.completed: frozenset({S.refunded}),
    S.cancelled: frozenset({S.refunded}),
    S.refunded: frozenset(),
}

# The timestamp each status sets when an order enters it.
STATUS_TIMESTAMPS = {
    S.confirmed: "confirmed_at",
    S.ready: "ready_at",
    S.shipped: "shipped_at",
    S.handed_over: "shipped_at",
    S.completed: "completed_at",
    S.cancelled: "cancelled_at",
    S.refunded: "refunded_at",
}

OPEN_STATUSES = frozenset({S.new, S.confirmed, S.in_production, S.ready, S.shipped, S.handed_over})
CLOSED_STATUSES = frozenset({S.completed, S.cancelled, S.refunded})
# Realised (реализован): handed to the customer or to the carrier. A sale is recognised on entering
# «Выдан» / «Отправлен»; a later refund is a return, not an un-realisation.
REALISATION_STATUSES = frozenset({S.shipped, S.handed_over})
REALISED_STATUSES = frozenset({S.shipped, S.handed_over, S.completed})
# An order can be paid while it is alive; a cancelled or refunded one cannot.
UNPAYABLE_STATUSES = frozenset({S.cancelled, S.refunded})

CONCURRENT = "изменён одновременно с этой операцией — повторите"


# --- the rules, on plain values ------------------------------------------------------------------------


def transition_refusal(
    current: OrderStatus, target: OrderStatus, *, delivery_method: DeliveryMethod, payment_status: PaymentStatus
) -> str | None:
    """Why an order in `current` cannot move to `target` (a Russian phrase), or None when it can."""
    if target == current:
        return f"уже в статусе «{current.label}»"
    if target not in TRANSITIONS[current]:
        return f"нельзя из «{current.label}» в «{target.label}»"
    if target == S.shipped and delivery_method == DeliveryMethod.pickup:
        return f"самовывоз не отправляют — выберите «{S.handed_over.label}»"
    if target == S.handed_over and delivery_method != DeliveryMethod.pickup:
        return f"доставку не выдают в офисе — выберите «{S.shipped.label}»"
    if target == S.refunded and payment_status != PaymentStatus.paid:
        return "не оплачен — возвращать нечего"
    return None


def transition_error(order: Order, target: OrderStatus) -> str | None:
    """Why `order` cannot move to `target` (a Russian sentence), or None when it can."""
    reason = transition_refusal(
        order.status, target, delivery_method=order.delivery_method, payment_status=order.payment_status
    )
    return None if reason is None else f"Заказ {order.number}: {reason}."


def allowed_targets(order: Order) -> list[OrderStatus]:
    return [s for s in OrderStatus if s in TRANSITIONS[order.status] and transition_error(order, s) is None]


def parse_status(value: OrderStatus | str) -> OrderStatus:
    try:
        return OrderStatus(value)
    except ValueError:
        raise InvalidTransition(f"Неизвестный статус: {value}.") from None


def status_entry_values(target: OrderStatus, moment: datetime) -> dict[str, object]:
    """The order columns set when an order enters `target` (the status, its timestamp, a refund)."""
    values: dict[str, object] = {"status": target}
    if target in STATUS_TIMESTAMPS:
        values[STATUS_TIMESTAMPS[target]] = moment
    if target == S.refunded:
        values["payment_status"] = PaymentStatus.refunded
    return values


def payment_refusal(status: OrderStatus, payment_status: PaymentStatus) -> str | None:
    """Why an order cannot be marked paid (a Russian phrase), or None when it can."""
    if payment_status == PaymentStatus.paid:
        return "уже оплачен"
    if payment_status == PaymentStatus.refunded or status in UNPAYABLE_STATUSES:
        return f"в статусе «{status.label}» — нельзя отметить оплаченным"
    return None


def can_mark_paid(order: Order) -> bool:
    return payment_refusal(order.status, order.payment_status) is None


def is_realised(order: Order) -> bool:
    """Handed to the customer or the carrier (and not taken back by a refund)."""
    return order.status in REALISED_STATUSES


# --- what a change did, for the effects --------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One order's status change, with what effects need without loading the order."""

    order_id: int
    number: str
    customer_id: int
    company_id: int | None
    email: str
    delivery_method: DeliveryMethod
    promo_code_id: int | None
    old: OrderStatus
    new: OrderStatus


@dataclass
class Transition:
    """The orders one call moved (a set of one for a single change), as every effect receives it.

    `undoes` is the id of the batch being taken back when this is an undo: the orders go back to the
    status they had before it, and effects reverse what they did for it (not the state machine's
    forward rules).
    """

    session: Session
    actor: Actor
    moment: datetime
    comment: str
    batch_id: str | None
    changes: list[Change]
    undoes: str | None = None
    undone_at: datetime | None = None  # when the batch being undone ran
    notes: dict[str, int] = field(default_factory=dict)  # what effects report back (e.g. messages withdrawn)

    def entering(self, statuses: Iterable[OrderStatus]) -> list[Change]:
        wanted = frozenset(statuses)
        return [c for c in self.changes if c.new in wanted and c.old not in wanted]

    def leaving(self, statuses: Iterable[OrderStatus]) -> list[Change]:
        wanted = frozenset(statuses)
        return [c for c in self.changes if c.old in wanted and c.new not in wanted]


@dataclass
class PaymentChange:
    order_id: int
    number: str
    customer_id: int
    company_id: int | None
    amount: Decimal
    paid_at: datetime


@dataclass
class Payment:
    """Payments one call recorded, as payment effects receive them."""

    session: Session
    actor: Actor
    moment: datetime
    comment: str
    changes: list[PaymentChange]


StatusEffect = Callable[[Transition], None]
PaymentEffect = Callable[[Payment], None]


@dataclass(frozen=True)
class Guard:
    """A check that may refuse some orders of a transition before anything changes, reserving what it
    needs for the others (`check`), and give the reservation back for orders a concurrent change took
    (`release`)."""

    name: str
    check: Callable[[Transition], dict[int, str]]
    release: Callable[[Transition, Sequence[Change]], None]


_STATUS_EFFECTS: list[tuple[int, str, StatusEffect]] = []
_PAYMENT_EFFECTS: list[tuple[int, str, PaymentEffect]] = []
_GUARDS: list[Guard] = []


def _register(registry: list, order: int, fn: Callable) -> None:
    name = f"{fn.__module__}.{fn.__qualname__}"
    registry[:] = [entry for entry in registry if entry[1] != name]  # re-import replaces, never doubles
    registry.append((order, name, fn))
    registry.sort(key=lambda entry: (entry[0], entry[1]))


def on_status_change(*, order: int) -> Callable[[StatusEffect], StatusEffect]:
    """Register an effect of status changes; effects run in `order` (notifications last, at 100)."""

    def decorate(fn: StatusEffect) -> StatusEffect:
        _register(_STATUS_EFFECTS, order, fn)
        return fn

    return decorate


def on_payment(*, order: int) -> Callable[[PaymentEffect], PaymentEffect]:
    """Register an effect of recorded payments."""

    def decorate(fn: PaymentEffect) -> PaymentEffect:
        _register(_PAYMENT_EFFECTS, order, fn)
        return fn

    return decorate


def add_guard(guard: Guard) -> None:
    _GUARDS[:] = [g for g in _GUARDS if g.name != guard.name] + [guard]


def status_effects() -> list[str]:
    """The registered status effects by name, in the order they run."""
    return [name for _, name, _ in _STATUS_EFFECTS]


def payment_effects() -> list[str]:
    return [name for _, name, _ in _PAYMENT_EFFECTS]


# --- the one status path -----------------------------------------------------------------------------


@dataclass
class StatusOutcome:
    changed: list[Change] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)  # order id → reason
    missing: list[int] = field(default_factory=list)
    numbers: dict[int, str] = field(default_factory=dict)
    notes: dict[str, int] = field(default_factory=dict)


_LOADED = (
    Order.status,
    Order.delivery_method,
    Order.payment_status,
    Order.promo_code_id,
    Order.customer_id,
    Order.company_id,
    Order.contact_email,
)


def _change(row: sa.Row, new: OrderStatus) -> Change:
    return Change(
        order_id=row.id,
        number=row.number,
        customer_id=row.customer_id,
        company_id=row.company_id,
        email=row.contact_email,
        delivery_method=row.delivery_method
        if isinstance(row.delivery_method, DeliveryMethod)
        else DeliveryMethod(row.delivery_method),
        promo_code_id=row.promo_code_id,
        old=row.status,
        new=new,
    )


def _revert_values(done: OrderStatus, back_to: OrderStatus) -> dict[str, object]:
    """The columns that take an order from `done` back to `back_to`: the state machine never re-enters a
    status, so the timestamp `done` set was empty before it; a refund taken back is paid again."""
    values: dict[str, object] = {"status": back_to}
    if done in STATUS_TIMESTAMPS and STATUS_TIMESTAMPS.get(back_to) != STATUS_TIMESTAMPS[done]:
        values[STATUS_TIMESTAMPS[done]] = None
    if done == S.refunded:
        values["payment_status"] = PaymentStatus.paid
    return values


def _constant(value: object, column: sa.Column, *, typed: bool) -> sa.ColumnElement:
    """A constant of a column's type in a SELECT list; `typed` casts it (PostgreSQL must know a NULL's type,
    while SQLite's CAST would turn a datetime's text into a number)."""
    literal = sa.literal(value, column.type)
    return sa.cast(literal, column.type) if typed else literal


HISTORY_COLUMNS = (
    "order_id",
    "created_at",
    "actor_kind",
    "actor_staff_id",
    "actor_customer_id",
    "actor_name",
    "field",
    "old_value",
    "new_value",
    "comment",
    "batch_id",
    "subject",
)


def _record_moves(
    session: Session, changed: Sequence[Change], *, actor: Actor, comment: str, batch_id: str | None, moment: datetime
) -> None:
    """The history entries of the orders that moved, written by the database from the orders themselves:
    one INSERT … SELECT per kind of move, no Python per entry (a refund also records its payment status)."""
    groups: dict[tuple[str, str | None, str], list[int]] = defaultdict(list)
    for change in changed:
        groups[("status", as_text(change.old), change.new.value)].append(change.order_id)
        if S.refunded in (change.old, change.new):
            back = change.old == S.refunded
            paid_then = PaymentStatus.refunded if back else PaymentStatus.paid
            paid_now = PaymentStatus.paid if back else PaymentStatus.refunded
            groups[("payment_status", paid_then.value, paid_now.value)].append(change.order_id)
    table = OrderHistory.__table__
    typed = session.get_bind().dialect.name == "postgresql"
    for (field_name, old, new), ids in groups.items():
        constants = {
            "created_at": moment,
            "actor_kind": actor.kind,
            "actor_staff_id": actor.staff_id,
            "actor_customer_id": actor.customer_id,
            "actor_name": actor.name[:200],
            "field": field_name,
            "old_value": old,
            "new_value": new,
            "comment": comment,
            "batch_id": batch_id,
            "subject": "",
        }
        for chunk in sets.chunks(session, ids):
            select = sa.select(
                Order.id, *(_constant(constants[name], table.c[name], typed=typed) for name in HISTORY_COLUMNS[1:])
            ).where(sets.id_filter(session, Order.id, chunk))
            session.execute(sa.insert(OrderHistory).from_select(list(HISTORY_COLUMNS), select))


def apply_status(
    session: Session,
    targets: Mapping[int, OrderStatus],
    *,
    actor: Actor,
    comment: str = "",
    batch_id: str | None = None,
    undoes: str | None = None,
    undone_at: datetime | None = None,
    expected: Mapping[int, OrderStatus] | None = None,
) -> StatusOutcome:
    """Move each order to its target status, all in the caller's transaction; see the module docstring.

    A forward change follows the state machine. An undo (`undoes` = the batch id) moves each order back
    to its previous status, and only if it is still in `expected[order_id]` (the status the batch gave it).
    """
    comment = comment.strip()
    moment = now()
    ids = list(targets)
    rows = sets.load(session, ids, *_LOADED)
    outcome = StatusOutcome(missing=[i for i in ids if i not in rows], numbers={i: r.number for i, r in rows.items()})
    candidates: list[Change] = []
    for order_id in ids:
        row = rows.get(order_id)
        if row is None:
            continue
        target = targets[order_id]
        if undoes is None:
            reason = transition_refusal(
                row.status, target, delivery_method=row.delivery_method, payment_status=row.payment_status
            )
        else:
            reason = None if expected is None or row.status == expected[order_id] else "изменён после массовой операции"
        if reason:
            outcome.refused[order_id] = reason
        else:
            candidates.append(_change(row, target))

    transition = Transition(session, actor, moment, comment, batch_id, candidates, undoes=undoes, undone_at=undone_at)
    for guard in _GUARDS:
        refusals = guard.check(transition)
        if refusals:
            outcome.refused.update(refusals)
            transition.changes = [c for c in transition.changes if c.order_id not in refusals]

    groups: dict[tuple[OrderStatus, OrderStatus], list[Change]] = defaultdict(list)
    for change in transition.changes:
        groups[(change.old, change.new)].append(change)
    changed: list[Change] = []
    lost: list[Change] = []
    for (old, new), group in groups.items():
        guard_clause = [Order.status == old]
        if undoes is None:
            values = status_entry_values(new, moment)
            if new == S.refunded:
                guard_clause.append(Order.payment_status == PaymentStatus.paid)
        else:
            values = _revert_values(old, new)
            if old == S.refunded:
                guard_clause.append(Order.payment_status == PaymentStatus.refunded)
        values["updated_at"] = moment
        updated = sets.guarded_update(session, [c.order_id for c in group], guard_clause, values)
        for change in group:
            (changed if change.order_id in updated else lost).append(change)
    if lost:
        for guard in _GUARDS:
            guard.release(transition, lost)
        outcome.refused.update({c.order_id: CONCURRENT for c in lost})

    _record_moves(session, changed, actor=actor, comment=comment, batch_id=batch_id, moment=moment)
    transition.changes = changed
    outcome.changed = changed
    if changed:
        for _, _, effect in _STATUS_EFFECTS:
            effect(transition)
    outcome.notes = transition.notes
    return outcome


def change_status(
    session: Session,
    order: Order,
    target: OrderStatus | str,
    *,
    actor: Actor,
    comment: str = "",
    batch_id: str | None = None,
) -> Order:
    """Move one order to `target` through the state machine; InvalidTransition with the reason if not allowed
    (including when someone else changed it a moment ago)."""
    target = parse_status(target)
    outcome = apply_status(session, {order.id: target}, actor=actor, comment=comment, batch_id=batch_id)
    if order.id in outcome.refused:
        session.expire(order)
        raise InvalidTransition(f"Заказ {order.number}: {outcome.refused[order.id]}.")
    session.expire(order)
    return order


# --- payments ----------------------------------------------------------------------------------------


@dataclass
class PaymentOutcome:
    changed: list[PaymentChange] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)
    missing: list[int] = field(default_factory=list)
    numbers: dict[int, str] = field(default_factory=dict)


def apply_payment(
    session: Session,
    order_ids: Sequence[int],
    *,
    actor: Actor,
    paid_at: datetime | None = None,
    amounts: Mapping[int, Decimal] | None = None,
    comment: str = "",
    batch_id: str | None = None,
) -> PaymentOutcome:
    """Mark orders paid in full (the amount due), set-based like `apply_status`; `amounts`, when given, must
    equal each order's amount due (a typo in a bank statement is refused, not recorded)."""
    moment = now()
    paid_at = paid_at or moment
    if paid_at.tzinfo is None:
        raise ValueError("paid_at must be timezone-aware")
    rows = sets.load(
        session, order_ids, Order.status, Order.payment_status, Order.amount_due, Order.customer_id, Order.company_id
    )
    outcome = PaymentOutcome(
        missing=[i for i in order_ids if i not in rows], numbers={i: r.number for i, r in rows.items()}
    )
    valid: list[int] = []
    for order_id in order_ids:
        row = rows.get(order_id)
        if row is None:
            continue
        reason = payment_refusal(row.status, row.payment_status)
        if reason is None and paid_at > moment:
            reason = "дата оплаты в будущем"
        if reason is None and amounts is not None and order_id in amounts and amounts[order_id] != row.amount_due:
            reason = f"сумма {format_money(amounts[order_id])} не равна сумме к оплате {format_money(row.amount_due)}"
        if reason:
            outcome.refused[order_id] = reason
        else:
            valid.append(order_id)
    updated = sets.guarded_update(
        session,
        valid,
        [Order.payment_status == PaymentStatus.unpaid, Order.status.not_in(UNPAYABLE_STATUSES)],
        {"payment_status": PaymentStatus.paid, "paid_at": paid_at, "updated_at": moment},
    )
    outcome.refused.update({i: CONCURRENT for i in valid if i not in updated})
    changed = [
        PaymentChange(i, rows[i].number, rows[i].customer_id, rows[i].company_id, rows[i].amount_due, paid_at)
        for i in valid
        if i in updated
    ]
    record_many(
        session,
        [
            entry_row(
                c.order_id,
                actor,
                "payment_status",
                PaymentStatus.unpaid.value,
                PaymentStatus.paid.value,
                comment=comment.strip(),
                batch_id=batch_id,
                moment=moment,
            )
            for c in changed
        ],
    )
    outcome.changed = changed
    if changed:
        payment = Payment(session, actor, moment, comment.strip(), changed)
        for _, _, effect in _PAYMENT_EFFECTS:
            effect(payment)
    return outcome


def mark_paid(
    session: Session,
    order: Order,
    *,
    actor: Actor,
    paid_at: datetime | None = None,
    amount: Decimal | None = None,
    comment: str = "",
) -> Order:
    """Record that the order is paid in full; InvalidTransition with the reason if it cannot be."""
    outcome = apply_payment(
        session,
        [order.id],
        actor=actor,
        paid_at=paid_at,
        amounts={order.id: amount} if amount is not None else None,
        comment=comment,
    )
    session.expire(order)
    if order.id in outcome.refused:
        raise InvalidTransition(f"Заказ {order.number}: {outcome.refused[order.id]}.")
    return order


def paid_at_from_day(paid_on: date) -> datetime:
    """The moment recorded for a payment entered by its day (bank statement): now when it is today in the shop,
    else noon of that day in the shop's time zone."""
    if paid_on == shop_today():
        return now()
    return from_shop_local(datetime.combine(paid_on, time(12, 0)))


def parse_payment_amount(value: str) -> Decimal:
    """The amount staff typed as received («1 490,00»); ValidationError in Russian when it is not a sum."""
    try:
        amount = to_money(Decimal((value or "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")))
    except (InvalidOperation, ValueError):
        raise ValidationError("Укажите сумму оплаты числом, например 1490,00.", field="amount") from None
    if amount <= 0:
        raise ValidationError("Сумма оплаты должна быть больше нуля.", field="amount")
    return amount


# --- built-in effects --------------------------------------------------------------------------------


def _with_promo(changes: Iterable[Change]) -> list[Change]:
    return [c for c in changes if c.promo_code_id is not None]


@on_status_change(order=10)
def release_promo_codes(transition: Transition) -> None:
    """A cancelled order gives its promo code use back (the counter and the customer's redemption)."""
    if transition.undoes is not None:
        return  # taking a cancellation back takes the use again: see the guard below
    promo.release_orders(transition.session, [c.order_id for c in _with_promo(transition.entering({S.cancelled}))])


def _retake_promo_codes(transition: Transition) -> dict[int, str]:
    """Undoing a cancellation takes the promo code uses back, if the code's limits still allow them."""
    if transition.undoes is None:
        return {}
    leaving = {c.order_id: c for c in _with_promo(transition.leaving({S.cancelled}))}
    refused = promo.redeem_orders(transition.session, list(leaving))
    if not refused:
        return {}
    codes = dict(
        transition.session.execute(
            sa.select(PromoCode.id, PromoCode.code).where(PromoCode.id.in_({leaving[i].promo_code_id for i in refused}))
        ).all()
    )
    return {i: f"лимит промокода {codes.get(leaving[i].promo_code_id or 0, '')} исчерпан" for i in refused}


def _give_back_promo_codes(transition: Transition, lost: Sequence[Change]) -> None:
    if transition.undoes is not None:
        promo.release_orders(transition.session, [c.order_id for c in _with_promo(lost) if c.old == S.cancelled])


add_guard(Guard("promo_codes", _retake_promo_codes, _give_back_promo_codes))


def _status_message(change: Change) -> notifications.StatusChange:
    return notifications.StatusChange(
        order_id=change.order_id,
        order_number=change.number,
        customer_id=change.customer_id,
        email=change.email,
        delivery_method=change.delivery_method,
        old=change.old,
        new=change.new,
    )


@on_status_change(order=100)
def notify_customers(transition: Transition) -> None:
    """Tell customers by their settings. An undo first withdraws the messages about the change not yet
    sent; only customers who were told of the change hear that it was taken back."""
    changes = transition.changes
    if transition.undoes is not None:
        heard: set[int] = set()
        by_done: dict[OrderStatus, list[int]] = defaultdict(list)
        for change in changes:
            by_done[change.old].append(change.order_id)
        withdrawn = 0
        for done, order_ids in by_done.items():
            told, count = notifications.withdraw_status_messages(
                transition.session, order_ids, done, since=transition.undone_at or transition.moment
            )
            heard |= told
            withdrawn += count
        transition.notes["withdrawn_messages"] = withdrawn
        changes = [c for c in changes if c.order_id in heard]
    notifications.order_status_changed(transition.session, [_status_message(c) for c in changes])
