"""The referral programme's settings: the referrer's points, the friend's reward (a discount on the first order or
welcome points), the minimum first order, the review limits and how long a link's cookie lasts. Every change is a
new row (the newest is in force): the rows are the history."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import FriendReward, ReferralSettings
from app.services.actors import Actor
from app.services.errors import ValidationError

DEFAULTS: dict[str, object] = {
    "enabled": True,
    "referrer_points": 500,
    "friend_reward": FriendReward.discount,
    "friend_discount": Decimal("10"),
    "friend_points": 300,
    "min_order_total": Decimal("1000"),
    "signups_per_ip_day": 3,
    "rewards_per_month": 10,
    "cookie_days": 30,
}

LABELS = {
    "enabled": "Программа включена",
    "referrer_points": "Баллы пригласившему",
    "friend_reward": "Награда другу",
    "friend_discount": "Скидка другу на первый заказ, %",
    "friend_points": "Приветственные баллы другу",
    "min_order_total": "Минимальная сумма первого заказа, ₽",
    "signups_per_ip_day": "Регистраций по одной ссылке с одного IP за день (больше — на проверку)",
    "rewards_per_month": "Наград одному пригласившему за месяц (больше — на проверку)",
    "cookie_days": "Срок действия ссылки в браузере, дней",
}
INTEGERS = {
    "referrer_points": (0, 100_000),
    "friend_points": (0, 100_000),
    "signups_per_ip_day": (1, 1000),
    "rewards_per_month": (1, 1000),
    "cookie_days": (1, 365),
}


@dataclass(frozen=True)
class Rules:
    enabled: bool
    referrer_points: int
    friend_reward: FriendReward
    friend_discount: Decimal
    friend_points: int
    min_order_total: Decimal
    signups_per_ip_day: int
    rewards_per_month: int
    cookie_days: int

    @property
    def friend_offer(self) -> str:
        """The friend's reward in words (the welcome banner)."""
        if self.friend_reward == FriendReward.discount:
            return f"скидка {self.friend_discount.normalize():f} % на первый заказ"
        return f"{self.friend_points} приветственных баллов с первым заказом"


def current(session: Session) -> Rules:
    row = session.scalars(sa.select(ReferralSettings).order_by(ReferralSettings.id.desc()).limit(1)).first()
    if row is None:
        return Rules(**DEFAULTS)  # type: ignore[arg-type]
    return Rules(**{name: getattr(row, name) for name in DEFAULTS})


def history(session: Session, limit: int = 50) -> list[ReferralSettings]:
    return list(session.scalars(sa.select(ReferralSettings).order_by(ReferralSettings.id.desc()).limit(limit)))


def _number(name: str, value: object) -> Decimal:
    text = str(value if value is not None else "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise ValidationError(f"«{LABELS[name]}»: укажите число.", field=name) from None
    if not number.is_finite():
        raise ValidationError(f"«{LABELS[name]}»: укажите число.", field=name)
    return number


def parse(values: dict[str, object]) -> Rules:
    """Check a form's values; ValidationError naming the field for the first that is wrong."""
    parsed: dict[str, object] = {"enabled": str(values.get("enabled", "")).lower() in ("1", "y", "on", "true")}
    try:
        parsed["friend_reward"] = FriendReward(str(values.get("friend_reward", "")))
    except ValueError:
        raise ValidationError("Выберите награду другу: скидку или баллы.", field="friend_reward") from None
    for name, (low, high) in INTEGERS.items():
        number = _number(name, values.get(name, ""))
        if number != number.to_integral_value() or not low <= number <= high:
            raise ValidationError(f"«{LABELS[name]}»: целое число от {low} до {high:,}.".replace(",", " "), field=name)
        parsed[name] = int(number)
    discount = _number("friend_discount", values.get("friend_discount", ""))
    if not Decimal("1") <= discount <= Decimal("50"):
        raise ValidationError(f"«{LABELS['friend_discount']}»: от 1 до 50.", field="friend_discount")
    parsed["friend_discount"] = discount.quantize(Decimal("0.01"))
    minimum = _number("min_order_total", values.get("min_order_total", ""))
    if not Decimal("0") <= minimum <= Decimal("10000000"):
        raise ValidationError(f"«{LABELS['min_order_total']}»: от 0 до 10 000 000 ₽.", field="min_order_total")
    parsed["min_order_total"] = minimum.quantize(Decimal("0.01"))
    return Rules(**parsed)  # type: ignore[arg-type]


def save(session: Session, values: dict[str, object], *, actor: Actor, comment: str = "") -> ReferralSettings:
    """Put new settings in force (a new row); ValidationError and nothing stored when a value is wrong."""
    rules = parse(values)
    row = ReferralSettings(
        **{name: getattr(rules, name) for name in DEFAULTS},
        created_by_name=actor.name[:200],
        comment=comment.strip()[:500],
    )
    session.add(row)
    session.flush()
    return row
