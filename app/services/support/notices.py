"""Support messages through the outbox: the events (customers choose their channels in the profile), queuing,
and the texts rendered at delivery.

A reply is rendered from the message row itself at delivery, and only if it is a public message of the
addressee's own ticket: an internal note can never become an email or a Telegram message, whatever was queued.
Email carries the reply's text; Telegram a short notice with the link to the ticket.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.models import Channel, Ticket, TicketMessage, TicketState
from app.services.messaging import messages, notifications
from app.services.shoptime import format_datetime

TICKET_REPLY = notifications.TICKET_REPLY  # staff answered (registered with the other events)
TICKET_STATUS = "ticket_status"  # resolved or closed by staff, or closed automatically
TICKET_SLA_ALERT = "ticket_sla_alert"  # to staff: a due time has passed

notifications.register_event(TICKET_STATUS, "Обращение в поддержку решено или закрыто")
notifications.register_event(
    TICKET_SLA_ALERT, "Просрочен срок по обращению (сотрудникам)", default_channels={Channel.email}, configurable=False
)


def ticket_path(ticket_id: int) -> str:
    return f"/support/{ticket_id}"


def reply_sent(session: Session, message: TicketMessage, *, state_after: TicketState | None = None) -> int:
    """Queue «поддержка ответила» for a public staff reply, on the customer's channels."""
    if message.internal:
        raise ValueError("an internal note is never sent to the customer")
    ticket = message.ticket
    return notifications.notify(
        session,
        customer_id=ticket.customer_id,
        event=TICKET_REPLY,
        payload={
            "ticket_id": ticket.id,
            "message_id": message.id,
            "state_after": (state_after or ticket.state).value,
        },
        dedupe_key=f"ticket-reply:{message.id}",
    )


def state_changed(session: Session, ticket: Ticket, *, automatic: bool = False) -> int:
    """Queue «обращение решено / закрыто» (staff resolved or closed it, or the job closed it)."""
    return notifications.notify(
        session,
        customer_id=ticket.customer_id,
        event=TICKET_STATUS,
        payload={"ticket_id": ticket.id, "state": ticket.state.value, "automatic": automatic},
        dedupe_key=f"ticket-state:{ticket.id}:{ticket.state.value}:{ticket.state_changed_at.timestamp():.0f}",
    )


def sla_alert_key(ticket_id: int, kind: str, due: datetime, recipient: str) -> str:
    who = hashlib.sha256(recipient.lower().encode()).hexdigest()[:12]
    return f"ticket-sla:{ticket_id}:{kind}:{due.timestamp():.0f}:{who}"


def sla_alert_rows(ticket: Ticket, kind: str, recipients: list[str]) -> list[dict]:
    due = ticket.first_response_due_at if kind == "first_response" else ticket.resolution_due_at
    return [
        {
            "channel": Channel.email,
            "event": TICKET_SLA_ALERT,
            "recipient": email,
            "payload": {"ticket_id": ticket.id, "kind": kind, "due": due.isoformat()},
            "dedupe_key": sla_alert_key(ticket.id, kind, due, email),
        }
        for email in recipients
    ]


# --- texts, rendered at delivery ---------------------------------------------------------------------------


def _session(ctx: messages.MessageContext) -> Session:
    session = sa.orm.object_session(ctx.notification)
    if session is None:
        raise messages.RenderError("Нет сессии базы данных.")
    return session


def _ticket_for_customer(ctx: messages.MessageContext) -> Ticket:
    ticket = _session(ctx).get(Ticket, ctx.payload.get("ticket_id"))
    if ticket is None or ticket.customer_id != ctx.notification.customer_id:
        raise messages.RenderError("Обращение не найдено или принадлежит другому покупателю.")
    return ticket


def _reply_message(ctx: messages.MessageContext) -> messages.Rendered:
    ticket = _ticket_for_customer(ctx)
    reply = _session(ctx).get(TicketMessage, ctx.payload.get("message_id"))
    if reply is None or reply.ticket_id != ticket.id or reply.internal:
        raise messages.RenderError("Ответ не найден или не предназначен покупателю.")
    ctx.extra = {
        "ticket": ticket,
        "reply": reply,
        "ticket_url": ctx.url(ticket_path(ticket.id)),
        "telegram": ctx.notification.channel == Channel.telegram,
    }
    return messages.template_renderer(ctx)


def _status_message(ctx: messages.MessageContext) -> messages.Rendered:
    ticket = _ticket_for_customer(ctx)
    ctx.extra = {
        "ticket": ticket,
        "state": TicketState(ctx.payload.get("state", ticket.state.value)),
        "automatic": bool(ctx.payload.get("automatic")),
        "ticket_url": ctx.url(ticket_path(ticket.id)),
        "telegram": ctx.notification.channel == Channel.telegram,
        "autoclose_days": current_app.config.get("SUPPORT_AUTOCLOSE_DAYS", 7),
        "reopen_days": current_app.config.get("SUPPORT_REOPEN_DAYS", 14),
    }
    return messages.template_renderer(ctx)


def _sla_alert_message(ctx: messages.MessageContext) -> messages.Rendered:
    ticket = _session(ctx).get(Ticket, ctx.payload.get("ticket_id"))
    if ticket is None:
        raise messages.RenderError("Обращение не найдено.")
    try:
        due = datetime.fromisoformat(str(ctx.payload.get("due")))
    except ValueError as exc:
        raise messages.RenderError("Неверный срок в данных сообщения.") from exc
    ctx.extra = {
        "ticket": ticket,
        "kind_label": "первого ответа" if ctx.payload.get("kind") == "first_response" else "решения",
        "due_text": format_datetime(due),
        "admin_url": ctx.url(f"/admin/ticketview/show/{ticket.id}"),
    }
    return messages.template_renderer(ctx)


messages.register_renderer(TICKET_REPLY, _reply_message)
messages.register_renderer(TICKET_STATUS, _status_message)
messages.register_renderer(TICKET_SLA_ALERT, _sla_alert_message)
