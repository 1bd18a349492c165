"""Customer accounts (Flask-Security-Too): the customer, customer roles, and their link table."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_security import RoleMixin, UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, UTCDateTime, trigram_index, utcnow

customer_roles = sa.Table(
    "customer_roles",
    Model.metadata,
    sa.Column("customer_id", sa.ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("role_id", sa.ForeignKey("customer_role.id", ondelete="CASCADE"), primary_key=True),
)


class CustomerRole(Model, RoleMixin):
    __tablename__ = "customer_role"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    description: Mapped[str | None] = mapped_column(sa.String(255))


class Customer(Model, UserMixin):
    """A storefront account. `active=False` is a block: the customer cannot log in or order."""

    __tablename__ = "customer"
    __table_args__ = (
        trigram_index("ix_customer_email_trgm", "email"),
        trigram_index("ix_customer_full_name_trgm", "full_name"),
        trigram_index("ix_customer_phone_trgm", "phone"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(255), unique=True, nullable=False)
    password: Mapped[str | None] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True, nullable=False)
    fs_uniquifier: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    full_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(20), default="", nullable=False)
    blocked_reason: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    # Marketing consent (news and promotions); service messages about orders do not depend on it.
    newsletter_subscribed: Mapped[bool] = mapped_column(default=False, nullable=False, index=True)
    # The random token of the customer's unsubscribe links: kept in the database, so links already sent keep
    # working when SECRET_KEY is rotated.
    newsletter_token: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_login_ip: Mapped[str | None] = mapped_column(sa.String(64))
    current_login_ip: Mapped[str | None] = mapped_column(sa.String(64))
    login_count: Mapped[int | None] = mapped_column()

    roles: Mapped[list[CustomerRole]] = relationship(secondary=customer_roles, backref="customers")

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email
