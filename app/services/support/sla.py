"""SLA of support tickets: first-response and resolution targets per topic and priority, in the shop's working hours.

Due times count working hours from the ticket's creation (app/services/working_calendar.py). The resolution
clock stops while the ticket waits for the customer, is resolved or closed: the working time it stood still
moves the resolution due time. `sla_due_at` holds the next due time still running (None when nothing runs)
and `sla_warning_at` the moment it becomes «скоро срок», so the queue can filter breaches in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from app.models import SlaTarget, Ticket, TicketPriority, TicketState, TicketTopic
from app.services import working_calendar
from app.services.errors import ValidationError

P = TicketPriority

# Working hours (first response, resolution) when no row of support_sla_target overrides them.
DEFAULT_TARGETS: dict[TicketPriority, tuple[Decimal, Decimal]] = {
    P.urgent: (Decimal("1"), Decimal("4")),
    P.high: (Decimal("2"), Decimal("9")),
    P.normal: (Decimal("4"), Decimal("18")),
    P.low: (Decimal("8"), Decimal("45")),
}
# A misprint stops the customer's business: it starts high; everything else normal.
DEFAULT_PRIORITY: dict[TicketTopic, TicketPriority] = {TicketTopic.defect: P.high}

# States in which the resolution clock runs.
RUNNING_STATES = frozenset({TicketState.new, TicketState.in_progress})


@dataclass(frozen=True)
class Targets:
    first_response_hours: Decimal
    resolution_hours: Decimal
    custom: bool = False  # set by staff (a row), not the code default


def default_priority(topic: TicketTopic) -> TicketPriority:
    return DEFAULT_PRIORITY.get(topic, P.normal)


def targets_for(session: Session, topic: TicketTopic, priority: TicketPriority) -> Targets:
    row = session.scalar(sa.select(SlaTarget).where(SlaTarget.topic == topic, SlaTarget.priority == priority))
    if row is not None:
        return Targets(Decimal(row.first_response_hours), Decimal(row.resolution_hours), custom=True)
    first, resolution = DEFAULT_TARGETS[priority]
    return Targets(first, resolution)


def target_table(session: Session) -> list[tuple[TicketTopic, TicketPriority, Targets]]:
    """Every topic × priority with the targets in force (for the back office)."""
    rows = {(r.topic, r.priority): r for r in session.scalars(sa.select(SlaTarget))}
    table = []
    for topic in TicketTopic:
        for priority in TicketPriority:
            row = rows.get((topic, priority))
            if row is not None:
                targets = Targets(Decimal(row.first_response_hours), Decimal(row.resolution_hours), custom=True)
            else:
                targets = Targets(*DEFAULT_TARGETS[priority])
            table.append((topic, priority, targets))
    return table


def check_target(first_response_hours: Decimal | None, resolution_hours: Decimal | None) -> None:
    """The rule for a staff-edited target (the database checks it too)."""
    if first_response_hours is None or first_response_hours <= 0:
        raise ValidationError("Срок первого ответа — больше нуля рабочих часов.", field="first_response_hours")
    if resolution_hours is None or resolution_hours < first_response_hours:
        raise ValidationError("Срок решения не может быть меньше срока первого ответа.", field="resolution_hours")
    if resolution_hours > 2000:
        raise ValidationError("Срок решения — не больше 2000 рабочих часов.", field="resolution_hours")


def warning_hours() -> int:
    return int(current_app.config.get("SUPPORT_SLA_WARNING_HOURS", 1)) if has_app_context() else 1


def _seconds(hours: Decimal) -> int:
    return int((hours * 3600).to_integral_value())


def apply_targets(session: Session, ticket: Ticket) -> None:
    """Set both due times from the targets of the ticket's topic and priority (after a change of either)."""
    targets = targets_for(session, ticket.topic, ticket.priority)
    calendar = working_calendar.current()
    ticket.first_response_due_at = calendar.add_working_seconds(
        ticket.created_at, _seconds(targets.first_response_hours)
    )
    ticket.resolution_due_at = calendar.add_working_seconds(
        ticket.created_at, _seconds(targets.resolution_hours) + (ticket.paused_seconds or 0)
    )
    refresh(ticket)


def pause(ticket: Ticket, moment: datetime) -> None:
    """The resolution clock stops (waiting for the customer, resolved, closed)."""
    if ticket.paused_since is None:
        ticket.paused_since = moment
    refresh(ticket)


def resume(session: Session, ticket: Ticket, moment: datetime) -> None:
    """The clock runs again: the working time it stood still moves the resolution due time."""
    if ticket.paused_since is not None:
        ticket.paused_seconds = (ticket.paused_seconds or 0) + working_calendar.working_seconds_between(
            ticket.paused_since, moment
        )
        ticket.paused_since = None
    apply_targets(session, ticket)


def refresh(ticket: Ticket) -> None:
    """Recompute the next running due time and its warning moment."""
    due = next_due(ticket)
    ticket.sla_due_at = due
    ticket.sla_warning_at = (
        working_calendar.current().add_working_hours(due, -warning_hours()) if due is not None else None
    )


def next_due(ticket: Ticket) -> datetime | None:
    if ticket.state == TicketState.closed:
        return None
    pending = []
    if ticket.first_response_at is None:
        pending.append(ticket.first_response_due_at)
    if ticket.state in RUNNING_STATES:
        pending.append(ticket.resolution_due_at)
    return min(pending) if pending else None


# --- how a ticket stands -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """One target of one ticket: due time, the moment that counts (done or now), and its standing."""

    due: datetime
    moment: datetime
    done: bool  # answered / resolved (or closed)
    paused: bool = False

    @property
    def breached(self) -> bool:
        return self.moment > self.due

    @property
    def met(self) -> bool:
        return self.done and not self.breached

    @property
    def state(self) -> str:
        """met, breached, paused, soon or running."""
        if self.breached:
            return "breached"
        if self.done:
            return "met"
        if self.paused:
            return "paused"
        if working_calendar.working_seconds_between(self.moment, self.due) <= warning_hours() * 3600:
            return "soon"
        return "running"

    @property
    def label(self) -> str:
        return {
            "met": "выполнен",
            "breached": "просрочен",
            "paused": "на паузе",
            "soon": "скоро срок",
            "running": "в срок",
        }[self.state]


def first_response_clock(ticket: Ticket, now: datetime) -> Clock:
    if ticket.first_response_at is not None:
        return Clock(ticket.first_response_due_at, ticket.first_response_at, done=True)
    if ticket.state == TicketState.closed and ticket.closed_at is not None:
        return Clock(ticket.first_response_due_at, ticket.closed_at, done=True)
    return Clock(ticket.first_response_due_at, now, done=False)


def resolution_clock(ticket: Ticket, now: datetime) -> Clock:
    if ticket.resolved_at is not None:
        return Clock(ticket.resolution_due_at, ticket.resolved_at, done=True)
    if ticket.state == TicketState.closed and ticket.closed_at is not None:
        return Clock(ticket.resolution_due_at, ticket.closed_at, done=True)
    if ticket.paused_since is not None:
        return Clock(ticket.resolution_due_at, ticket.paused_since, done=False, paused=True)
    return Clock(ticket.resolution_due_at, now, done=False)
