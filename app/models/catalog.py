"""Catalog: categories, products, their option groups and values, quantity price tiers, VAT rates."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import Model, Money, TimestampMixin, enum_column


class VatCategory(enum.StrEnum):
    standard = "standard"
    reduced = "reduced"
    zero = "zero"
    exempt = "exempt"

    @property
    def label(self) -> str:
        return VAT_CATEGORY_LABELS[self]


VAT_CATEGORY_LABELS = {
    VatCategory.standard: "Основная ставка",
    VatCategory.reduced: "Пониженная ставка",
    VatCategory.zero: "0 %",
    VatCategory.exempt: "Без НДС",
}


class PriceMode(enum.StrEnum):
    """How an option value changes the price of a line."""

    multiplier = "multiplier"  # base tier price × value
    per_unit = "per_unit"  # + value × quantity
    fixed = "fixed"  # + value once per line (setup, die)

    @property
    def label(self) -> str:
        return {"multiplier": "Множитель", "per_unit": "За штуку, ₽", "fixed": "За тираж, ₽"}[self.value]


class OptionKind(enum.StrEnum):
    format = "format"
    paper = "paper"
    sides = "sides"
    finishing = "finishing"
    other = "other"

    @property
    def label(self) -> str:
        return OPTION_KIND_LABELS[self]


OPTION_KIND_LABELS = {
    OptionKind.format: "Формат",
    OptionKind.paper: "Бумага",
    OptionKind.sides: "Печать",
    OptionKind.finishing: "Отделка",
    OptionKind.other: "Другое",
}


class VatRate(Model):
    """A VAT rate of a category, valid from a date (inclusive) until the next rate of the category."""

    __tablename__ = "vat_rate"
    __table_args__ = (
        sa.UniqueConstraint("category", "valid_from", name="uq_vat_rate_category_valid_from"),
        sa.CheckConstraint("rate >= 0 AND rate < 100", name="rate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[VatCategory] = mapped_column(enum_column(VatCategory, "vat_category"), nullable=False)
    rate: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), nullable=False)
    valid_from: Mapped[date] = mapped_column(sa.Date, nullable=False)

    def __str__(self) -> str:
        return f"{self.category.label}: {self.rate:g} % с {self.valid_from:%d.%m.%Y}"


class Category(Model, TimestampMixin):
    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)

    products: Mapped[list[Product]] = relationship(back_populates="category", order_by="Product.position")

    def __str__(self) -> str:
        return self.name


class Product(Model, TimestampMixin):
    __tablename__ = "product"
    __table_args__ = (
        sa.CheckConstraint("bleed_mm >= 0", name="bleed_non_negative"),
        sa.CheckConstraint("max_sides IN (1, 2)", name="max_sides_valid"),
        sa.CheckConstraint("production_days >= 0", name="production_days_non_negative"),
        sa.CheckConstraint("cost_price >= 0", name="cost_price_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("category.id", ondelete="RESTRICT"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    summary: Mapped[str] = mapped_column(sa.String(300), default="", nullable=False)
    description: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
    vat_category: Mapped[VatCategory] = mapped_column(
        enum_column(VatCategory, "vat_category"), default=VatCategory.standard, nullable=False
    )
    # Default trim size and bleed; a format option may override the size.
    trim_width_mm: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 1))
    trim_height_mm: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 1))
    bleed_mm: Mapped[Decimal] = mapped_column(sa.Numeric(4, 1), default=Decimal("2.0"), nullable=False)
    max_sides: Mapped[int] = mapped_column(default=2, nullable=False)
    production_days: Mapped[int] = mapped_column(default=2, nullable=False)
    requires_layout: Mapped[bool] = mapped_column(default=True, nullable=False)
    # Material cost of one unit (one card, one sheet), VAT excluded: the cost of goods in the profit report.
    cost_price: Mapped[Decimal] = mapped_column(
        sa.Numeric(12, 4), default=Decimal("0"), server_default="0", nullable=False
    )

    category: Mapped[Category] = relationship(back_populates="products")
    option_groups: Mapped[list[OptionGroup]] = relationship(
        back_populates="product", order_by="OptionGroup.position", cascade="all, delete-orphan"
    )
    price_tiers: Mapped[list[PriceTier]] = relationship(
        back_populates="product", order_by="PriceTier.quantity", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return self.name


class OptionGroup(Model):
    """A choice the customer makes for a product: format, paper, sides, finishing."""

    __tablename__ = "option_group"
    __table_args__ = (sa.UniqueConstraint("product_id", "code", name="uq_option_group_product_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(sa.String(40), nullable=False)
    kind: Mapped[OptionKind] = mapped_column(enum_column(OptionKind, "option_kind"), nullable=False)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
    # A required group needs exactly one value; an optional multiple group takes any number (finishing).
    is_required: Mapped[bool] = mapped_column(default=True, nullable=False)
    is_multiple: Mapped[bool] = mapped_column(default=False, nullable=False)

    product: Mapped[Product] = relationship(back_populates="option_groups")
    values: Mapped[list[OptionValue]] = relationship(
        back_populates="group", order_by="OptionValue.position", cascade="all, delete-orphan"
    )

    def __str__(self) -> str:
        return f"{self.product.name if self.product else ''}: {self.name}"


class OptionValue(Model):
    __tablename__ = "option_value"
    __table_args__ = (
        sa.CheckConstraint("price_value >= 0", name="price_value_non_negative"),
        sa.CheckConstraint("sides IS NULL OR sides IN (1, 2)", name="sides_valid"),
        sa.CheckConstraint("cost_price >= 0", name="cost_price_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(sa.ForeignKey("option_group.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    is_default: Mapped[bool] = mapped_column(default=False, nullable=False)
    price_mode: Mapped[PriceMode] = mapped_column(
        enum_column(PriceMode, "price_mode"), default=PriceMode.multiplier, nullable=False
    )
    price_value: Mapped[Decimal] = mapped_column(sa.Numeric(12, 4), default=Decimal("1"), nullable=False)
    # For format values: the trim size; for sides values: the number of printed sides.
    width_mm: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 1))
    height_mm: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 1))
    sides: Mapped[int | None] = mapped_column()
    # Extra material cost per unit when this value is chosen (e.g. a heavier paper), VAT excluded.
    cost_price: Mapped[Decimal] = mapped_column(
        sa.Numeric(12, 4), default=Decimal("0"), server_default="0", nullable=False
    )

    group: Mapped[OptionGroup] = relationship(back_populates="values")

    def __str__(self) -> str:
        return self.name


class PriceTier(Model):
    """The base price of a run of `quantity` pieces, before options."""

    __tablename__ = "price_tier"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "quantity", name="uq_price_tier_product_quantity"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("price > 0", name="price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("product.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int] = mapped_column(nullable=False)
    price: Mapped[Decimal] = mapped_column(Money, nullable=False)

    product: Mapped[Product] = relationship(back_populates="price_tiers")

    def __str__(self) -> str:
        return f"{self.quantity} шт."
