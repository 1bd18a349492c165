"""When an order will be ready: the products' production days counted on the shop's working calendar.

The rule: an order placed on a working day before closing time counts that day as the start; placed in the
evening, at a weekend or on a holiday, it starts on the next working day. The ready date is the start plus the
largest production time of its products, in working days (0 days: ready on the start day). The date is fixed
when the order is placed (`Order.expected_date`); staff may set another (`Order.due_date`), which then wins.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from app.services import working_calendar
from app.services.shoptime import now, to_shop


def production_start(moment: datetime) -> date:
    """The first working day of an order placed at `moment` (aware)."""
    calendar = working_calendar.current()
    local = to_shop(moment)
    day = local.date()
    if calendar.is_working_day(day) and local.time() < calendar.end:
        return day
    return calendar.add_working_days(day, 1)


def ready_date(production_days: int, moment: datetime | None = None) -> date:
    """The day an order of a product made in `production_days` working days, placed at `moment`, is ready."""
    start = production_start(moment or now())
    return working_calendar.current().add_working_days(start, max(production_days, 0))


def ready_date_of(production_days: Iterable[int], moment: datetime | None = None) -> date | None:
    """The ready date of several products ordered together (the slowest decides); None for none."""
    days = list(production_days)
    return ready_date(max(days), moment) if days else None


def working_days_phrase(days: int) -> str:
    """«1 рабочий день», «2 рабочих дня», «5 рабочих дней» — how a product's production time is written."""
    n = abs(days)
    if n % 10 == 1 and n % 100 != 11:
        return f"{days} рабочий день"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{days} рабочих дня"
    return f"{days} рабочих дней"
