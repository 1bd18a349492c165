"""The customer's profile: delivery addresses (exactly one primary — the default delivery address — and at most
one marked for documents, the default billing address), the history of newsletter consent and the
subscriptions waiting for their confirmation."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import AppendOnly, LabelledEnum, Model, UTCDateTime, enum_column, utcnow
from app.models.customers import Customer


class Address(Model):
    """A saved address. At most one primary (the default delivery address) and at most one billing address (the
    payer's address on a private customer's documents) per customer, each guaranteed by a partial unique index;
    with none marked for billing, the primary one is used."""

    __tablename__ = "address"
    __table_args__ = (
        sa.Index(
            "uq_address_one_primary",
            "customer_id",
            unique=True,
            sqlite_where=sa.text("is_primary"),
            postgresql_where=sa.text("is_primary"),
        ),
        sa.Index(
            "uq_address_one_billing",
            "customer_id",
            unique=True,
            sqlite_where=sa.text("is_billing"),
            postgresql_where=sa.text("is_billing"),
        ),
        sa.CheckConstraint("postcode = '' OR length(postcode) = 6", name="postcode_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(40), default="", nullable=False)
    recipient_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    city: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    street: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    house: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    flat: Mapped[str] = mapped_column(sa.String(20), default="", nullable=False)
    postcode: Mapped[str] = mapped_column(sa.String(6), default="", nullable=False)
    comment: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    is_primary: Mapped[bool] = mapped_column(default=False, nullable=False)
    is_billing: Mapped[bool] = mapped_column(default=False, server_default=sa.false(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    def snapshot(self) -> dict:
        """What an order keeps of the address, so later edits of the address book never change it."""
        return {
            "address_id": self.id,
            "label": self.label,
            "recipient_name": self.recipient_name,
            "phone": self.phone,
            "city": self.city,
            "street": self.street,
            "house": self.house,
            "flat": self.flat,
            "postcode": self.postcode,
            "comment": self.comment,
        }


class ConsentSource(LabelledEnum):
    profile = "profile"
    registration = "registration"
    unsubscribe_link = "unsubscribe_link"
    staff = "staff"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "profile": "Профиль",
            "registration": "Регистрация",
            "unsubscribe_link": "Ссылка «Отписаться»",
            "staff": "Сотрудник",
        }


class NewsletterConsent(AppendOnly, Model):
    """Append-only: every change of the marketing consent, when, on or off, and where it came from.

    The session and the database (triggers) refuse UPDATE and DELETE.
    """

    __tablename__ = "newsletter_consent"
    __table_args__ = (sa.Index("ix_newsletter_consent_customer_created", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    subscribed: Mapped[bool] = mapped_column(nullable=False)
    source: Mapped[ConsentSource] = mapped_column(enum_column(ConsentSource, "consent_source"), nullable=False)
    actor: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    # Where the consent was given (the confirmation click, or the unsubscribe), and the consent text shown.
    ip: Mapped[str] = mapped_column(sa.String(45), default="", server_default="", nullable=False)
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="", server_default="", nullable=False)
    consent_version: Mapped[str] = mapped_column(sa.String(40), default="", server_default="", nullable=False)
    # When the subscription was asked for (double opt-in: the entry itself is written at the confirmation).
    requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()


class NewsletterRequest(Model):
    """A subscription asked for and not yet confirmed (double opt-in): the link in the email carries `token`;
    the consent starts when it is confirmed."""

    __tablename__ = "newsletter_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    source: Mapped[ConsentSource] = mapped_column(enum_column(ConsentSource, "consent_source"), nullable=False)
    consent_version: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    ip: Mapped[str] = mapped_column(sa.String(45), default="", nullable=False)
    user_agent: Mapped[str] = mapped_column(sa.String(300), default="", nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    customer: Mapped[Customer] = relationship()


class PersonalDataConsent(AppendOnly, Model):
    """Append-only: the customer's consent to personal-data processing (152-ФЗ) — which policy, which
    edition of it, when, and where it was given. The session and the database (triggers) refuse changes."""

    __tablename__ = "personal_data_consent"
    __table_args__ = (sa.Index("ix_personal_data_consent_customer_created", "customer_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), nullable=False)
    document: Mapped[str] = mapped_column(sa.String(300), nullable=False)  # the policy's title and address
    edition: Mapped[str] = mapped_column(sa.String(40), default="", nullable=False)  # the page's last change
    source: Mapped[ConsentSource] = mapped_column(enum_column(ConsentSource, "consent_source"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)

    customer: Mapped[Customer] = relationship()
