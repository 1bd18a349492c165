"""Money arithmetic: rounding to kopecks, VAT extracted "в том числе", allocation of a discount over lines."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal("100")


def to_money(value: Decimal | int | str) -> Decimal:
    """Round to kopecks, half up (never float)."""
    if isinstance(value, float):
        raise TypeError("money must not be a float")
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def extract_vat(gross: Decimal, rate: Decimal | None) -> tuple[Decimal, Decimal]:
    """Split a VAT-inclusive amount into (net, vat): vat = round(gross × r / (100 + r)), net = gross − vat."""
    gross = to_money(gross)
    if rate is None or rate == 0:
        return gross, ZERO
    vat = to_money(gross * rate / (HUNDRED + rate))
    return gross - vat, vat


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """Split `total` over `weights` proportionally, in kopecks, so the parts sum exactly to `total`.

    Largest-remainder method: each part is floored to a kopeck, the leftover kopecks go to the
    parts with the largest remainders (earlier parts first on ties).
    """
    total = to_money(total)
    weight_sum = sum(weights, ZERO)
    if not weights:
        return []
    if weight_sum == 0:
        return [ZERO] * len(weights)
    total_kopecks = int(total * 100)
    exact = [Decimal(total_kopecks) * w / weight_sum for w in weights]
    floors = [int(x) for x in exact]
    leftover = total_kopecks - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Decimal(k) / 100 for k in floors]


def format_money(value: Decimal | None, currency: bool = True) -> str:
    """1 220,00 ₽ — a non-breaking space between thousands, a comma before kopecks."""
    if value is None:
        return ""
    text = format_decimal(to_money(value), "#,##0.00", locale="ru_RU")
    return f"{text}\u00a0₽" if currency else text


def format_rate(rate: Decimal | None) -> str:
    """22 % (or «без НДС»), without trailing zeros."""
    if rate is None:
        return "без НДС"
    text = format(rate.normalize(), "f")
    return f"{text.replace('.', ',')}\u00a0%"
