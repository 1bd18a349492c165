"""Catalog rules: what is on sale, the price of a configured product, and the VAT rate of a day."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import Category, OptionGroup, OptionValue, PriceMode, PriceTier, Product, VatCategory, VatRate
from app.services.errors import NotFound, ValidationError
from app.services.money import ZERO, to_money


def active_categories(session: Session) -> list[Category]:
    return list(
        session.scalars(
            sa.select(Category).where(Category.is_active.is_(True)).order_by(Category.position, Category.name)
        )
    )


def category_by_slug(session: Session, slug: str) -> Category:
    category = session.scalar(sa.select(Category).where(Category.slug == slug, Category.is_active.is_(True)))
    if category is None:
        raise NotFound("Категория не найдена.")
    return category


def active_products(session: Session, category: Category | None = None) -> list[Product]:
    query = (
        sa.select(Product)
        .join(Product.category)
        .where(Product.is_active.is_(True), Category.is_active.is_(True))
        .options(selectinload(Product.price_tiers))
        .order_by(Category.position, Product.position, Product.name)
    )
    if category is not None:
        query = query.where(Product.category_id == category.id)
    return list(session.scalars(query))


def product_by_slug(session: Session, slug: str) -> Product:
    product = session.scalar(
        sa.select(Product)
        .where(Product.slug == slug)
        .options(
            selectinload(Product.option_groups).selectinload(OptionGroup.values), selectinload(Product.price_tiers)
        )
    )
    if product is None or not product.is_active or not product.category.is_active:
        raise NotFound("Товар не найден или снят с продажи.")
    return product


def vat_rate_for(session: Session, category: VatCategory, day: date) -> Decimal | None:
    """The rate in force on `day` for the category; None means "без НДС"."""
    if category == VatCategory.exempt:
        return None
    rate = session.scalar(
        sa.select(VatRate.rate)
        .where(VatRate.category == category, VatRate.valid_from <= day)
        .order_by(VatRate.valid_from.desc())
        .limit(1)
    )
    if rate is None:
        raise ValidationError(f"Не задана ставка НДС «{category.label}» на {day:%d.%m.%Y}.")
    return Decimal(rate)


def default_option_ids(product: Product) -> list[int]:
    """The preselected values: the default (or first active) value of every required group."""
    ids = []
    for group in product.option_groups:
        active = [v for v in group.values if v.is_active]
        if group.is_required and active:
            chosen = next((v for v in active if v.is_default), active[0])
            ids.append(chosen.id)
    return ids


@dataclass(frozen=True)
class Quote:
    """The price of one configured line, VAT included."""

    product: Product
    quantity: int
    values: list[OptionValue]
    base_price: Decimal
    total: Decimal
    options: list[dict] = field(default_factory=list)

    @property
    def unit_price(self) -> Decimal:
        return to_money(self.total / self.quantity)

    @property
    def option_value_ids(self) -> list[int]:
        return [v.id for v in self.values]

    def value_for(self, kind: str) -> OptionValue | None:
        return next((v for v in self.values if v.group.kind == kind), None)


def parse_ids(raw: Iterable) -> list[int]:
    ids = []
    for item in raw:
        try:
            ids.append(int(item))
        except (TypeError, ValueError):
            raise ValidationError("Неверный параметр товара.") from None
    return ids


def quote(session: Session, *, product: Product, quantity: int, option_value_ids: Iterable[int]) -> Quote:
    """Price a product with the chosen quantity and options, checking every choice against the catalog.

    total = tier price × Π multipliers + Σ per-unit × quantity + Σ fixed, rounded to kopecks.
    """
    if not product.is_active or not product.category.is_active:
        raise ValidationError(f"Товар «{product.name}» снят с продажи и недоступен для заказа.")
    tier = session.scalar(
        sa.select(PriceTier).where(PriceTier.product_id == product.id, PriceTier.quantity == quantity)
    )
    if tier is None:
        allowed = ", ".join(str(t.quantity) for t in product.price_tiers)
        raise ValidationError(f"Тираж {quantity} шт. недоступен. Выберите один из: {allowed}.", field="quantity")

    chosen = set(parse_ids(option_value_ids))
    by_id = {v.id: v for g in product.option_groups for v in g.values}
    foreign = chosen - by_id.keys()
    if foreign:
        raise ValidationError("Выбрана опция, которой нет у этого товара.", field="options")

    values: list[OptionValue] = []
    for group in product.option_groups:
        picked = [v for v in group.values if v.id in chosen]
        for value in picked:
            if not value.is_active:
                raise ValidationError(
                    f"Вариант «{value.name}» ({group.name}) больше недоступен — выберите другой.", field="options"
                )
        if group.is_required and not picked:
            raise ValidationError(f"Выберите: {group.name}.", field="options")
        if not group.is_multiple and len(picked) > 1:
            raise ValidationError(f"В группе «{group.name}» можно выбрать только один вариант.", field="options")
        values.extend(picked)

    amount = Decimal(tier.price)
    extras = ZERO
    for value in values:
        if value.price_mode == PriceMode.multiplier:
            amount *= value.price_value
        elif value.price_mode == PriceMode.per_unit:
            extras += value.price_value * quantity
        else:
            extras += value.price_value
    total = to_money(amount + extras)
    options = [{"group": v.group.name, "value": v.name, "value_id": v.id} for v in values]
    return Quote(product=product, quantity=quantity, values=values, base_price=tier.price, total=total, options=options)
