"""Figures of the support desk for a period of shop-local days (tickets created in it): tickets by topic and
state, first-response and resolution times in working hours (median, p90), SLA compliance, CSAT.

Resolution time is the working time from creation to «решён» (or closing) less the time the ticket waited
for the customer; p90 is the nearest-rank percentile (the value 90 % of tickets do not exceed).
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Ticket, TicketState, TicketTopic
from app.services import working_calendar
from app.services.errors import ValidationError
from app.services.shoptime import now, shop_today, shop_tz
from app.services.support import sla

MAX_DAYS = 731


def nearest_rank(values: list[float], percent: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Durations:
    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, hours: list[float]) -> Durations:
        return cls(len(hours), statistics.median(hours) if hours else None, nearest_rank(hours, 90))


@dataclass(frozen=True)
class Compliance:
    met: int
    breached: int

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def percent(self) -> float | None:
        return 100 * self.met / self.total if self.total else None


@dataclass
class Figures:
    day_from: date
    day_to: date
    total: int = 0
    by_topic_state: dict[TicketTopic, dict[TicketState, int]] = field(default_factory=dict)
    first_response: Durations = Durations(0, None, None)
    resolution: Durations = Durations(0, None, None)
    first_response_sla: Compliance = Compliance(0, 0)
    resolution_sla: Compliance = Compliance(0, 0)
    ratings: list[int] = field(default_factory=list)

    @property
    def sla(self) -> Compliance:
        return Compliance(
            self.first_response_sla.met + self.resolution_sla.met,
            self.first_response_sla.breached + self.resolution_sla.breached,
        )

    @property
    def csat(self) -> float | None:
        """Share of ratings 4–5 among all ratings, in %."""
        return 100 * sum(1 for r in self.ratings if r >= 4) / len(self.ratings) if self.ratings else None

    @property
    def average_rating(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    def state_totals(self) -> dict[TicketState, int]:
        return {s: sum(row.get(s, 0) for row in self.by_topic_state.values()) for s in TicketState}


def parse_period(day_from: str | date | None, day_to: str | date | None) -> tuple[date, date]:
    """The period of a form (ISO days); the last 30 days by default."""

    def parse(value: str | date | None, default: date, name: str) -> date:
        if value is None or value == "":
            return default
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError("Дата в формате ГГГГ-ММ-ДД.", field=name) from None

    today = shop_today()
    end = parse(day_to, today, "day_to")
    start = parse(day_from, end - timedelta(days=29), "day_from")
    if start > end:
        raise ValidationError("Начало периода позже конца.", field="day_from")
    if (end - start).days > MAX_DAYS:
        raise ValidationError("Период — не больше двух лет.", field="day_from")
    return start, end


def figures(session: Session, *, day_from: date, day_to: date, moment: datetime | None = None) -> Figures:
    moment = moment or now()
    tz = shop_tz()
    start = datetime.combine(day_from, time.min, tzinfo=tz)
    end = datetime.combine(day_to + timedelta(days=1), time.min, tzinfo=tz)
    tickets = list(session.scalars(sa.select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end)))
    result = Figures(day_from=day_from, day_to=day_to, total=len(tickets))
    result.by_topic_state = {topic: {} for topic in TicketTopic}
    calendar = working_calendar.current()
    first_hours: list[float] = []
    resolution_hours: list[float] = []
    first_met = first_breached = res_met = res_breached = 0
    for ticket in tickets:
        row = result.by_topic_state[ticket.topic]
        row[ticket.state] = row.get(ticket.state, 0) + 1
        if ticket.first_response_at is not None:
            first_hours.append(calendar.working_hours_between(ticket.created_at, ticket.first_response_at))
        finished = ticket.resolved_at or (ticket.closed_at if ticket.state == TicketState.closed else None)
        if finished is not None:
            worked = calendar.working_seconds_between(ticket.created_at, finished) - (ticket.paused_seconds or 0)
            resolution_hours.append(max(worked, 0) / 3600)
        first = sla.first_response_clock(ticket, moment)
        if first.breached:
            first_breached += 1
        elif first.met and ticket.first_response_at is not None:
            first_met += 1
        resolution = sla.resolution_clock(ticket, moment)
        if resolution.breached:
            res_breached += 1
        elif resolution.met:
            res_met += 1
        if ticket.rating is not None:
            result.ratings.append(ticket.rating)
    result.first_response = Durations.of(first_hours)
    result.resolution = Durations.of(resolution_hours)
    result.first_response_sla = Compliance(first_met, first_breached)
    result.resolution_sla = Compliance(res_met, res_breached)
    return result
