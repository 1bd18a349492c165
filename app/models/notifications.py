"""The notification outbox: one row per message to deliver, written in the transaction of the event."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSONType, Model, UTCDateTime, enum_column, utcnow
from app.models.orders import LabelledEnum


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
