"""The shop's working calendar: Mon–Fri 9–18 in Moscow, Russian holidays and transfers from the year's file."""

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from app.services import working_calendar
from app.services.working_calendar import CalendarError, WorkingCalendar, parse_year

MSK = ZoneInfo("Europe/Moscow")


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.fixture
def calendar() -> WorkingCalendar:
    return WorkingCalendar(tz=MSK)


def test_2026_has_the_official_count_of_working_days(app):
    with app.app_context():
        summary = working_calendar.year_summary(2026)
    # 247 working days in 2026 (production calendar); 4 pre-holiday days are an hour shorter.
    assert summary["working_days"] == 247
    assert summary["working_hours"] == 247 * 9 - 4
    assert summary["status"] == "approved"


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 1, 9), False),  # Friday: the day off moved from Saturday 3 January
        (date(2026, 1, 12), True),
        (date(2026, 3, 9), False),  # 8 March is a Sunday: Monday is off
        (date(2026, 5, 11), False),  # 9 May is a Saturday: Monday is off
        (date(2026, 11, 4), False),  # Wednesday, Unity Day
        (date(2026, 12, 31), False),  # the day off moved from Sunday 4 January
        (date(2026, 11, 7), False),  # an ordinary Saturday
        (date(2026, 11, 5), True),
    ],
)
def test_holidays_and_transfers_of_2026(calendar, day, working):
    assert calendar.is_working_day(day) is working


def test_adding_working_hours_skips_the_weekend(calendar):
    friday_5pm = msk(2026, 11, 20, 17, 0)
    assert calendar.add_working_hours(friday_5pm, 4) == msk(2026, 11, 23, 12, 0).astimezone(UTC)
    # Saturday counts from Monday's opening.
    assert calendar.add_working_hours(msk(2026, 11, 21, 10, 0), 1) == msk(2026, 11, 23, 10, 0).astimezone(UTC)


def test_a_shortened_pre_holiday_day_and_the_holiday_are_not_worked(calendar):
    # 3 November 2026 ends at 17:00 (before Unity Day); 4 November is off.
    start = msk(2026, 11, 3, 15, 0)
    assert calendar.add_working_hours(start, 4) == msk(2026, 11, 5, 11, 0).astimezone(UTC)
    assert calendar.working_hours_between(start, msk(2026, 11, 5, 11, 0)) == 4


def test_may_holidays_span_a_saturday_holiday_and_its_monday(calendar):
    # Friday 8 May is shortened, 9 May (Sat) a holiday, Monday 11 May off.
    assert calendar.add_working_hours(msk(2026, 5, 8, 16, 0), 4) == msk(2026, 5, 12, 12, 0).astimezone(UTC)


def test_working_time_between_two_moments_and_backwards(calendar):
    a, b = msk(2026, 11, 20, 17, 30), msk(2026, 11, 23, 9, 30)
    assert calendar.working_seconds_between(a, b) == 3600
    assert calendar.working_seconds_between(b, a) == 0
    assert calendar.add_working_hours(b, -1) == a.astimezone(UTC)


def test_working_days(calendar):
    assert calendar.add_working_days(date(2026, 12, 30), 1) == date(2027, 1, 11)
    assert calendar.add_working_days(date(2026, 11, 3), 1) == date(2026, 11, 5)
    assert calendar.add_working_days(date(2026, 11, 7), 0) == date(2026, 11, 9)
    assert calendar.add_working_days(date(2026, 11, 9), -1) == date(2026, 11, 6)


def test_a_corrected_file_in_the_configured_folder_wins(app, tmp_path, monkeypatch):
    data = {"year": 2026, "days_off": ["2026-11-05"], "working_weekends": ["2026-11-07"], "short_days": []}
    (tmp_path / "production_calendar_2026.json").write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setitem(app.config, "PRODUCTION_CALENDAR_DIR", str(tmp_path))
    with app.app_context():
        assert working_calendar.is_working_day(date(2026, 11, 5)) is False
        assert working_calendar.is_working_day(date(2026, 11, 7)) is True
        assert working_calendar.is_working_day(date(2026, 11, 4)) is True  # the whole year comes from the file
        assert working_calendar.is_working_day(date(2027, 1, 4)) is False  # other years: the bundled file


def test_working_hours_follow_the_settings(app, monkeypatch):
    monkeypatch.setitem(app.config, "WORKDAY_START", "10:00")
    monkeypatch.setitem(app.config, "WORKDAY_END", "19:00")
    with app.app_context():
        assert working_calendar.add_working_hours(msk(2026, 11, 20, 18, 30), 1) == msk(2026, 11, 23, 10, 30).astimezone(
            UTC
        )


def test_a_year_without_a_file_counts_weekdays(calendar):
    assert calendar.year(2031).known is False
    assert calendar.is_working_day(date(2031, 1, 1)) is True  # no file: only weekends are off
    assert calendar.is_working_day(date(2031, 1, 4)) is False


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "не удалось прочитать"),
        ('{"year": 2025}', "не совпадают"),
        ('{"year": 2026, "days_off": ["2026-02-30"]}', "неверная дата"),
        ('{"year": 2026, "days_off": ["2025-12-31"]}', "не из 2026 года"),
        ('{"year": 2026, "days_off": ["2026-11-07"]}', "только будни"),
        ('{"year": 2026, "working_weekends": ["2026-11-06"]}', "только субботы и воскресенья"),
    ],
)
def test_a_broken_calendar_file_is_refused_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "production_calendar_2026.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CalendarError, match=message):
        parse_year(path)


def test_naive_datetimes_are_refused(calendar):
    with pytest.raises(ValueError):
        calendar.add_working_hours(datetime(2026, 11, 20, 12, 0), 1)
