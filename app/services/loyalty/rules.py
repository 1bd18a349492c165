"""The loyalty programme's settings: earn rates and spend caps per tier, tier thresholds, the minimum order, the
return window, the term of points. Every change is a new row (the newest is in force): the rows are the history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import LoyaltySettings, Tier
from app.services.actors import Actor
from app.services.errors import ValidationError

DEFAULTS: dict[str, Decimal | int] = {
    "start_rate": Decimal("3"),
    "regular_rate": Decimal("5"),
    "partner_rate": Decimal("7"),
    "start_cap": Decimal("20"),
    "regular_cap": Decimal("30"),
    "partner_cap": Decimal("50"),
    "regular_from": Decimal("15000"),
    "partner_from": Decimal("50000"),
    "min_order_total": Decimal("500"),
    "return_window_days": 14,
    "expiry_days": 365,
    "warning_days": 14,
}

LABELS = {
    "start_rate": "Начисление «Старт», %",
    "regular_rate": "Начисление «Постоянный», %",
    "partner_rate": "Начисление «Партнёр», %",
    "start_cap": "Оплата баллами «Старт», % товаров",
    "regular_cap": "Оплата баллами «Постоянный», % товаров",
    "partner_cap": "Оплата баллами «Партнёр», % товаров",
    "regular_from": "«Постоянный» от, ₽ за 12 месяцев",
    "partner_from": "«Партнёр» от, ₽ за 12 месяцев",
    "min_order_total": "Минимальная сумма товаров для оплаты баллами, ₽",
    "return_window_days": "Срок возврата, дней (баллы ожидают)",
    "expiry_days": "Срок жизни баллов, дней",
    "warning_days": "Предупреждать о сгорании за, дней",
}
PERCENTS = ("start_rate", "regular_rate", "partner_rate", "start_cap", "regular_cap", "partner_cap")
AMOUNTS = ("regular_from", "partner_from", "min_order_total")
DAYS = {"return_window_days": (0, 365), "expiry_days": (30, 3650), "warning_days": (1, 90)}


@dataclass(frozen=True)
class Rules:
    """The settings in force, as plain values."""

    start_rate: Decimal
    regular_rate: Decimal
    partner_rate: Decimal
    start_cap: Decimal
    regular_cap: Decimal
    partner_cap: Decimal
    regular_from: Decimal
    partner_from: Decimal
    min_order_total: Decimal
    return_window_days: int
    expiry_days: int
    warning_days: int

    def rate(self, tier: Tier) -> Decimal:
        return {Tier.start: self.start_rate, Tier.regular: self.regular_rate, Tier.partner: self.partner_rate}[tier]

    def cap(self, tier: Tier) -> Decimal:
        return {Tier.start: self.start_cap, Tier.regular: self.regular_cap, Tier.partner: self.partner_cap}[tier]

    def threshold(self, tier: Tier) -> Decimal:
        return {Tier.start: Decimal("0"), Tier.regular: self.regular_from, Tier.partner: self.partner_from}[tier]

    def tier_for(self, turnover: Decimal) -> Tier:
        if turnover >= self.partner_from:
            return Tier.partner
        if turnover >= self.regular_from:
            return Tier.regular
        return Tier.start


def current(session: Session) -> Rules:
    """The newest settings row, or the defaults when nobody has changed them."""
    row = session.scalars(sa.select(LoyaltySettings).order_by(LoyaltySettings.id.desc()).limit(1)).first()
    if row is None:
        return Rules(**DEFAULTS)  # type: ignore[arg-type]
    return Rules(**{name: getattr(row, name) for name in DEFAULTS})


def history(session: Session, limit: int = 50) -> list[LoyaltySettings]:
    return list(session.scalars(sa.select(LoyaltySettings).order_by(LoyaltySettings.id.desc()).limit(limit)))


def _number(name: str, value: object) -> Decimal:
    try:
        number = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except (InvalidOperation, ValueError):
        raise ValidationError(f"«{LABELS[name]}»: укажите число.", field=name) from None
    if not number.is_finite():
        raise ValidationError(f"«{LABELS[name]}»: укажите число.", field=name)
    return number


def parse(values: dict[str, object]) -> Rules:
    """Check a form's values; ValidationError naming the field for the first that is wrong."""
    parsed: dict[str, Decimal | int] = {}
    for name in DEFAULTS:
        number = _number(name, values.get(name, ""))
        if name in PERCENTS and not Decimal("0") <= number <= Decimal("100"):
            raise ValidationError(f"«{LABELS[name]}»: от 0 до 100.", field=name)
        if name in AMOUNTS and not Decimal("0") <= number <= Decimal("100000000"):
            raise ValidationError(f"«{LABELS[name]}»: от 0 до 100 000 000 ₽.", field=name)
        if name in DAYS:
            low, high = DAYS[name]
            if number != number.to_integral_value() or not low <= number <= high:
                raise ValidationError(f"«{LABELS[name]}»: целое число от {low} до {high}.", field=name)
            parsed[name] = int(number)
        else:
            parsed[name] = number.quantize(Decimal("0.01"))
    rules = Rules(**parsed)  # type: ignore[arg-type]
    if rules.regular_from <= 0 or rules.partner_from <= rules.regular_from:
        raise ValidationError("Порог «Партнёр» должен быть больше порога «Постоянный», оба больше нуля.")
    return rules


def save(session: Session, values: dict[str, object], *, actor: Actor, comment: str = "") -> LoyaltySettings:
    """Put new settings in force (a new row); ValidationError and nothing stored when a value is wrong."""
    rules = parse(values)
    row = LoyaltySettings(
        **{name: getattr(rules, name) for name in DEFAULTS},
        created_by_name=actor.name[:200],
        comment=comment.strip()[:500],
    )
    session.add(row)
    session.flush()
    return row
