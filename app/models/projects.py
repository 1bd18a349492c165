"""Saved projects: a product with its options, quantity and layout, kept for one-click reorders; each
replacement of the layout is a new version (old versions stay)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONType, Model, Money, UTCDateTime, utcnow
from app.models.catalog import Product
from app.models.companies import Company
from app.models.customers import Customer
from app.models.files import StoredFile


class Project(Model):
    """Personal (company_id NULL) or company-wide (shared with the company's members)."""

    __tablename__ = "project"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("customer_id IS NOT NULL OR company_id IS NOT NULL", name="has_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    # The author: a personal project is theirs; a company project stays with the company when they leave it.
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id", ondelete="SET NULL"), index=True)
    product_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    quantity: Mapped[int] = mapped_column(nullable=False)
    option_value_ids: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    # What the options were called when saved: [{"group", "value", "value_id"}], to name a vanished option.
    options: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    last_price: Mapped[Decimal | None] = mapped_column(Money)
    last_ordered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    customer: Mapped[Customer | None] = relationship()
    company: Mapped[Company | None] = relationship()
    product: Mapped[Product | None] = relationship()
    versions: Mapped[list[ProjectVersion]] = relationship(
        back_populates="project", order_by="ProjectVersion.number", cascade="all, delete-orphan"
    )

    @property
    def current_version(self) -> ProjectVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def options_label(self) -> str:
        return ", ".join(f"{o['group']}: {o['value']}" for o in self.options)

    def __str__(self) -> str:
        return self.name


class ProjectVersion(Model):
    """One layout of a project: its own StoredFile row (a snapshot by content hash) and its preflight report."""

    __tablename__ = "project_version"
    __table_args__ = (sa.UniqueConstraint("project_id", "number", name="uq_project_version_project_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), index=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    preflight: Mapped[dict | None] = mapped_column(JSONType)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    project: Mapped[Project] = relationship(back_populates="versions")
    file: Mapped[StoredFile] = relationship()
