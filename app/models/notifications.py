"""The notification outbox: one row per message to deliver, written in the transaction of the event."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONType, LabelledEnum, Model, UTCDateTime, enum_column, utcnow
from app.models.customers import Customer


class Channel(LabelledEnum):
    email = "email"
    telegram = "telegram"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"email": "Email", "telegram": "Telegram"}


class DeliveryState(LabelledEnum):
    pending = "pending"  # waiting for its next attempt
    sending = "sending"  # claimed by a sender
    sent = "sent"
    failed = "failed"  # permanently: not retried
    cancelled = "cancelled"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "pending": "В очереди",
            "sending": "Отправляется",
            "sent": "Доставлено",
            "failed": "Ошибка",
            "cancelled": "Отменено",
        }


class Notification(Model):
    """An outgoing message. The text is rendered at delivery from `event` + `payload`.

    `recipient` is the email address, or empty for Telegram (the chat is looked up at delivery,
    so an unlinked chat is never written to).
    """

    __tablename__ = "notification"
    __table_args__ = (
        sa.Index("ix_notification_due", "state", "next_attempt_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"), nullable=False)
    event: Mapped[str] = mapped_column(sa.String(40), nullable=False, index=True)
    recipient: Mapped[str] = mapped_column(sa.String(255), default="", nullable=False)
    payload: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # Set once delivered (or at failure), so staff see what was sent.
    subject: Mapped[str] = mapped_column(sa.String(255), default="", nullable=False)
    state: Mapped[DeliveryState] = mapped_column(
        enum_column(DeliveryState, "delivery_state"), default=DeliveryState.pending, nullable=False
    )
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_error: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Guards against queuing the same message twice (a newsletter per subscriber, say).
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    # The sender that claimed the row and until when; a row whose lease ran out is claimed again.
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The plain-text body as delivered (or as it would have been), for staff.
    body_text: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)

    customer: Mapped[Customer | None] = relationship()


class NotificationPreferences(Model):
    """A customer's choices: channels per event, which order statuses to hear about, Telegram quiet hours.

    No row means the defaults; an event missing from `channels` also takes its default.
    """

    __tablename__ = "notification_preferences"
    __table_args__ = (
        sa.CheckConstraint("quiet_from >= 0 AND quiet_from <= 23", name="quiet_from_hour"),
        sa.CheckConstraint("quiet_to >= 0 AND quiet_to <= 23", name="quiet_to_hour"),
    )

    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # {"order_status": ["email", "telegram"], "points_credited": [], ...}
    channels: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)
    # Order statuses that send an "order status changed" message; None: all of them.
    order_statuses: Mapped[list | None] = mapped_column(JSONType)
    quiet_hours: Mapped[bool] = mapped_column(default=False, nullable=False)
    # The same quiet hours for email notifications about orders and the like (account emails are never held).
    quiet_email: Mapped[bool] = mapped_column(default=False, server_default=sa.false(), nullable=False)
    quiet_from: Mapped[int] = mapped_column(sa.SmallInteger, default=22, nullable=False)
    quiet_to: Mapped[int] = mapped_column(sa.SmallInteger, default=9, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class TelegramLink(Model):
    """The Telegram chat bound to a customer (one chat per customer, one customer per chat)."""

    __tablename__ = "telegram_link"

    customer_id: Mapped[int] = mapped_column(
        sa.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    chat_id: Mapped[int] = mapped_column(sa.BigInteger, unique=True, nullable=False)
    username: Mapped[str] = mapped_column(sa.String(100), default="", nullable=False)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class TelegramLinkToken(Model):
    """A one-time token of the deep link t.me/<bot>?start=<token>; stored as its SHA-256, never in clear."""

    __tablename__ = "telegram_link_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TelegramUpdateOffset(Model):
    """The last update id read by the polling job (a single row), so no update is handled twice."""

    __tablename__ = "telegram_update_offset"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_update_id: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
