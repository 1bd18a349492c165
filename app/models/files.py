"""Uploaded files: one row per upload; the bytes live once under the instance folder, by content hash."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, UTCDateTime, utcnow
from app.models.customers import Customer


class StoredFile(Model):
    __tablename__ = "stored_file"
    __table_args__ = (
        sa.CheckConstraint("size > 0", name="size_positive"),
        sa.Index("ix_stored_file_sha256", "sha256"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(sa.String(10), nullable=False)  # pdf, png, jpeg, tiff, ai, eps, psd, cdr
    content_type: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    original_name: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    # Owner: a customer, or (before login) the anonymous cart that uploaded it.
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    cart_token: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    customer: Mapped[Customer | None] = relationship()

    @property
    def size_label(self) -> str:
        size = float(self.size)
        for unit in ("Б", "КБ", "МБ"):
            if size < 1024 or unit == "МБ":
                return f"{size:.0f} {unit}" if unit == "Б" else f"{size:.1f} {unit}".replace(".", ",")
            size /= 1024
        return f"{size:.1f} ГБ"

    def __str__(self) -> str:
        return self.original_name
