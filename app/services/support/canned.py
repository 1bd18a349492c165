"""Canned replies: ready answers staff pick on the ticket page and edit before sending.

A text may name the customer, the ticket and its order: {имя}, {обращение}, {заказ}.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import CannedReply, Ticket, TicketTopic
from app.services.errors import NotFound, ValidationError
from app.services.markup import plain_text

PLACEHOLDERS = ("{имя}", "{обращение}", "{заказ}")


def replies_for(session: Session, topic: TicketTopic | None = None) -> list[CannedReply]:
    """Active replies: those for the ticket's topic first, then the general ones, by title."""
    rows = session.scalars(
        sa.select(CannedReply)
        .where(CannedReply.is_active.is_(True), sa.or_(CannedReply.topic.is_(None), CannedReply.topic == topic))
        .order_by(CannedReply.topic.is_(None), CannedReply.title)
    )
    return list(rows)


def fill(text: str, ticket: Ticket) -> str:
    """The text with its placeholders filled in for this ticket."""
    name = ticket.customer.full_name.split()[0] if ticket.customer and ticket.customer.full_name else ""
    return (
        text.replace("{имя}", name or "покупатель")
        .replace("{обращение}", f"№ {ticket.id}")
        .replace("{заказ}", ticket.order.number if ticket.order is not None else "")
    )


def text_for(session: Session, reply_id: int | str, ticket: Ticket) -> str:
    try:
        reply = session.get(CannedReply, int(reply_id))
    except (TypeError, ValueError):
        reply = None
    if reply is None or not reply.is_active:
        raise NotFound("Шаблон ответа не найден.")
    return fill(reply.body, ticket)


def clean(title: str | None, body: str | None) -> tuple[str, str]:
    """Title and text of a reply as staff typed them, checked."""
    clean_title = plain_text(title)
    if not clean_title:
        raise ValidationError("Укажите название шаблона.", field="title")
    if len(clean_title) > 120:
        raise ValidationError("Название — не длиннее 120 символов.", field="title")
    clean_body = plain_text(body, multiline=True)
    if not clean_body:
        raise ValidationError("Напишите текст шаблона.", field="body")
    return clean_title, clean_body
