"""The referral programme: each customer's personal link code, one referral per invited friend (its state, the
first order, the fraud signals found, the staff decision), and the programme's settings (each change a new row:
the history). Rewards themselves are entries of the points ledger (`loyalty_entry`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import AppendOnly, LabelledEnum, Model, UTCDateTime, enum_column, utcnow
from app.models.customers import Customer


class ReferralState(LabelledEnum):
    registered = "registered"  # the friend signed up through the link
    held = "held"  # the first order raised a signal: staff decide
    pending = "pending"  # rewards granted, pending until the order is completed and its return window passes
    rewarded = "rewarded"  # rewards available
    rejected = "rejected"  # refused by a rule or by staff
    reversed = "reversed"  # the first order was cancelled or refunded: rewards taken back

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "registered": "Зарегистрировался",
            "held": "На проверке",
            "pending": "Первый заказ",
            "rewarded": "Бонус начислен",
            "rejected": "Отклонён",
            "reversed": "Бонус отменён",
        }


class FriendReward(LabelledEnum):
    discount = "discount"  # a one-use personal promo code for the first order
    points = "points"  # welcome points with the first order

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"discount": "Скидка на первый заказ", "points": "Приветственные баллы"}


class ReferralCode(Model):
    """A customer's link code (`/r/<code>`): random, short, not derived from the customer id."""

    __tablename__ = "referral_code"

    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    code: Mapped[str] = mapped_column(sa.String(16), unique=True, nullable=False)
    visits: Mapped[int] = mapped_column(default=0, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    customer: Mapped[Customer] = relationship()


class ReferralVisit(Model):
    """Openings of a link per shop day (a browser that already holds the link's code is not counted again)."""

    __tablename__ = "referral_visit"

    code: Mapped[str] = mapped_column(sa.String(16), primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, primary_key=True, index=True)
    visits: Mapped[int] = mapped_column(default=0, nullable=False)


class Referral(Model):
    """One invited friend (one row per friend, whoever invited them)."""

    __tablename__ = "referral"
    __table_args__ = (
        sa.Index("ix_referral_referrer_created", "referrer_id", "created_at"),
        sa.Index("ix_referral_code_ip_created", "code", "signup_ip", "created_at"),
        sa.CheckConstraint("reward_points >= 0 AND welcome_points >= 0", name="points_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    referrer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), nullable=False)
    friend_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), unique=True)
    code: Mapped[str] = mapped_column(sa.String(16), nullable=False)
    signup_ip: Mapped[str] = mapped_column(sa.String(64), default="", nullable=False)
    state: Mapped[ReferralState] = mapped_column(
        enum_column(ReferralState, "referral_state"), default=ReferralState.registered, nullable=False, index=True
    )
    # What the customer is told when refused (plain words, no fraud details); staff see `signals` too.
    reason: Mapped[str] = mapped_column(sa.String(300), default="", nullable=False)
    signals: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    flagged: Mapped[bool] = mapped_column(default=False, nullable=False, index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    promo_code_id: Mapped[int | None] = mapped_column(sa.ForeignKey("promo_code.id", ondelete="SET NULL"))
    # The amounts granted (recorded once, never recomputed).
    reward_points: Mapped[int] = mapped_column(default=0, nullable=False)
    welcome_points: Mapped[int] = mapped_column(default=0, nullable=False)
    reviewed_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    review_comment: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    first_order_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    rewarded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    referrer: Mapped[Customer] = relationship(foreign_keys=[referrer_id])
    friend: Mapped[Customer] = relationship(foreign_keys=[friend_id])
    order = relationship("Order")

    def __str__(self) -> str:
        return f"#{self.id}"


class ReferralSettings(AppendOnly, Model):
    """The programme's rules; every change is a new row (the newest is in force), so the rows are the history."""

    __tablename__ = "referral_settings"
    __table_args__ = (
        sa.CheckConstraint("referrer_points BETWEEN 0 AND 100000", name="referrer_points_range"),
        sa.CheckConstraint("friend_points BETWEEN 0 AND 100000", name="friend_points_range"),
        sa.CheckConstraint("friend_discount BETWEEN 1 AND 50", name="friend_discount_range"),
        sa.CheckConstraint("min_order_total >= 0", name="min_order_non_negative"),
        sa.CheckConstraint("signups_per_ip_day >= 1 AND rewards_per_month >= 1", name="limits_positive"),
        sa.CheckConstraint("cookie_days BETWEEN 1 AND 365", name="cookie_days_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True, nullable=False)
    referrer_points: Mapped[int] = mapped_column(nullable=False)
    friend_reward: Mapped[FriendReward] = mapped_column(enum_column(FriendReward, "friend_reward"), nullable=False)
    friend_discount: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    friend_points: Mapped[int] = mapped_column(nullable=False)
    min_order_total: Mapped[Decimal] = mapped_column(sa.Numeric(14, 2), nullable=False)
    signups_per_ip_day: Mapped[int] = mapped_column(nullable=False)
    rewards_per_month: Mapped[int] = mapped_column(nullable=False)
    cookie_days: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    comment: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
