"""The sales journal (журнал реализации): the one posted record every money figure is a sum of.

Posting — always in the caller's transaction, as effects of the order state machine, so no path skips it:

- **sale** — an order that becomes realised (enters «Отправлен» / «Выдан»; or an undo brings it back to a
  realised status) gets one entry per order line, with the line's VAT rate: gross, promo discount, bonus
  points, amount (= net + VAT), quantity, product and category, customer, company, cost of goods (cost
  prices when posted), dated the shop-local day of the change.
- **return** — an order that stops being realised (refunded after realisation, cancelled after realisation,
  the mass change that realised it undone) gets the exact negative of its open sale's recorded entries,
  dated the day of the return. A realised order whose lines change is corrected by `repost_orders`: the old
  sale returned, a new one posted (reason «Исправление»).
- **payment** — money received (`lifecycle.apply_payment`), dated the day it was received (paid_at), with the
  order's payment method; **payment_refund** — its exact negative when the money goes back («Возврат»), and
  the payment again when a refund is undone.
- **a line refunded** from a paid order (`orders.refunds.refund_line`): the money for that line goes back as a
  partial payment_refund of the open payment (its `line_position` is the refunded line's, so each line of a
  payment is refunded once); a full refund later gives back what is left of the payment. A realised order is
  corrected by `repost_orders` (the old sale returned by its recorded amounts, the remaining lines posted).

Idempotent by construction: `cycle` numbers an order's sales (and payments); a sale is posted only while
none is open, a return reverses the open one, and the unique key (order, kind, cycle, line) makes a repeat
— or a concurrent double — fail instead of posting twice. A partial refund of a payment (line_position > 0)
does not close its cycle: only the full refund (line_position 0) does. Entries are never updated or deleted
(ORM guard and database triggers); a correction is a new entry.

Reading (for reports, dashboards and closing documents — all read-only):

- `order_entries(session, order_id)` — an order's entries in posting order;
- `order_balance(session, order_id)` — realised (sales − returns) and paid (payments − refunds);
- `open_cycles(session, order_ids, money=False)` — orders with a sale (or payment) not yet reversed;
- `entries_query(start=, end=, kinds=, vat_rate=, category_id=, company_id=)` — the entries of shop-local days
  `start`..`end` behind any figure (e.g. a company's sales of a month for its closing documents).

The money figures themselves are defined once, in `app/reports/metrics.py`, as sums of these entries.
`backfill` posts orders that predate the journal (or bulk data) from their own dates and recorded lines.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import (
    Category,
    JournalEntry,
    JournalKind,
    JournalReason,
    LineKind,
    OptionValue,
    Order,
    OrderLine,
    OrderStatus,
    PaymentStatus,
    Product,
)
from app.services import bulk_write
from app.services.actors import Actor
from app.services.errors import ValidationError
from app.services.money import ZERO, to_money
from app.services.orders import refunds, sets
from app.services.orders.lifecycle import REALISED_STATUSES, Payment, Transition, on_payment, on_status_change
from app.services.shoptime import now, shop_today

S = OrderStatus
K = JournalKind
SALE_SIDE = (K.sale, K.sale_return)
MONEY_SIDE = (K.payment, K.payment_refund)
JOURNAL_TABLE: sa.Table = JournalEntry.__table__  # type: ignore[assignment]
_NEGATED = ("quantity", "gross", "discount", "points", "amount", "net", "vat", "cost")


@dataclass(frozen=True)
class Posting:
    """Who and when, as every entry of one posting records it."""

    moment: datetime
    actor: Actor
    reason: JournalReason
    comment: str = ""
    batch_id: str | None = None
    day: date | None = None  # the shop-local day; by default that of `moment`

    @property
    def on(self) -> date:
        return self.day or shop_today(self.moment)


# --- reading -----------------------------------------------------------------------------------------


def _cycles(session: Session, order_ids: Sequence[int], kinds: Sequence[JournalKind]) -> dict[int, dict[str, int]]:
    """For each order: the highest cycle posted of each kind."""
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for chunk in sets.chunks(session, order_ids):
        rows = session.execute(
            sa.select(JournalEntry.order_id, JournalEntry.kind, sa.func.max(JournalEntry.cycle))
            .where(
                sets.id_filter(session, JournalEntry.order_id, chunk),
                JournalEntry.kind.in_(kinds),
                sa.or_(JournalEntry.kind != K.payment_refund, JournalEntry.line_position == 0),  # a line's refund
            )
            .group_by(JournalEntry.order_id, JournalEntry.kind)
        ).all()
        for order_id, kind, cycle in rows:
            found[order_id][JournalKind(kind).value] = cycle
    return found


def open_cycles(session: Session, order_ids: Sequence[int], *, money: bool = False) -> dict[int, int]:
    """Orders with an open sale (or, with `money`, an open payment): order id → the cycle not yet reversed."""
    forward, backward = MONEY_SIDE if money else SALE_SIDE
    result = {}
    for order_id, cycles in _cycles(session, order_ids, (forward, backward)).items():
        done, undone = cycles.get(forward.value, 0), cycles.get(backward.value, 0)
        if done > undone:
            result[order_id] = done
    return result


def order_entries(session: Session, order_id: int) -> list[JournalEntry]:
    """An order's entries in the order they were posted."""
    return list(
        session.scalars(sa.select(JournalEntry).where(JournalEntry.order_id == order_id).order_by(JournalEntry.id))
    )


@dataclass(frozen=True)
class OrderBalance:
    """An order as the journal has it: realised (sales minus returns) and paid (payments minus refunds)."""

    realised: Decimal
    paid: Decimal
    entries: int


def order_balance(session: Session, order_id: int) -> OrderBalance:
    def total(kinds: Sequence[JournalKind]) -> Any:
        return sa.func.coalesce(sa.func.sum(sa.case((JournalEntry.kind.in_(kinds), JournalEntry.amount), else_=0)), 0)

    row = session.execute(
        sa.select(total(SALE_SIDE), total(MONEY_SIDE), sa.func.count(JournalEntry.id)).where(
            JournalEntry.order_id == order_id
        )
    ).one()
    return OrderBalance(to_money(Decimal(str(row[0]))), to_money(Decimal(str(row[1]))), int(row[2]))


def entries_query(
    *,
    start: date,
    end: date,
    kinds: Iterable[JournalKind] = SALE_SIDE,
    vat_rate: Decimal | None | str = "any",
    category_id: int | None = None,
    company_id: int | None = None,
) -> sa.Select[tuple[JournalEntry]]:
    """The entries behind a figure: days `start`..`end` inclusive (shop-local), of the given kinds."""
    query = sa.select(JournalEntry).where(
        JournalEntry.day >= start, JournalEntry.day <= end, JournalEntry.kind.in_(list(kinds))
    )
    if vat_rate != "any":
        query = query.where(JournalEntry.vat_rate.is_(None) if vat_rate is None else JournalEntry.vat_rate == vat_rate)
    if category_id is not None:
        query = query.where(JournalEntry.category_id == category_id)
    if company_id is not None:
        query = query.where(JournalEntry.company_id == company_id)
    return query.order_by(JournalEntry.day, JournalEntry.id)


# --- posting -----------------------------------------------------------------------------------------


def _base(posting: Posting, kind: JournalKind) -> dict[str, Any]:
    return {
        "kind": kind,
        "reason": posting.reason,
        "day": posting.on,
        "posted_at": posting.moment,
        "batch_id": posting.batch_id,
        "actor_name": posting.actor.name[:200],
        "comment": posting.comment,
    }


LINE_COLUMNS = (
    OrderLine.id,
    OrderLine.order_id,
    OrderLine.position,
    OrderLine.kind,
    OrderLine.product_id,
    OrderLine.product_name,
    OrderLine.options,
    OrderLine.quantity,
    OrderLine.vat_rate,
    OrderLine.gross_amount,
    OrderLine.discount,
    OrderLine.points,
    OrderLine.total,
    OrderLine.net_amount,
    OrderLine.vat_amount,
)


def _unit_costs(session: Session, lines: Sequence[Any]) -> dict[int, Decimal]:
    """Material cost of one unit of each product line: the product's cost price plus its option values'."""
    product_ids = {line.product_id for line in lines if line.product_id is not None}
    value_ids = {
        int(option["value_id"])
        for line in lines
        for option in line.options or []
        if isinstance(option, dict) and option.get("value_id") is not None
    }
    product_cost = (
        dict(session.execute(sa.select(Product.id, Product.cost_price).where(Product.id.in_(product_ids))).all())
        if product_ids
        else {}
    )
    value_cost = (
        dict(
            session.execute(
                sa.select(OptionValue.id, OptionValue.cost_price).where(OptionValue.id.in_(value_ids))
            ).all()
        )
        if value_ids
        else {}
    )
    costs = {}
    for line in lines:
        if line.kind != LineKind.product or line.product_id is None:
            continue
        unit = Decimal(product_cost.get(line.product_id, 0) or 0)
        for option in line.options or []:
            if isinstance(option, dict) and option.get("value_id") is not None:
                unit += Decimal(value_cost.get(int(option["value_id"]), 0) or 0)
        costs[line.id] = unit
    return costs


def post_sales(
    session: Session, order_ids: Sequence[int], posting: Posting, *, days: Mapping[int, date] | None = None
) -> list[int]:
    """Post a sale of each order's current lines, unless one is already open; returns the orders posted.
    `days` gives some orders a day of their own (backfill), instead of the posting's."""
    if not order_ids:
        return []
    open_now = open_cycles(session, order_ids)
    wanted = [i for i in order_ids if i not in open_now]
    if not wanted:
        return []
    cycles = _cycles(session, wanted, (K.sale,))
    orders = {
        row.id: row
        for chunk in sets.chunks(session, wanted)
        for row in session.execute(
            sa.select(Order.id, Order.number, Order.customer_id, Order.company_id).where(
                sets.id_filter(session, Order.id, chunk)
            )
        )
    }
    lines = [  # plain rows, not ORM objects: a mass change may realise thousands of orders at once
        line
        for chunk in sets.chunks(session, wanted)
        for line in session.execute(
            sa.select(*LINE_COLUMNS)
            .where(sets.id_filter(session, OrderLine.order_id, chunk))
            .order_by(OrderLine.order_id, OrderLine.position)
        )
    ]
    products = {line.product_id for line in lines if line.product_id is not None}
    categories = (
        {
            row.id: row
            for row in session.execute(
                sa.select(Product.id, Product.category_id, Category.name)
                .join(Category, Category.id == Product.category_id)
                .where(Product.id.in_(products))
            )
        }
        if products
        else {}
    )
    costs = _unit_costs(session, lines)
    rows = []
    for line in lines:
        order = orders[line.order_id]
        category = categories.get(line.product_id) if line.product_id is not None else None
        rows.append(
            {
                **_base(posting, K.sale),
                "order_id": order.id,
                "order_number": order.number,
                "day": (days or {}).get(order.id, posting.on),
                "cycle": cycles.get(order.id, {}).get(K.sale.value, 0) + 1,
                "line_position": line.position,
                "line_kind": line.kind,
                "product_id": line.product_id,
                "product_name": line.product_name[:200],
                "category_id": category.category_id if category else None,
                "category_name": category.name if category else "",
                "customer_id": order.customer_id,
                "company_id": order.company_id,
                "quantity": line.quantity,
                "vat_rate": line.vat_rate,
                "gross": line.gross_amount,
                "discount": line.discount,
                "points": line.points,
                "amount": line.total,
                "net": line.net_amount,
                "vat": line.vat_amount,
                "cost": to_money(costs.get(line.id, ZERO) * line.quantity),
                "payment_method": None,
            }
        )
    if rows:
        bulk_write.insert_rows(session, JOURNAL_TABLE, rows)
    return sorted({row["order_id"] for row in rows})


def _reverse(
    session: Session,
    order_ids: Sequence[int],
    posting: Posting,
    *,
    money: bool,
    kind: JournalKind,
    days: Mapping[int, date] | None = None,
) -> list[int]:
    """Post the exact negative of each order's open posting (sale or payment; a payment net of the lines already
    refunded from it); returns the orders reversed."""
    open_now = open_cycles(session, order_ids, money=money)
    if not open_now:
        return []
    forward = K.payment if money else K.sale
    refunded = _refunded_lines(session, open_now) if money else {}
    rows = []
    for chunk in sets.chunks(session, list(open_now)):
        for entry in session.execute(
            sa.select(JournalEntry.__table__)
            .where(sets.id_filter(session, JournalEntry.order_id, chunk), JournalEntry.kind == forward)
            .order_by(JournalEntry.order_id, JournalEntry.line_position)
        ).mappings():
            if entry["cycle"] != open_now[entry["order_id"]]:
                continue
            row = {
                key: value
                for key, value in entry.items()
                if key not in ("id", "kind", "reason", "day", "posted_at", "batch_id", "actor_name", "comment")
            }
            row.update(_base(posting, kind))
            row["day"] = (days or {}).get(entry["order_id"], posting.on)
            for name in _NEGATED:
                row[name] = -row[name]
            if entry["order_id"] in refunded:
                for name in ("gross", "amount", "net"):
                    row[name] -= refunded[entry["order_id"]]  # what is left of the payment
            rows.append(row)
    if rows:
        bulk_write.insert_rows(session, JOURNAL_TABLE, rows)
    return sorted({row["order_id"] for row in rows})


def _refunded_lines(session: Session, cycles: Mapping[int, int]) -> dict[int, Decimal]:
    """Per order: the money already refunded line by line from its open payment (negative)."""
    found: dict[int, Decimal] = {}
    for chunk in sets.chunks(session, list(cycles)):
        for order_id, cycle, amount in session.execute(
            sa.select(JournalEntry.order_id, JournalEntry.cycle, sa.func.sum(JournalEntry.amount))
            .where(
                sets.id_filter(session, JournalEntry.order_id, chunk),
                JournalEntry.kind == K.payment_refund,
                JournalEntry.line_position > 0,
            )
            .group_by(JournalEntry.order_id, JournalEntry.cycle)
        ):
            if cycle == cycles[order_id] and amount:
                found[order_id] = to_money(Decimal(str(amount)))
    return found


def post_line_refund(
    session: Session, order_id: int, *, position: int, amount: Decimal, posting: Posting
) -> JournalEntry | None:
    """The money for one refunded line goes back: a payment_refund of `amount` from the order's open payment, at the
    line's position (the unique key refunds a line of a payment once). Nothing for a line that cost nothing.
    ValidationError when the journal has no open payment of the order to refund from."""
    cycle = open_cycles(session, [order_id], money=True).get(order_id)
    order = session.execute(
        sa.select(Order.number, Order.customer_id, Order.company_id, Order.payment_method).where(Order.id == order_id)
    ).one()
    if cycle is None:
        raise ValidationError(
            f"Оплата заказа {order.number} не проведена в журнале реализации — сначала проведите её "
            "(flask accounting backfill), затем повторите возврат."
        )
    if amount <= 0:
        return None
    entry = JournalEntry(
        **_base(posting, K.payment_refund),
        order_id=order_id,
        order_number=order.number,
        cycle=cycle,
        line_position=position,
        line_kind=None,
        customer_id=order.customer_id,
        company_id=order.company_id,
        quantity=0,
        vat_rate=None,
        gross=-amount,
        amount=-amount,
        net=-amount,
        payment_method=order.payment_method,
    )
    session.add(entry)
    session.flush()
    return entry


def post_returns(
    session: Session, order_ids: Sequence[int], posting: Posting, *, days: Mapping[int, date] | None = None
) -> list[int]:
    """Reverse each order's open sale by its recorded amounts (nothing for an order without one)."""
    return _reverse(session, order_ids, posting, money=False, kind=K.sale_return, days=days)


def post_payment_refunds(
    session: Session, order_ids: Sequence[int], posting: Posting, *, days: Mapping[int, date] | None = None
) -> list[int]:
    """Reverse each order's open payment: the money went back."""
    return _reverse(session, order_ids, posting, money=True, kind=K.payment_refund, days=days)


def post_payments(session: Session, paid: dict[int, datetime], posting: Posting) -> list[int]:
    """Post a payment of each order's amount due, dated the shop-local day it was received (unless one is
    open already); `paid` maps order id → when the money came."""
    if not paid:
        return []
    ids = list(paid)
    open_now = open_cycles(session, ids, money=True)
    wanted = [i for i in ids if i not in open_now]
    cycles = _cycles(session, wanted, (K.payment,))
    rows = []
    for chunk in sets.chunks(session, wanted):
        for order in session.execute(
            sa.select(
                Order.id, Order.number, Order.customer_id, Order.company_id, Order.amount_due, Order.payment_method
            ).where(sets.id_filter(session, Order.id, chunk))
        ):
            rows.append(
                {
                    **_base(posting, K.payment),
                    "day": shop_today(paid[order.id]),
                    "order_id": order.id,
                    "order_number": order.number,
                    "cycle": cycles.get(order.id, {}).get(K.payment.value, 0) + 1,
                    "line_position": 0,
                    "line_kind": None,
                    "customer_id": order.customer_id,
                    "company_id": order.company_id,
                    "quantity": 0,
                    "vat_rate": None,
                    "gross": order.amount_due,
                    "amount": order.amount_due,
                    "net": order.amount_due,
                    "payment_method": order.payment_method,
                }
            )
    if rows:
        bulk_write.insert_rows(session, JOURNAL_TABLE, rows)
    return sorted(row["order_id"] for row in rows)


def repost_orders(session: Session, order_ids: Sequence[int], *, actor: Actor, comment: str = "") -> list[int]:
    """A realised order's lines changed: return the old sale by its recorded amounts, post the new lines."""
    posting = Posting(now(), actor, JournalReason.correction, comment)
    returned = post_returns(session, order_ids, posting)
    post_sales(session, returned, posting)
    return returned


@dataclass
class BackfillReport:
    sales: int = 0
    returns: int = 0
    payments: int = 0
    refunds: int = 0

    def add(self, other: BackfillReport) -> None:
        self.sales += other.sales
        self.returns += other.returns
        self.payments += other.payments
        self.refunds += other.refunds

    def summary(self) -> str:
        return (
            f"Проведено по данным заказов: реализаций {self.sales}, возвратов {self.returns}, "
            f"оплат {self.payments}, возвратов оплаты {self.refunds}."
        )


def backfill(
    session: Session, *, actor: Actor | None = None, id_range: tuple[int, int] | None = None
) -> BackfillReport:
    """Post orders the journal has not seen (older than the journal, or bulk data) from their own dates and
    recorded lines: a sale on the realisation day (shipped_at), its return on the refund or cancellation day
    if the order is no longer realised; a payment on paid_at, its refund on refunded_at. An order with
    sale-side (or money-side) entries already is left alone on that side, so running it again posts nothing.
    `id_range` (first, last order id) limits it to those orders (a bulk load posts each batch it writes)."""
    actor = actor or Actor.system("backfill")
    posting = Posting(now(), actor, JournalReason.backfill, "")
    report = BackfillReport()

    def no_entries(*kinds: JournalKind) -> sa.ColumnElement[bool]:
        unseen = ~sa.exists().where(JournalEntry.order_id == Order.id, JournalEntry.kind.in_(kinds))
        return unseen if id_range is None else sa.and_(Order.id.between(*id_range), unseen)

    realised = session.execute(
        sa.select(Order.id, Order.status, Order.shipped_at, Order.refunded_at, Order.cancelled_at, Order.updated_at)
        .where(Order.shipped_at.is_not(None), no_entries(*SALE_SIDE))
        .order_by(Order.id)
    ).all()
    sold = post_sales(
        session, [r.id for r in realised], posting, days={r.id: shop_today(r.shipped_at) for r in realised}
    )
    report.sales = len(sold)
    taken_back = {
        r.id: shop_today(r.refunded_at or r.cancelled_at or r.updated_at)
        for r in realised
        if r.status not in REALISED_STATUSES
    }
    report.returns = len(post_returns(session, list(taken_back), posting, days=taken_back))

    paid = session.execute(
        sa.select(Order.id, Order.paid_at, Order.payment_status, Order.refunded_at, Order.updated_at)
        .where(Order.paid_at.is_not(None), no_entries(*MONEY_SIDE))
        .order_by(Order.id)
    ).all()
    report.payments = len(post_payments(session, {r.id: r.paid_at for r in paid}, posting))
    refunded = {
        r.id: shop_today(r.refunded_at or r.updated_at) for r in paid if r.payment_status == PaymentStatus.refunded
    }
    report.refunds = len(post_payment_refunds(session, list(refunded), posting, days=refunded))
    session.flush()
    return report


# --- the effects -------------------------------------------------------------------------------------


def _return_reason(transition: Transition, new: OrderStatus) -> JournalReason:
    if transition.undoes is not None:
        return JournalReason.undo
    if new == S.cancelled:
        return JournalReason.cancellation
    if new == S.refunded:
        return JournalReason.refund
    return JournalReason.correction


@on_status_change(order=20)
def post_status_changes(transition: Transition) -> None:
    """Sales and returns for the orders whose realisation a status change made or unmade; the payment's
    refund when money goes back, and the payment again when that refund is undone."""
    session = transition.session
    undo = transition.undoes is not None

    def posting(reason: JournalReason) -> Posting:
        return Posting(transition.moment, transition.actor, reason, transition.comment, transition.batch_id)

    realised = [c.order_id for c in transition.changes if c.new in REALISED_STATUSES and c.old not in REALISED_STATUSES]
    post_sales(session, realised, posting(JournalReason.undo if undo else JournalReason.realised))

    by_reason: dict[JournalReason, list[int]] = defaultdict(list)
    for change in transition.changes:
        if change.old in REALISED_STATUSES and change.new not in REALISED_STATUSES:
            by_reason[_return_reason(transition, change.new)].append(change.order_id)
    for reason, ids in by_reason.items():
        post_returns(session, ids, posting(reason))

    refunded = [c.order_id for c in transition.changes if c.new == S.refunded]
    post_payment_refunds(session, refunded, posting(JournalReason.refund))
    if undo:
        unrefunded = [c.order_id for c in transition.changes if c.old == S.refunded]
        paid_at = (
            dict(
                session.execute(
                    sa.select(Order.id, Order.paid_at).where(
                        Order.id.in_(unrefunded), Order.payment_status == PaymentStatus.paid
                    )
                ).all()
            )
            if unrefunded
            else {}
        )
        # The money is counted as received again on the day the refund was taken back.
        post_payments(session, dict.fromkeys(paid_at, transition.moment), posting(JournalReason.undo))


@on_payment(order=20)
def post_received_payments(payment: Payment) -> None:
    """Money received: one payment entry per order, dated the day it came."""
    post_payments(
        payment.session,
        {c.order_id: c.paid_at for c in payment.changes},
        Posting(payment.moment, payment.actor, JournalReason.paid, payment.comment),
    )


@refunds.on_line_refunded(order=10)
def post_refunded_line(refund: refunds.LineRefund) -> None:
    """A line refunded from a paid order: its money goes back (a partial refund of the payment, dated today) and a
    realised order's sale is corrected — the old sale returned by its recorded amounts, the remaining lines posted."""
    what = f"Возврат позиции {refund.position} «{refund.product_name}»: {refund.comment}"
    post_line_refund(
        refund.session,
        refund.order_id,
        position=refund.position,
        amount=refund.amount,
        posting=Posting(refund.moment, refund.actor, JournalReason.refund, what),
    )
    repost_orders(refund.session, [refund.order_id], actor=refund.actor, comment=what)
