"""Orders: the order, its lines (a snapshot of what was bought), its history, batches of mass actions, counters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    ZERO,
    ChangeRecordMixin,
    JSONType,
    LabelledEnum,
    Model,
    Money,
    UTCDateTime,
    enum_column,
    prefix_index,
    shop_day_of_created,
    trigram_index,
    utcnow,
)
from app.models.customers import Customer
from app.models.files import StoredFile

if TYPE_CHECKING:
    from app.models.companies import Company


class OrderStatus(LabelledEnum):
    new = "new"
    confirmed = "confirmed"
    in_production = "in_production"
    ready = "ready"
    shipped = "shipped"
    handed_over = "handed_over"
    completed = "completed"
    cancelled = "cancelled"
    refunded = "refunded"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "new": "Новый",
            "confirmed": "Принят",
            "in_production": "В печати",
            "ready": "Готов",
            "shipped": "Отправлен",
            "handed_over": "Выдан",
            "completed": "Завершён",
            "cancelled": "Отменён",
            "refunded": "Возврат",
        }


class PaymentStatus(LabelledEnum):
    unpaid = "unpaid"
    paid = "paid"
    refunded = "refunded"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"unpaid": "Не оплачен", "paid": "Оплачен", "refunded": "Возвращён"}


class PaymentMethod(LabelledEnum):
    on_receipt = "on_receipt"
    invoice = "invoice"
    card_online = "card_online"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "on_receipt": "При получении",
            "invoice": "Безналичный расчёт по счёту",
            "card_online": "Картой онлайн",
        }


class DeliveryMethod(LabelledEnum):
    pickup = "pickup"
    courier = "courier"
    post = "post"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"pickup": "Самовывоз", "courier": "Курьер", "post": "Почта России"}


class LineKind(LabelledEnum):
    product = "product"
    delivery = "delivery"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"product": "Товар", "delivery": "Доставка"}


class OrderNumberCounter(Model):
    """The last order number used in a year (shop time zone); incremented atomically."""

    __tablename__ = "order_number_counter"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0, nullable=False)


class Order(Model):
    __tablename__ = "orders"
    # The sums are compared rounded to kopecks: SQLite keeps NUMERIC as binary floats.
    __table_args__ = (
        sa.CheckConstraint("goods_total >= 0", name="goods_total_non_negative"),
        sa.CheckConstraint("discount_total >= 0 AND discount_total <= goods_total", name="discount_range"),
        sa.CheckConstraint("round(total - goods_total + discount_total + points_paid, 2) = 0", name="total_consistent"),
        sa.CheckConstraint(
            "points_paid >= 0 AND round(discount_total + points_paid - goods_total, 2) <= 0", name="points_range"
        ),
        sa.CheckConstraint("round(amount_due - total, 2) = 0", name="amount_due_consistent"),
        sa.Index("ix_order_status_created", "status", "created_at"),
        sa.Index("ix_order_created_at", "created_at"),
        sa.Index("ix_order_contact_email", "contact_email"),
        sa.Index("ix_order_contact_phone", "contact_phone"),
        sa.Index("ix_order_customer_created", "customer_id", "created_at"),
        prefix_index("ix_order_number_prefix", "number"),
        trigram_index("ix_order_contact_email_trgm", "contact_email"),
        trigram_index("ix_order_contact_name_trgm", "contact_name"),
        trigram_index("ix_order_contact_phone_trgm", "contact_phone"),
        sa.CheckConstraint("packages BETWEEN 1 AND 999", name="packages_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True, nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    # Ordered on behalf of a company (its members see it by role); None: a personal order.
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id", ondelete="RESTRICT"), index=True)
    status: Mapped[OrderStatus] = mapped_column(
        enum_column(OrderStatus, "order_status"), default=OrderStatus.new, nullable=False
    )
    payment_status: Mapped[PaymentStatus] = mapped_column(
        enum_column(PaymentStatus, "payment_status"), default=PaymentStatus.unpaid, nullable=False, index=True
    )
    payment_method: Mapped[PaymentMethod] = mapped_column(
        enum_column(PaymentMethod, "payment_method"), nullable=False, index=True
    )
    delivery_method: Mapped[DeliveryMethod] = mapped_column(
        enum_column(DeliveryMethod, "delivery_method"), nullable=False, index=True
    )
    contact_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    contact_email: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    contact_phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    delivery_address: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    # The saved address used at checkout, copied: editing the address book never changes a past order.
    delivery_address_snapshot: Mapped[dict | None] = mapped_column(JSONType)
    # A private customer's default billing address at checkout (the payer on the order confirmation), copied the
    # same way; None for a company's order (its documents carry the company's legal address) and for orders
    # placed before billing addresses existed.
    billing_address_snapshot: Mapped[dict | None] = mapped_column(JSONType)
    comment: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    # The ready date promised at checkout (products' production days on the shop's working calendar); the
    # customer is shown `due_date` once staff set it, this one before.
    expected_date: Mapped[date | None] = mapped_column(sa.Date)
    # The staff member in charge of the order (Flask-AppBuilder user), and how many parcels it ships in.
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    packages: Mapped[int] = mapped_column(default=1, server_default="1", nullable=False)

    @property
    def promised_date(self) -> date | None:
        """The ready date the customer is told: staff's due date when set, else the one promised at checkout."""
        return self.due_date or self.expected_date

    promo_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("promo_code.id", ondelete="RESTRICT"), index=True)
    promo_code_text: Mapped[str] = mapped_column(sa.String(40), default="", nullable=False)

    # Money, all sums of the lines: goods_total (before discounts) − discount_total (promo code) − points_paid
    # (bonus points, a discount of the shop's own) = total, the VAT base and what is paid in money (amount_due).
    goods_total: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    discount_total: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    total: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    vat_total: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    points_paid: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    amount_due: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)

    # Idempotency: the token of the checkout form that created the order.
    checkout_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # The shop-local day the order was placed (SHOP_TIMEZONE, daylight saving included), set on insert from
    # `created_at`: the order-day rollups key on it, so their day is the application's, never a fixed offset.
    placed_day: Mapped[date | None] = mapped_column(sa.Date, default=shop_day_of_created)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()
    company: Mapped[Company | None] = relationship()
    promo_code: Mapped[PromoCode | None] = relationship()
    assignee: Mapped[User | None] = relationship(User, foreign_keys=[assignee_id])
    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", order_by="OrderLine.position", cascade="all, delete-orphan"
    )
    tracking: Mapped[list[OrderTracking]] = relationship(order_by="OrderTracking.id", cascade="all, delete-orphan")
    history: Mapped[list[OrderHistory]] = relationship(
        back_populates="order", order_by="OrderHistory.id", viewonly=True
    )

    @property
    def product_lines(self) -> list[OrderLine]:
        return [line for line in self.lines if line.kind == LineKind.product]

    def __str__(self) -> str:
        return self.number


class OrderLine(Model):
    """What was bought, frozen at checkout: later catalog changes never alter it."""

    __tablename__ = "order_line"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "position", name="uq_order_line_order_position"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("discount >= 0 AND discount <= gross_amount", name="discount_range"),
        sa.CheckConstraint("points >= 0 AND round(discount + points - gross_amount, 2) <= 0", name="points_range"),
        sa.CheckConstraint("round(total - gross_amount + discount + points, 2) = 0", name="total_consistent"),
        sa.CheckConstraint("round(net_amount + vat_amount - total, 2) = 0", name="vat_consistent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(nullable=False)
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind, "line_kind"), default=LineKind.product, nullable=False)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id", ondelete="SET NULL"), index=True)
    # The product's category when the line was added, set by the database (trigger of the dashboard's placed-orders
    # rollup): an order counts in a category while it has a line of it, whatever the product's category becomes.
    category_id: Mapped[int | None] = mapped_column(sa.Integer, server_default=sa.FetchedValue())
    product_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # [{"group": "Бумага", "value": "Мелованная 300 г/м²", "value_id": 12}, ...]
    options: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    quantity: Mapped[int] = mapped_column(nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(Money, nullable=False)  # gross / quantity, for display
    gross_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)  # before discount, VAT included
    discount: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)  # promo code
    # Bonus points (1 point = 1 ₽) spent on this line: the seller's own discount, so VAT and revenue are after it.
    points: Mapped[Decimal] = mapped_column(Money, default=ZERO, server_default="0", nullable=False)
    total: Mapped[Decimal] = mapped_column(Money, nullable=False)  # gross − discount − points: what is paid
    vat_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # None: без НДС
    vat_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    net_amount: Mapped[Decimal] = mapped_column(Money, nullable=False)
    layout_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), index=True)
    # The layout's preflight report at checkout, and whether the customer accepted printing it as it is.
    preflight: Mapped[dict | None] = mapped_column(JSONType)
    print_as_is: Mapped[bool] = mapped_column(default=False, nullable=False)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project.id", ondelete="SET NULL"), index=True)

    order: Mapped[Order] = relationship(back_populates="lines")
    layout_file: Mapped[StoredFile | None] = relationship()

    @property
    def options_label(self) -> str:
        return ", ".join(f"{o['group']}: {o['value']}" for o in self.options)


class BatchKind(LabelledEnum):
    status = "status"
    undo = "undo"
    assign = "assign"
    labels = "labels"
    payment = "payment"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "status": "Смена статуса",
            "undo": "Отмена массовой операции",
            "assign": "Назначение ответственного",
            "labels": "Печать этикеток",
            "payment": "Отметка об оплате",
        }


class OrderTracking(Model):
    """A tracking number of an order's shipment (or of one of its packages) with the carrier."""

    __tablename__ = "order_tracking"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "carrier", "number", name="uq_order_tracking_order_carrier_number"),
        sa.CheckConstraint("package IS NULL OR package >= 1", name="package_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    carrier: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    number: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    package: Mapped[int | None] = mapped_column()  # None: the whole order
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)


class OrderBatch(Model):
    """One mass action over many orders: its history entries share this id; skipped orders keep their reason."""

    __tablename__ = "order_batch"
    __table_args__ = (
        sa.CheckConstraint("changed_count >= 0 AND skipped_count >= 0", name="counts_non_negative"),
        sa.Index("ix_order_batch_staff_created", "staff_id", "created_at"),
    )

    id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    kind: Mapped[BatchKind] = mapped_column(enum_column(BatchKind, "batch_kind"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # What the batch set: a status value, the assignee's name, a label format.
    target: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    comment: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    changed_count: Mapped[int] = mapped_column(default=0, nullable=False)
    skipped_count: Mapped[int] = mapped_column(default=0, nullable=False)
    # [{"number": "2026-000123", "reason": "нельзя из «Выдан» в «В печати»"}, ...]
    skipped: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    # An undo batch names the batch it reverts; unique, so a batch is undone at most once.
    undoes_id: Mapped[str | None] = mapped_column(sa.ForeignKey("order_batch.id", ondelete="RESTRICT"), unique=True)


class OrderHistory(ChangeRecordMixin, Model):
    """Append-only record of every change to an order: who, when, what, old → new.

    Written by app/services/orders/history.py only; the database refuses UPDATE and DELETE (triggers).
    """

    __tablename__ = "order_history"
    __table_args__ = (sa.Index("ix_order_history_order_id_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), nullable=False)
    batch_id: Mapped[str | None] = mapped_column(
        sa.String(36), sa.ForeignKey("order_batch.id", ondelete="RESTRICT"), index=True
    )
    # The part of the order the entry is about, in words (a line: «поз. 2 «Листовки»»); empty for the order.
    subject: Mapped[str] = mapped_column(sa.String(200), default="", server_default="", nullable=False)

    order: Mapped[Order] = relationship(back_populates="history")


class PromoKind(LabelledEnum):
    percent = "percent"
    fixed = "fixed"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"percent": "Процент", "fixed": "Сумма, ₽"}


class PromoCode(Model):
    __tablename__ = "promo_code"
    __table_args__ = (
        sa.CheckConstraint("value > 0", name="value_positive"),
        sa.CheckConstraint("kind <> 'percent' OR value <= 100", name="percent_at_most_100"),
        sa.CheckConstraint("usage_limit IS NULL OR usage_limit > 0", name="usage_limit_positive"),
        sa.CheckConstraint("per_customer_limit IS NULL OR per_customer_limit > 0", name="per_customer_positive"),
        sa.CheckConstraint("times_used >= 0", name="times_used_non_negative"),
        sa.CheckConstraint("min_order_total >= 0", name="min_order_non_negative"),
        sa.CheckConstraint("valid_until IS NULL OR valid_from IS NULL OR valid_until >= valid_from", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(40), unique=True, nullable=False)  # stored upper-case
    description: Mapped[str] = mapped_column(sa.String(255), default="", nullable=False)
    kind: Mapped[PromoKind] = mapped_column(enum_column(PromoKind, "promo_kind"), nullable=False)
    value: Mapped[Decimal] = mapped_column(Money, nullable=False)
    # Shop-local calendar days, both inclusive.
    valid_from: Mapped[date | None] = mapped_column(sa.Date)
    valid_until: Mapped[date | None] = mapped_column(sa.Date)
    usage_limit: Mapped[int | None] = mapped_column()
    per_customer_limit: Mapped[int | None] = mapped_column()
    min_order_total: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    times_used: Mapped[int] = mapped_column(default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    def __str__(self) -> str:
        return self.code


class PromoRedemption(Model):
    """One use of a promo code, held by the order that used it; the database keeps per-customer limits.

    `seq` numbers a customer's uses of a code from 1 to the code's per-customer limit (NULL when the code has
    none): two checkouts racing for the same use insert the same (code, customer, seq) and the unique key
    refuses the second. Cancelling the order deletes its row, which frees the use.
    """

    __tablename__ = "promo_redemption"
    __table_args__ = (
        sa.UniqueConstraint("promo_code_id", "customer_id", "seq", name="uq_promo_redemption_customer_use"),
        sa.CheckConstraint("seq IS NULL OR seq > 0", name="seq_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    promo_code_id: Mapped[int] = mapped_column(sa.ForeignKey("promo_code.id", ondelete="RESTRICT"), nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), unique=True, nullable=False)
    seq: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
