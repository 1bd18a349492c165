"""Texts of outbox messages, rendered at delivery from `event` + `payload` (Russian; HTML + plain text).

Each event has a renderer. By default it is the template pair `notifications/<event>.txt` (blocks
`subject` and `text`, also the Telegram text) and `notifications/<event>.html` (block `content`,
inside the shop's email layout). A feature may register its own: `register_renderer(event, fn)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app
from jinja2 import TemplateNotFound
from sqlalchemy.orm import object_session

from app.models import Customer, Notification, Order, OrderStatus
from app.services.shoptime import format_date_long


@dataclass
class MessageContext:
    notification: Notification
    customer: Customer | None
    payload: dict
    shop_name: str
    base_url: str
    unsubscribe_url: str | None = None
    extra: dict = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None = None
    # Files sent with an email: (file name, MIME type, bytes); closing documents attach their PDFs.
    attachments: tuple[tuple[str, str, bytes], ...] = ()


class RenderError(Exception):
    """No renderer or template for the event, or the payload does not fit it: retrying cannot help."""


Renderer = Callable[[MessageContext], Rendered]
RENDERERS: dict[str, Renderer] = {}


def register_renderer(event: str, renderer: Renderer) -> Renderer:
    RENDERERS[event] = renderer
    return renderer


def _order(ctx: MessageContext) -> Order | None:
    """The order a message is about (read at delivery, so a due date set meanwhile is the one shown)."""
    session = object_session(ctx.notification)
    if ctx.notification.order_id is None or session is None:
        return None
    return session.get(Order, ctx.notification.order_id)


def _variables(ctx: MessageContext) -> dict:
    return {
        "order": _order(ctx),
        "date_long": format_date_long,
        "ctx": ctx,
        "payload": ctx.payload,
        "customer": ctx.customer,
        "shop_name": ctx.shop_name,
        "base_url": ctx.base_url.rstrip("/"),
        "unsubscribe_url": ctx.unsubscribe_url,
        "status_label": lambda value: OrderStatus(value).label if value in OrderStatus._value2member_map_ else value,
        **ctx.extra,
    }


def _render_file(template_name: str, **variables: object) -> str:
    """Render outside any request (the delivery job): no context processors, just the template."""
    return current_app.jinja_env.get_template(template_name).render(**variables)


def _block(template_name: str, block: str, variables: dict) -> str:
    template = current_app.jinja_env.get_template(template_name)
    context = template.new_context(variables)
    return "".join(template.blocks[block](context)).strip()


def template_renderer(ctx: MessageContext) -> Rendered:
    event = ctx.notification.event
    variables = _variables(ctx)
    try:
        subject = _block(f"notifications/{event}.txt", "subject", variables)
        text = _block(f"notifications/{event}.txt", "text", variables)
    except TemplateNotFound:
        raise RenderError(f"Нет шаблона для события «{event}».") from None
    except (KeyError, TypeError, ValueError) as exc:
        raise RenderError(f"Шаблон «{event}» не подходит к данным сообщения: {exc}") from exc
    try:
        content = _render_file(f"notifications/{event}.html", **variables)
    except TemplateNotFound:
        content = None
    return Rendered(subject=" ".join(subject.split()), text=text, html=content)


def render(ctx: MessageContext) -> Rendered:
    """The message of a notification; a marketing one (ctx.unsubscribe_url set) gets the unsubscribe link."""
    renderer = RENDERERS.get(ctx.notification.event, template_renderer)
    rendered = renderer(ctx)
    text, html = rendered.text, rendered.html
    if ctx.unsubscribe_url:
        # Whatever its renderer, a marketing message carries the one-click unsubscribe link.
        text = f"{text}\n\n--\nОтписаться от рассылки: {ctx.unsubscribe_url}"
    if html is not None:
        html = _render_file(
            "notifications/_email.html",
            subject=rendered.subject,
            content=html,
            shop_name=ctx.shop_name,
            base_url=ctx.base_url.rstrip("/"),
            unsubscribe_url=ctx.unsubscribe_url,
        )
    return Rendered(rendered.subject, text, html, rendered.attachments)
