"""Bonus points: the append-only ledger (the one source of truth), each customer's account row (a cached balance
and tier, locked when points are spent), and the loyalty settings (each change a new row: the history)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ActorKind, AppendOnly, LabelledEnum, Model, UTCDateTime, enum_column, utcnow
from app.models.customers import Customer

# In the keys of the entries a refund of one order line posts («Вернуть позицию»): `reverse:<order>:line:<n>`.
LINE_REFUND_KEY = ":line:"


class EntryKind(LabelledEnum):
    earn_pending = "earn_pending"  # earned by a paid order, pending until the return window passes
    activate = "activate"  # pending → available
    spend = "spend"  # paid part of an order
    return_spent = "return_spent"  # an order cancelled or refunded: what it spent comes back
    reverse = "reverse"  # an order cancelled or refunded: what it earned is taken away
    expire = "expire"  # available points past their term (FIFO)
    adjust = "adjust"  # by staff, with a reason
    referral_reward = "referral_reward"  # the referrer's reward for a friend's first order
    referral_welcome = "referral_welcome"  # the invited friend's welcome points

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "earn_pending": "Начислено (ожидает)",
            "activate": "Стали доступны",
            "spend": "Списано на заказ",
            "return_spent": "Возвращено",
            "reverse": "Отменено начисление",
            "expire": "Сгорели",
            "adjust": "Корректировка",
            "referral_reward": "За приглашённого друга",
            "referral_welcome": "Приветственные баллы",
        }


class Tier(LabelledEnum):
    start = "start"
    regular = "regular"
    partner = "partner"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"start": "Старт", "regular": "Постоянный", "partner": "Партнёр"}


class LoyaltyEntry(AppendOnly, Model):
    """One movement of a customer's points: `available` and `pending` are the changes of the two balances
    (whole points, signed). Never updated or deleted (triggers); a correction is a new entry.

    `key` makes an operation happen once however often it is asked for (an order earns once, is reversed
    once …); the database keeps it unique.
    """

    __tablename__ = "loyalty_entry"
    __table_args__ = (
        sa.CheckConstraint("available <> 0 OR pending <> 0", name="moves_points"),
        sa.Index("ix_loyalty_entry_customer_created", "customer_id", "created_at"),
        sa.Index("ix_loyalty_entry_kind_created", "kind", "created_at"),
        sa.Index("ix_loyalty_entry_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), nullable=False)
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, "loyalty_entry_kind", 30), nullable=False)
    available: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    pending: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    reason: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    actor_kind: Mapped[ActorKind] = mapped_column(enum_column(ActorKind, "actor_kind"), nullable=False)
    actor_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    customer: Mapped[Customer] = relationship(foreign_keys=[customer_id])
    order = relationship("Order")

    @property
    def points(self) -> int:
        return self.available + self.pending

    @property
    def customer_note(self) -> str:
        """The reason the customer sees beside the entry: a staff adjustment's, a refunded line's."""
        if self.kind == EntryKind.adjust or LINE_REFUND_KEY in self.key:
            return self.reason
        return ""


class LoyaltyAccount(Model):
    """A customer's balances as sums of the ledger, updated in the same transaction as each entry (checked by
    tests against the sums), and the row a spend locks. `available` may go below zero only when earned
    points are taken back after being spent (a debt that future earnings pay off)."""

    __tablename__ = "loyalty_account"
    __table_args__ = (sa.CheckConstraint("pending >= 0", name="pending_non_negative"),)

    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer.id", ondelete="RESTRICT"), primary_key=True, autoincrement=False
    )
    available: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False, index=True)
    pending: Mapped[int] = mapped_column(sa.Integer, default=0, nullable=False)
    tier: Mapped[Tier] = mapped_column(enum_column(Tier, "loyalty_tier"), default=Tier.start, nullable=False)
    # The sum of completed orders over the last 12 months, when the tier was last computed.
    tier_turnover: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), default=Decimal("0"), nullable=False)
    tier_computed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    customer: Mapped[Customer] = relationship()


class LoyaltySettings(AppendOnly, Model):
    """The programme's rules; every change is a new row (the newest is in force), so the rows are the history."""

    __tablename__ = "loyalty_settings"
    __table_args__ = (
        sa.CheckConstraint(
            "start_rate BETWEEN 0 AND 100 AND regular_rate BETWEEN 0 AND 100 AND partner_rate BETWEEN 0 AND 100",
            name="rates_range",
        ),
        sa.CheckConstraint(
            "start_cap BETWEEN 0 AND 100 AND regular_cap BETWEEN 0 AND 100 AND partner_cap BETWEEN 0 AND 100",
            name="caps_range",
        ),
        sa.CheckConstraint("regular_from > 0 AND partner_from > regular_from", name="thresholds_ordered"),
        sa.CheckConstraint("min_order_total >= 0", name="min_order_non_negative"),
        sa.CheckConstraint("return_window_days BETWEEN 0 AND 365", name="window_range"),
        sa.CheckConstraint("expiry_days BETWEEN 30 AND 3650", name="expiry_range"),
        sa.CheckConstraint("warning_days BETWEEN 1 AND 90", name="warning_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Earn rate and spend cap (percent of the products' amount) per tier.
    start_rate: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    regular_rate: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    partner_rate: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    start_cap: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    regular_cap: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    partner_cap: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    # Completed orders over 12 months (₽) from which a tier starts.
    regular_from: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    partner_from: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    min_order_total: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    return_window_days: Mapped[int] = mapped_column(nullable=False)
    expiry_days: Mapped[int] = mapped_column(nullable=False)
    warning_days: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    comment: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
