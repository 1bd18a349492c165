"""Accounting: the sales journal (журнал реализации), the one posted record every money figure is summed from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import ZERO, AppendOnly, LabelledEnum, Model, Money, UTCDateTime, enum_column, utcnow
from app.models.orders import LineKind, PaymentMethod


class JournalKind(LabelledEnum):
    sale = "sale"
    sale_return = "return"
    payment = "payment"
    payment_refund = "payment_refund"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "sale": "Реализация",
            "return": "Возврат",
            "payment": "Оплата",
            "payment_refund": "Возврат оплаты",
        }


class JournalReason(LabelledEnum):
    """Why an entry was posted: what happened to the order."""

    realised = "realised"  # handed over or shipped
    refund = "refund"  # refunded after realisation (a return) or money given back
    cancellation = "cancellation"  # cancelled after realisation
    correction = "correction"  # a realised order's lines changed: the old sale reversed, the new one posted
    undo = "undo"  # a mass status change taken back
    paid = "paid"  # money received
    backfill = "backfill"  # posted afterwards from the order's own dates (`flask accounting backfill`)

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "realised": "Реализация",
            "refund": "Возврат",
            "cancellation": "Отмена после реализации",
            "correction": "Исправление",
            "undo": "Отмена массовой операции",
            "paid": "Оплата",
            "backfill": "Проведено по данным заказа",
        }


class JournalEntry(AppendOnly, Model):
    """One posted entry: a sale per order line (and VAT rate), its exact negative on a return, a payment.

    Signs: sales and payments positive, returns and refunds of payments negative, so every figure is a plain
    sum. `day` is the shop-local calendar day of the event: the one date rule every report buckets by.
    `cycle` numbers an order's realisations (and, for payments, its payments): the n-th return reverses the
    n-th sale; the unique key makes every posting happen once, whatever repeats.
    """

    __tablename__ = "journal_entry"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "kind", "cycle", "line_position", name="uq_journal_entry_posting"),
        sa.CheckConstraint("cycle > 0", name="cycle_positive"),
        sa.CheckConstraint("round(net + vat - amount, 2) = 0", name="vat_consistent"),
        sa.CheckConstraint("round(amount - gross + discount + points, 2) = 0", name="amount_consistent"),
        sa.Index("ix_journal_entry_day_kind", "day", "kind"),
        sa.Index("ix_journal_entry_order_id", "order_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JournalKind] = mapped_column(enum_column(JournalKind, "journal_kind"), nullable=False)
    reason: Mapped[JournalReason] = mapped_column(enum_column(JournalReason, "journal_reason"), nullable=False)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False)
    order_number: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    cycle: Mapped[int] = mapped_column(nullable=False)
    # The order line's position (0 for payments); a line's product and category as they were when posted.
    line_position: Mapped[int] = mapped_column(nullable=False)
    line_kind: Mapped[LineKind | None] = mapped_column(enum_column(LineKind, "journal_line_kind"))
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id", ondelete="SET NULL"), index=True)
    product_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("category.id", ondelete="SET NULL"), index=True)
    category_name: Mapped[str] = mapped_column(sa.String(120), default="", nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(default=0, nullable=False)
    vat_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # None: без НДС
    # gross (before discounts) − discount (promo) − points (bonus points) = amount = net + vat; all signed.
    gross: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    discount: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    points: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    net: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    vat: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    # Cost of goods (material cost price × quantity) when posted; signed like the amount.
    cost: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    payment_method: Mapped[PaymentMethod | None] = mapped_column(enum_column(PaymentMethod, "journal_payment_method"))
    batch_id: Mapped[str | None] = mapped_column(sa.String(36))
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    comment: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)

    @property
    def is_sale_side(self) -> bool:
        return self.kind in (JournalKind.sale, JournalKind.sale_return)
