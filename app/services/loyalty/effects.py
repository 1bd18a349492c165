"""What payments and status changes do to points, registered with the order state machine (so a single change,
a mass change and its undo all do the same):

- a paid personal order earns pending points: the tier's rate of what was paid in money for products (not
  delivery, not the part paid with points), rounded down; the amount is recorded and never recomputed;
- a cancel or refund gives back exactly the points the order spent and takes away exactly the points it earned
  (pending or already available — the balance may go below zero; future earnings pay it off);
- undoing a cancel or refund spends the order's points again (refused when the balance no longer covers them)
  and earns again what the order had earned;
- completing or refunding an order recomputes the customer's tier;
- staff removing a line of an order that spent points give back exactly that line's points (`editing`);
- a line refunded from a paid order (`refunds`) gives back the points it spent and takes back the points the order
  earned in proportion to the line's share of the money paid for products (from the recorded earning: the lines
  kept keep what they earned, rounded down like every earning), pending points first, then available ones (the
  balance may go below zero).

Every amount is computed from the ledger under the account lock, so a repeated call finds nothing left to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import EntryKind, LineKind, LoyaltyEntry, Order, OrderLine, OrderStatus, PaymentStatus
from app.models.loyalty import LINE_REFUND_KEY
from app.services.actors import Actor
from app.services.loyalty import ledger, rules, tiers
from app.services.money import format_rate
from app.services.orders import editing, lifecycle, refunds
from app.services.orders.lifecycle import Change, Guard, Payment, Transition

S = OrderStatus
TAKEN_BACK = frozenset({S.cancelled, S.refunded})
HUNDRED = Decimal("100")
LINE_KEY = LINE_REFUND_KEY  # in the keys of the entries a line refund posts


@dataclass
class OrderPoints:
    """An order's points as the ledger has them."""

    spent: int = 0  # spent and not given back
    pending: int = 0  # earned, still pending
    activated: int = 0  # earned and made available, not taken away
    earned_first: int = 0  # the first earning recorded
    line_reversed: int = 0  # earned points taken back because lines were refunded

    @property
    def earned(self) -> int:
        return self.pending + self.activated

    @property
    def earned_kept(self) -> int:
        """What the order earned for the lines it still has: what an undone cancel/refund gives again."""
        return self.earned_first - self.line_reversed


def order_points(session: Session, order_ids: Iterable[int]) -> dict[int, OrderPoints]:
    ids = list(order_ids)
    found = {i: OrderPoints() for i in ids}
    if not ids:
        return found
    rows = session.execute(
        sa.select(
            LoyaltyEntry.order_id, LoyaltyEntry.kind, LoyaltyEntry.available, LoyaltyEntry.pending, LoyaltyEntry.key
        )
        .where(LoyaltyEntry.order_id.in_(ids))
        .order_by(LoyaltyEntry.id)
    )
    for order_id, kind, available, pending, key in rows:
        state = found[order_id or 0]
        if kind in (EntryKind.spend, EntryKind.return_spent):
            state.spent -= available
        elif kind in (EntryKind.earn_pending, EntryKind.activate, EntryKind.reverse):
            state.pending += pending
            if kind != EntryKind.earn_pending:
                state.activated += available
            if kind == EntryKind.earn_pending and not state.earned_first:
                state.earned_first = pending
            if kind == EntryKind.reverse and LINE_KEY in key:
                state.line_reversed -= available + pending
    return found


def money_paid_for_products(session: Session, order_ids: Sequence[int]) -> dict[int, Decimal]:
    """Per order: the product lines' totals (after the promo discount and points) — what was paid in money."""
    rows = session.execute(
        sa.select(OrderLine.order_id, sa.func.sum(OrderLine.total))
        .where(OrderLine.order_id.in_(list(order_ids)), OrderLine.kind == LineKind.product)
        .group_by(OrderLine.order_id)
    )
    return {order_id: Decimal(total or 0) for order_id, total in rows}


def points_for(amount: Decimal, rate: Decimal) -> int:
    """Whole points, rounded down."""
    return int((amount * rate / HUNDRED).to_integral_value(rounding=ROUND_DOWN))


def earn(session: Session, orders: Sequence[tuple[int, int, str]], actor: Actor) -> int:
    """Earn pending points for paid personal orders [(order id, customer id, number)]; returns points earned."""
    settings = rules.current(session)
    paid = money_paid_for_products(session, [o[0] for o in orders])
    total = 0
    for order_id, customer_id, number in sorted(orders, key=lambda o: o[1]):
        ledger.lock(session, customer_id)
        if order_points(session, [order_id])[order_id].earned_first:
            continue  # earned once already
        tier = tiers.tier_of(session, customer_id)
        rate = settings.rate(tier)
        points = points_for(paid.get(order_id, Decimal("0")), rate)
        if points <= 0:
            continue
        if ledger.post(
            session,
            customer_id=customer_id,
            kind=EntryKind.earn_pending,
            key=f"earn_pending:{order_id}:1",
            actor=actor,
            pending=points,
            order_id=order_id,
            reason=f"Заказ {number}: {format_rate(rate)} («{tier.label}»)",
        ):
            total += points
    return total


@lifecycle.on_payment(order=20)
def earn_on_payment(payment: Payment) -> None:
    orders = [(c.order_id, c.customer_id, c.number) for c in payment.changes if c.company_id is None]
    if orders:
        earn(payment.session, orders, payment.actor)


def take_back(session: Session, changes: Sequence[Change], actor: Actor, comment: str = "") -> None:
    """Cancel or refund: return what each order spent, take away what it earned (by the recorded amounts)."""
    for change in sorted(changes, key=lambda c: c.customer_id):
        ledger.lock(session, change.customer_id)
        state = order_points(session, [change.order_id])[change.order_id]
        why = f"Заказ {change.number}: {change.new.label.lower()}" + (f" — {comment}" if comment else "")
        if state.spent > 0:
            ledger.post(
                session,
                customer_id=change.customer_id,
                kind=EntryKind.return_spent,
                key=ledger.entry_key(session, EntryKind.return_spent, change.order_id),
                actor=actor,
                available=state.spent,
                order_id=change.order_id,
                reason=why,
            )
        if state.earned > 0:
            ledger.post(
                session,
                customer_id=change.customer_id,
                kind=EntryKind.reverse,
                key=ledger.entry_key(session, EntryKind.reverse, change.order_id),
                actor=actor,
                available=-state.activated,
                pending=-state.pending,
                order_id=change.order_id,
                reason=why,
            )


@lifecycle.on_status_change(order=20)
def points_on_status_change(transition: Transition) -> None:
    session = transition.session
    if transition.undoes is None:
        take_back(session, transition.entering(TAKEN_BACK), transition.actor, transition.comment)
    else:
        _earn_again(session, transition.leaving(TAKEN_BACK), transition.actor)
    affected = {
        c.customer_id for c in transition.changes if S.completed in (c.old, c.new) or S.refunded in (c.old, c.new)
    }
    if affected:
        tiers.recompute(session, affected)


def _earn_again(session: Session, changes: Sequence[Change], actor: Actor) -> None:
    """An undone cancel/refund: the order earns again what it had earned, if it is paid."""
    if not changes:
        return
    paid = set(
        session.scalars(
            sa.select(Order.id).where(
                Order.id.in_([c.order_id for c in changes]), Order.payment_status == PaymentStatus.paid
            )
        )
    )
    for change in sorted(changes, key=lambda c: c.customer_id):
        if change.order_id not in paid:
            continue
        ledger.lock(session, change.customer_id)
        state = order_points(session, [change.order_id])[change.order_id]
        missing = state.earned_kept - state.earned
        if missing > 0:
            ledger.post(
                session,
                customer_id=change.customer_id,
                kind=EntryKind.earn_pending,
                key=ledger.entry_key(session, EntryKind.earn_pending, change.order_id),
                actor=actor,
                pending=missing,
                order_id=change.order_id,
                reason=f"Заказ {change.number}: отмена возвращена",
            )


def _spend_again(transition: Transition) -> dict[int, str]:
    """Undoing a cancel/refund spends the order's points again; refused for an order whose customer no longer
    has them (the undo leaves that order as it is)."""
    if transition.undoes is None:
        return {}
    session = transition.session
    leaving = transition.leaving(TAKEN_BACK)
    if not leaving:
        return {}
    wanted = dict(
        session.execute(sa.select(Order.id, Order.points_paid).where(Order.id.in_([c.order_id for c in leaving]))).all()
    )
    refused: dict[int, str] = {}
    for change in sorted(leaving, key=lambda c: c.customer_id):
        points = int(wanted.get(change.order_id) or 0)
        if points <= 0:
            continue
        ledger.lock(session, change.customer_id)
        state = order_points(session, [change.order_id])[change.order_id]
        missing = points - state.spent
        if missing <= 0:
            continue
        account = ledger.balance(session, change.customer_id)
        if account.available < missing:
            refused[change.order_id] = f"баллов уже недостаточно: нужно {missing}, доступно {max(account.available, 0)}"
            continue
        ledger.spend(
            session,
            customer_id=change.customer_id,
            points=missing,
            key=ledger.entry_key(session, EntryKind.spend, change.order_id),
            actor=transition.actor,
            order_id=change.order_id,
            reason=f"Заказ {change.number}: отмена возвращена",
        )
    return refused


def _give_back(transition: Transition, lost: Sequence[Change]) -> None:
    if transition.undoes is not None:
        take_back(transition.session, [c for c in lost if c.old in TAKEN_BACK], transition.actor)


lifecycle.add_guard(Guard("loyalty_points", _spend_again, _give_back))


@editing.on_lines_changed
def return_unspent_points(session: Session, order: Order, actor: Actor) -> None:
    """Staff removed a line (or made it cheaper) of an order that spent points: exactly the points the order no
    longer carries come back — a removed line's share, as it was spread over the lines."""
    ledger.lock(session, order.customer_id)
    state = order_points(session, [order.id])[order.id]
    extra = state.spent - int(order.points_paid or 0)
    if extra > 0:
        ledger.post(
            session,
            customer_id=order.customer_id,
            kind=EntryKind.return_spent,
            key=ledger.entry_key(session, EntryKind.return_spent, order.id),
            actor=actor,
            available=extra,
            order_id=order.id,
            reason=f"Заказ {order.number}: позиции изменены",
        )


def line_refund_reversal(earned: int, products_paid: Decimal, refunded: Decimal) -> int:
    """Earned points a refunded line takes back: the lines kept keep `earned × kept money ÷ money paid`, rounded
    down like every earning; the rest goes. Recorded amounts only — today's rates never enter."""
    if earned <= 0 or products_paid <= 0 or refunded <= 0:
        return 0
    kept = (Decimal(earned) * (products_paid - refunded) / products_paid).to_integral_value(rounding=ROUND_DOWN)
    return earned - max(int(kept), 0)


@refunds.on_line_refunded(order=20)
def points_for_refunded_line(refund: refunds.LineRefund) -> None:
    """The refunded line's spent points come back; its share of the points the order earned is taken back."""
    if refund.company_id is not None:
        return
    session = refund.session
    ledger.lock(session, refund.customer_id)
    state = order_points(session, [refund.order_id])[refund.order_id]
    why = f"Возврат позиции «{refund.product_name}» заказа {refund.number}"
    still_spent = int(session.scalar(sa.select(Order.points_paid).where(Order.id == refund.order_id)) or 0)
    back = state.spent - still_spent
    if back > 0:
        ledger.post(
            session,
            customer_id=refund.customer_id,
            kind=EntryKind.return_spent,
            key=f"{EntryKind.return_spent.value}:{refund.order_id}{LINE_KEY}{refund.serial}",
            actor=refund.actor,
            available=back,
            order_id=refund.order_id,
            reason=why,
        )
    take = line_refund_reversal(state.earned, refund.products_paid, refund.amount)
    if take > 0:
        from_pending = min(take, max(state.pending, 0))
        ledger.post(
            session,
            customer_id=refund.customer_id,
            kind=EntryKind.reverse,
            key=f"{EntryKind.reverse.value}:{refund.order_id}{LINE_KEY}{refund.serial}",
            actor=refund.actor,
            available=-(take - from_pending),
            pending=-from_pending,
            order_id=refund.order_id,
            reason=why,
        )
    tiers.recompute(session, [refund.customer_id])
