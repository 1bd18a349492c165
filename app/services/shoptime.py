"""The shop's clock: current UTC time and conversions to the shop's time zone (days, years, display)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.models.base import shop_zone


def shop_tz() -> ZoneInfo:
    return shop_zone()


def now() -> datetime:
    return datetime.now(UTC)


def to_shop(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    return moment.astimezone(shop_tz())


def from_shop_local(moment: datetime) -> datetime:
    """A wall-clock time typed in the shop's time zone (a naive form value) as an aware UTC datetime."""
    if moment.tzinfo is not None:
        return moment.astimezone(UTC)
    return moment.replace(tzinfo=shop_tz()).astimezone(UTC)


def shop_today(moment: datetime | None = None) -> date:
    return to_shop(moment or now()).date()


def format_datetime(moment: datetime | None) -> str:
    return "" if moment is None else to_shop(moment).strftime("%d.%m.%Y %H:%M")


MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)


def format_date_long(day: date) -> str:
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]} {day.year} г."
