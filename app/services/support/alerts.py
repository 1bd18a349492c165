"""SLA breach alerts: an email through the outbox to the ticket's assignee and the support lead, once per
ticket, target and due time (a due time moved by a new priority can breach, and alert, again)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy.orm import Session, selectinload

from app.models import Notification, Ticket, TicketState
from app.services.messaging import notifications
from app.services.shoptime import now
from app.services.support import notices, sla


@dataclass
class AlertReport:
    tickets: int = 0
    queued: int = 0

    def __str__(self) -> str:
        return f"Просроченных обращений: {self.tickets}, новых оповещений: {self.queued}"


def lead_emails(session: Session) -> list[str]:
    """SUPPORT_LEAD_EMAIL (comma-separated); without it, the active Manager users."""
    configured = current_app.config.get("SUPPORT_LEAD_EMAIL") or ""
    emails = [e.strip().lower() for e in configured.split(",") if e.strip()]
    if emails:
        return emails
    managers = session.scalars(
        sa.select(User.email).where(User.active.is_(True), User.roles.any(Role.name == "Manager")).order_by(User.id)
    )
    return [e.lower() for e in managers if e]


def breaches(ticket: Ticket, moment: datetime) -> list[str]:
    """The targets this ticket has missed and still runs: first_response, resolution."""
    found = []
    if (
        ticket.first_response_at is None
        and ticket.state != TicketState.closed
        and ticket.first_response_due_at <= moment
    ):
        found.append("first_response")
    if ticket.state in sla.RUNNING_STATES and ticket.resolution_due_at <= moment:
        found.append("resolution")
    return found


def queue_breach_alerts(session: Session, *, moment: datetime | None = None) -> AlertReport:
    """Queue the alerts of every breached ticket not alerted yet for that due time. Idempotent."""
    moment = moment or now()
    report = AlertReport()
    leads = lead_emails(session)
    overdue = session.scalars(
        sa.select(Ticket)
        .where(Ticket.sla_due_at.is_not(None), Ticket.sla_due_at <= moment)
        .options(selectinload(Ticket.assignee))
        .order_by(Ticket.id)
    )
    rows: list[dict] = []
    for ticket in overdue:
        kinds = breaches(ticket, moment)
        if not kinds:
            continue
        report.tickets += 1
        recipients = list(leads)
        if ticket.assignee is not None and ticket.assignee.active and ticket.assignee.email:
            email = ticket.assignee.email.lower()
            if email not in recipients:
                recipients.insert(0, email)
        for kind in kinds:
            rows.extend(notices.sla_alert_rows(ticket, kind, recipients))
    if rows:
        keys = [row["dedupe_key"] for row in rows]
        known: set[str] = set()
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            known.update(session.scalars(sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_(chunk))))
        fresh = [row for row in rows if row["dedupe_key"] not in known]
        report.queued = notifications.queue_many(session, fresh) if fresh else 0
    session.flush()
    return report
