"""Support tickets: the ticket, its conversation (public replies and internal notes) with attachments, its
append-only history, canned replies, SLA targets, and the free reprint orders made for a misprint."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import ActorKind, ChangeRecordMixin, LabelledEnum, Model, UTCDateTime, enum_column, utcnow
from app.models.companies import Company
from app.models.customers import Customer
from app.models.files import StoredFile
from app.models.orders import Order
from app.models.projects import Project


class TicketTopic(LabelledEnum):
    order = "order"
    layout = "layout"
    delivery = "delivery"
    payment = "payment"
    defect = "defect"
    other = "other"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "order": "Вопрос по заказу",
            "layout": "Макет и предпечатная проверка",
            "delivery": "Доставка",
            "payment": "Оплата и документы",
            "defect": "Брак / рекламация",
            "other": "Другое",
        }


class TicketState(LabelledEnum):
    new = "new"
    in_progress = "in_progress"
    waiting = "waiting"
    resolved = "resolved"
    closed = "closed"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "new": "Новый",
            "in_progress": "В работе",
            "waiting": "Ждём клиента",
            "resolved": "Решён",
            "closed": "Закрыт",
        }


class TicketPriority(LabelledEnum):
    low = "low"
    normal = "normal"
    high = "high"
    urgent = "urgent"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"low": "Низкий", "normal": "Обычный", "high": "Высокий", "urgent": "Срочный"}


class Ticket(Model):
    """A customer's question. SLA due times are in the shop's working hours (app/services/support/sla.py);
    `sla_due_at` / `sla_warning_at` hold the next due time still running, so the queue filters by them."""

    __tablename__ = "support_ticket"
    __table_args__ = (
        sa.CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="rating_range"),
        sa.CheckConstraint("paused_seconds >= 0", name="paused_non_negative"),
        sa.CheckConstraint("reopen_count >= 0", name="reopen_count_non_negative"),
        sa.Index("ix_support_ticket_customer_state", "customer_id", "state"),
        sa.Index("ix_support_ticket_state_due", "state", "sla_due_at"),
        sa.Index("ix_support_ticket_last_message_at", "last_message_at"),
        sa.Index("ix_support_ticket_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), nullable=False)
    topic: Mapped[TicketTopic] = mapped_column(enum_column(TicketTopic, "ticket_topic"), nullable=False, index=True)
    subject: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    state: Mapped[TicketState] = mapped_column(
        enum_column(TicketState, "ticket_state"), default=TicketState.new, nullable=False
    )
    priority: Mapped[TicketPriority] = mapped_column(
        enum_column(TicketPriority, "ticket_priority"), default=TicketPriority.normal, nullable=False, index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project.id", ondelete="SET NULL"), index=True)
    # The company the question is about (the order's, or a company project's); for the queue's filter.
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id", ondelete="SET NULL"), index=True)
    # A reply to a ticket closed long ago opens a new ticket that names the old one.
    previous_ticket_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("support_ticket.id", ondelete="SET NULL"), index=True
    )
    # Staff labels, lower case, separated by ", " (filtered with «содержит»).
    tags: Mapped[str] = mapped_column(sa.String(300), default="", server_default="", nullable=False)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_customer_message_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_staff_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(default=0, server_default="0", nullable=False)

    # SLA: targets counted in working hours from created_at; the resolution clock stops while the ticket
    # waits for the customer or is resolved (paused_since), and the paused working time moves its due time.
    first_response_due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    resolution_due_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_seconds: Mapped[int] = mapped_column(default=0, server_default="0", nullable=False)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sla_warning_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    rating_comment: Mapped[str] = mapped_column(sa.Text, default="", server_default="", nullable=False)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()
    assignee: Mapped[User | None] = relationship(User, foreign_keys=[assignee_id])
    order: Mapped[Order | None] = relationship()
    project: Mapped[Project | None] = relationship()
    company: Mapped[Company | None] = relationship()
    previous_ticket: Mapped[Ticket | None] = relationship(remote_side=[id])
    messages: Mapped[list[TicketMessage]] = relationship(
        back_populates="ticket", order_by="TicketMessage.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[TicketHistory]] = relationship(
        back_populates="ticket", order_by="TicketHistory.id", viewonly=True
    )

    def __str__(self) -> str:
        return f"№ {self.id} {self.subject}"


class TicketMessage(Model):
    """One message of the conversation. `internal` notes are for staff only: never shown or sent to the customer."""

    __tablename__ = "support_message"
    __table_args__ = (
        sa.CheckConstraint("NOT internal OR author_kind = 'staff'", name="internal_by_staff"),
        sa.Index("ix_support_message_ticket_id_id", "ticket_id", "id"),
        sa.Index("ix_support_message_customer_created", "author_customer_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("support_ticket.id", ondelete="CASCADE"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    author_kind: Mapped[ActorKind] = mapped_column(enum_column(ActorKind, "actor_kind"), nullable=False)
    author_customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="SET NULL"))
    author_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"), index=True)
    author_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    internal: Mapped[bool] = mapped_column(default=False, nullable=False)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    attachments: Mapped[list[TicketAttachment]] = relationship(
        back_populates="message", order_by="TicketAttachment.id", cascade="all, delete-orphan"
    )


class TicketAttachment(Model):
    """A file of a message, stored by the storage service; its own StoredFile row."""

    __tablename__ = "support_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_message.id", ondelete="CASCADE"), nullable=False, index=True
    )
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), unique=True)

    message: Mapped[TicketMessage] = relationship(back_populates="attachments")
    file: Mapped[StoredFile] = relationship()


class TicketHistory(ChangeRecordMixin, Model):
    """Append-only record of every change to a ticket (state, assignee, priority, replies…): who, when, old → new.

    The database refuses UPDATE and DELETE (triggers), except a deleted user's link set to NULL.
    """

    __tablename__ = "support_ticket_history"
    __table_args__ = (sa.Index("ix_support_ticket_history_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(sa.ForeignKey("support_ticket.id", ondelete="CASCADE"), nullable=False)

    ticket: Mapped[Ticket] = relationship(back_populates="history")


class CannedReply(Model):
    """A ready answer staff pick on the ticket page and edit before sending (optionally for one topic)."""

    __tablename__ = "support_canned_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    body: Mapped[str] = mapped_column(sa.Text, nullable=False)
    topic: Mapped[TicketTopic | None] = mapped_column(enum_column(TicketTopic, "ticket_topic"))
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    def __str__(self) -> str:
        return self.title


class SlaTarget(Model):
    """First-response and resolution targets in working hours for a topic and priority (code defaults otherwise)."""

    __tablename__ = "support_sla_target"
    __table_args__ = (
        sa.UniqueConstraint("topic", "priority", name="uq_support_sla_target_topic_priority"),
        sa.CheckConstraint("first_response_hours > 0", name="first_response_positive"),
        sa.CheckConstraint("resolution_hours >= first_response_hours", name="resolution_after_response"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    topic: Mapped[TicketTopic] = mapped_column(enum_column(TicketTopic, "ticket_topic"), nullable=False)
    priority: Mapped[TicketPriority] = mapped_column(enum_column(TicketPriority, "ticket_priority"), nullable=False)
    first_response_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), nullable=False)
    resolution_hours: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), nullable=False)

    def __str__(self) -> str:
        return f"{self.topic.label} / {self.priority.label}"


class OrderReprint(Model):
    """A free reprint of an order made for a «брак / рекламация» ticket (one per ticket)."""

    __tablename__ = "order_reprint"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(
        sa.ForeignKey("support_ticket.id", ondelete="RESTRICT"), unique=True, nullable=False
    )
    original_order_id: Mapped[int] = mapped_column(
        sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False, index=True
    )
    reprint_order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="RESTRICT"), unique=True)
    reason: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    ticket: Mapped[Ticket] = relationship()
    original_order: Mapped[Order] = relationship(foreign_keys=[original_order_id])
    reprint_order: Mapped[Order] = relationship(foreign_keys=[reprint_order_id])
