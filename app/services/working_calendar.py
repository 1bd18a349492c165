"""The shop's working time: Mon–Fri 9–18 in the shop's time zone, less Russian public holidays, per year's file.

The production calendar of a year is a JSON file `production_calendar_<year>.json` (see app/data/): weekdays
that are days off (holidays, transferred days off), weekend days that are working days (transfers), and
shortened pre-holiday days (one hour shorter). A folder named by PRODUCTION_CALENDAR_DIR is searched before
the bundled one, so the calendar can be corrected or a new year added without a release; files are re-read
when they change. A year without a file counts Mon–Fri as working days (and says so in the log).

Used for support SLA targets and for anything else counted in working hours or working days.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

from app.services.shoptime import shop_tz

log = logging.getLogger(__name__)

BUNDLED_DIR = Path(__file__).resolve().parent.parent / "data"
DEFAULT_START = time(9, 0)
DEFAULT_END = time(18, 0)
SHORT_DAY = timedelta(hours=1)
# How far a computation may walk: a deadline years away means a wrong input, not a real target.
MAX_DAYS = 3660


class CalendarError(ValueError):
    """A production-calendar file that cannot be used (the message names the file and the problem)."""


@dataclass(frozen=True)
class YearCalendar:
    year: int
    days_off: frozenset[date]  # Mon–Fri that are not worked
    working_weekends: frozenset[date]  # Sat/Sun that are worked (transfers)
    short_days: frozenset[date]  # worked one hour less
    known: bool = True  # False: no file, plain Mon–Fri
    status: str = "approved"

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekends:
            return True
        return day.weekday() < 5 and day not in self.days_off


def _dates(raw: object, *, key: str, year: int, path: Path) -> frozenset[date]:
    if raw is None:
        return frozenset()
    if not isinstance(raw, list):
        raise CalendarError(f"{path.name}: «{key}» должен быть списком дат ГГГГ-ММ-ДД.")
    days = set()
    for value in raw:
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            raise CalendarError(f"{path.name}: «{key}»: неверная дата {value!r} (нужно ГГГГ-ММ-ДД).") from None
        if day.year != year:
            raise CalendarError(f"{path.name}: «{key}»: дата {day.isoformat()} не из {year} года.")
        days.add(day)
    return frozenset(days)


def parse_year(path: Path) -> YearCalendar:
    """Read and check one year's file; CalendarError with a clear message when it is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise CalendarError(f"{path.name}: не удалось прочитать производственный календарь ({exc}).") from None
    if not isinstance(data, dict) or not isinstance(data.get("year"), int):
        raise CalendarError(f"{path.name}: нет числа «year».")
    year = data["year"]
    if path.stem.rsplit("_", 1)[-1] != str(year):
        raise CalendarError(f"{path.name}: год в имени файла и «year» ({year}) не совпадают.")
    days_off = _dates(data.get("days_off"), key="days_off", year=year, path=path)
    working = _dates(data.get("working_weekends"), key="working_weekends", year=year, path=path)
    short = _dates(data.get("short_days"), key="short_days", year=year, path=path)
    weekend_off = sorted(d.isoformat() for d in days_off if d.weekday() >= 5)
    if weekend_off:
        raise CalendarError(f"{path.name}: в «days_off» только будни, а {', '.join(weekend_off)} — выходной.")
    weekday_worked = sorted(d.isoformat() for d in working if d.weekday() < 5)
    if weekday_worked:
        raise CalendarError(
            f"{path.name}: в «working_weekends» только субботы и воскресенья: {', '.join(weekday_worked)}."
        )
    return YearCalendar(year, days_off, working, short, True, str(data.get("status", "approved")))


@lru_cache(maxsize=64)
def _load(path_text: str, mtime_ns: int) -> YearCalendar:
    return parse_year(Path(path_text))


_warned: set[int] = set()


def year_calendar(year: int, directory: str | None = None) -> YearCalendar:
    """The calendar of a year: from `directory` if it has the file, else the bundled one, else plain Mon–Fri."""
    for folder in (Path(directory) if directory else None, BUNDLED_DIR):
        if folder is None:
            continue
        path = folder / f"production_calendar_{year}.json"
        try:
            mtime = path.stat().st_mtime_ns
        except OSError:
            continue
        return _load(str(path), mtime)
    if year not in _warned:
        _warned.add(year)
        log.warning("No production calendar for %s: counting Mon–Fri as working days", year)
    return YearCalendar(year, frozenset(), frozenset(), frozenset(), known=False, status="missing")


def _parse_time(value: object, default: time) -> time:
    if value is None or value == "":
        return default
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        raise CalendarError(f"Неверное время рабочего дня: {value!r} (нужно ЧЧ:ММ).") from None


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days and hours in a time zone; moments in and out are aware datetimes (results in UTC)."""

    tz: ZoneInfo
    start: time = DEFAULT_START
    end: time = DEFAULT_END
    directory: str | None = None
    # Years read by this calendar (it lives for one computation, so an edited file is seen by the next one).
    _years: dict[int, YearCalendar] = field(default_factory=dict, compare=False, repr=False)

    def year(self, year: int) -> YearCalendar:
        if year not in self._years:
            self._years[year] = year_calendar(year, self.directory)
        return self._years[year]

    def is_working_day(self, day: date) -> bool:
        return self.year(day.year).is_working_day(day)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working hours of a day as aware datetimes in the shop's zone; None for a day off."""
        calendar = self.year(day.year)
        if not calendar.is_working_day(day):
            return None
        opens = datetime.combine(day, self.start, tzinfo=self.tz)
        closes = datetime.combine(day, self.end, tzinfo=self.tz)
        if day in calendar.short_days:
            closes -= SHORT_DAY
        return (opens, closes) if closes > opens else None

    def add_working_seconds(self, start: datetime, seconds: int) -> datetime:
        """The moment `seconds` of working time after `start` (before it, for a negative amount)."""
        if start.tzinfo is None:
            raise ValueError("naive datetime")
        if seconds == 0:
            return start.astimezone(UTC)
        local = start.astimezone(self.tz)
        remaining = abs(seconds)
        forward = seconds > 0
        day = local.date()
        for _ in range(MAX_DAYS):
            hours = self.window(day)
            if hours is not None:
                opens, closes = hours
                if forward and local < closes:
                    begin = max(local, opens)
                    available = int((closes - begin).total_seconds())
                    if remaining <= available:
                        return (begin + timedelta(seconds=remaining)).astimezone(UTC)
                    remaining -= available
                elif not forward and local > opens:
                    finish = min(local, closes)
                    available = int((finish - opens).total_seconds())
                    if remaining <= available:
                        return (finish - timedelta(seconds=remaining)).astimezone(UTC)
                    remaining -= available
            day += timedelta(days=1 if forward else -1)
            local = datetime.combine(day, time.min if forward else time.max, tzinfo=self.tz)
        raise ValueError("working time out of range")

    def add_working_hours(self, start: datetime, hours: float) -> datetime:
        return self.add_working_seconds(start, round(hours * 3600))

    def working_seconds_between(self, a: datetime, b: datetime) -> int:
        """Working seconds from `a` to `b` (0 when `b` is not after `a`)."""
        if a.tzinfo is None or b.tzinfo is None:
            raise ValueError("naive datetime")
        if b <= a:
            return 0
        first, last = a.astimezone(self.tz), b.astimezone(self.tz)
        if (last.date() - first.date()).days > MAX_DAYS:
            raise ValueError("working time out of range")
        total = 0
        day = first.date()
        while day <= last.date():
            hours = self.window(day)
            if hours is not None:
                begin, finish = max(first, hours[0]), min(last, hours[1])
                if finish > begin:
                    total += int((finish - begin).total_seconds())
            day += timedelta(days=1)
        return total

    def working_hours_between(self, a: datetime, b: datetime) -> float:
        return self.working_seconds_between(a, b) / 3600

    def add_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (before it for n < 0); n = 0: `day` if worked, else the next one."""
        step = 1 if n >= 0 else -1
        if n == 0:
            for _ in range(MAX_DAYS):
                if self.is_working_day(day):
                    return day
                day += timedelta(days=1)
            raise ValueError("working time out of range")
        left = abs(n)
        for _ in range(MAX_DAYS + left):
            day += timedelta(days=step)
            if self.is_working_day(day):
                left -= 1
                if left == 0:
                    return day
        raise ValueError("working time out of range")


def current() -> WorkingCalendar:
    """The calendar of the running app (time zone, hours, folder from its settings); defaults outside an app."""
    if not has_app_context():
        return WorkingCalendar(tz=shop_tz())
    config = current_app.config
    return WorkingCalendar(
        tz=shop_tz(),
        start=_parse_time(config.get("WORKDAY_START"), DEFAULT_START),
        end=_parse_time(config.get("WORKDAY_END"), DEFAULT_END),
        directory=config.get("PRODUCTION_CALENDAR_DIR") or None,
    )


def is_working_day(day: date) -> bool:
    return current().is_working_day(day)


def add_working_hours(start: datetime, hours: float) -> datetime:
    """`hours` of working time after `start`, as an aware UTC datetime (`start` may be outside working hours)."""
    return current().add_working_hours(start, hours)


def working_hours_between(a: datetime, b: datetime) -> float:
    return current().working_hours_between(a, b)


def working_seconds_between(a: datetime, b: datetime) -> int:
    return current().working_seconds_between(a, b)


def add_working_days(day: date, n: int) -> date:
    return current().add_working_days(day, n)


def year_summary(year: int) -> dict[str, object]:
    """Working days and hours of a year (to check a calendar file against the official figures)."""
    calendar = current()
    info = calendar.year(year)
    days = hours = 0.0
    day = date(year, 1, 1)
    while day.year == year:
        window = calendar.window(day)
        if window is not None:
            days += 1
            hours += (window[1] - window[0]).total_seconds() / 3600
        day += timedelta(days=1)
    return {"year": year, "status": info.status, "working_days": int(days), "working_hours": math.floor(hours)}
