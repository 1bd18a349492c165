"""The shopping cart: kept in the database, found by a token in the shop session or by the customer."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import JSONType, Model, Money, UTCDateTime, utcnow
from app.models.catalog import Product
from app.models.files import StoredFile


class Cart(Model):
    __tablename__ = "cart"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    items: Mapped[list[CartItem]] = relationship(
        back_populates="cart", order_by="CartItem.id", cascade="all, delete-orphan"
    )


class CartItem(Model):
    __tablename__ = "cart_item"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[int] = mapped_column(sa.ForeignKey("cart.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(nullable=False)
    option_value_ids: Mapped[list] = mapped_column(JSONType, default=list, nullable=False)
    layout_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Layout preflight (app/services/layouts/preflight.py) and the customer's "печатать как есть" over its errors.
    preflight: Mapped[dict | None] = mapped_column(JSONType)
    print_as_is: Mapped[bool] = mapped_column(default=False, nullable=False)
    # A reorder of a saved project, and the project's last price (shown beside today's).
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project.id", ondelete="SET NULL"), index=True)
    reference_price: Mapped[Decimal | None] = mapped_column(Money)

    cart: Mapped[Cart] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
    layout_file: Mapped[StoredFile | None] = relationship()
