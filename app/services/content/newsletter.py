"""The newsletter: one outbox email per subscribed customer about a published item, once per item, and its text."""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy.orm import Session

from app.models import (
    Channel,
    Customer,
    NewsItem,
    NewsKind,
    Notification,
)
from app.services.actors import Actor
from app.services.content.news import is_item_visible, item_state, promo_validity
from app.services.errors import NotFound, ValidationError
from app.services.messaging import messages, notifications
from app.services.shoptime import format_datetime, now

# ------------------------------------------------------------------------------------------------- newsletter


def _subscribers() -> sa.Select:
    return sa.select(Customer.id, Customer.email).where(
        Customer.newsletter_subscribed.is_(True), Customer.active.is_(True)
    )


def subscriber_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(_subscribers().subquery())) or 0


def send_newsletter(session: Session, *, item_id: int, actor: Actor) -> int:
    """Queue one email per subscribed customer about a published item; once per item. Returns how many."""
    item = session.get(NewsItem, item_id)
    if item is None:
        raise NotFound("Новость не найдена.")
    if item.newsletter_sent_at is not None:
        raise ValidationError(_already_sent(item))
    if not is_item_visible(session, item_id):
        raise ValidationError(f"Разослать можно только то, что сейчас на сайте. Состояние: {item_state(item)}.")
    recipients = session.execute(_subscribers().order_by(Customer.id)).all()
    if not recipients:
        raise ValidationError("Нет покупателей, подписанных на рассылку, — отправлять некому.")
    moment = now()
    claimed: sa.CursorResult = session.execute(  # type: ignore[assignment]
        sa.update(NewsItem)
        .where(NewsItem.id == item_id, NewsItem.newsletter_sent_at.is_(None))
        .values(
            newsletter_sent_at=moment,
            newsletter_sent_by_id=actor.staff_id,
            newsletter_sent_by_name=actor.name[:200],
            newsletter_recipients=len(recipients),
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # another editor sent it a moment ago
        session.refresh(item)
        raise ValidationError(_already_sent(item))
    rows = [
        {
            "channel": Channel.email,
            "event": notifications.NEWSLETTER,
            "recipient": email,
            "customer_id": customer_id,
            "payload": {"item_id": item_id},
            "dedupe_key": f"newsletter:{item_id}:{customer_id}",
        }
        for customer_id, email in recipients
    ]
    queued = notifications.queue_many(session, rows)
    session.expire(item)
    return queued


def _already_sent(item: NewsItem) -> str:
    return (
        f"Рассылка уже отправлена {format_datetime(item.newsletter_sent_at)} "
        f"({item.newsletter_sent_by_name or 'сотрудник'}, получателей: {item.newsletter_recipients})."
    )


def item_url(item: NewsItem) -> str:
    """The item's address on the site, absolute (emails leave the site)."""
    return f"{current_app.config['SHOP_BASE_URL'].rstrip('/')}/news/{item.slug}"


def render_newsletter(
    session: Session, notification: Notification, *, unsubscribe_url: str | None = None
) -> tuple[str, str, str]:
    """The newsletter email of an outbox row: (subject, text body, HTML body), in Russian."""
    item = session.get(NewsItem, (notification.payload or {}).get("item_id"))
    if item is None:
        raise NotFound("Новость для рассылки удалена.")
    shop = current_app.config["SHOP_NAME"]
    customer = session.get(Customer, notification.customer_id) if notification.customer_id else None
    greeting = f"Здравствуйте, {customer.full_name}!" if customer and customer.full_name else "Здравствуйте!"
    url = item_url(item)
    label = "Акция" if item.kind == NewsKind.promo else "Новость"
    subject = f"{label}: {item.title} — {shop}"
    promo_line = ""
    if item.promo_code is not None:
        promo_line = f"Промокод {item.promo_code.code}: {promo_validity(item.promo_code)}."
    text_lines = [greeting, "", item.title, ""]
    if item.teaser:
        text_lines += [item.teaser, ""]
    if promo_line:
        text_lines += [promo_line, ""]
    text_lines += [f"Подробнее: {url}", "", f"— {shop}"]
    if unsubscribe_url:
        text_lines += ["", f"Вы получили это письмо, потому что подписаны на новости. Отписаться: {unsubscribe_url}"]
    teaser_html = Markup("<br>").join(escape(line) for line in item.teaser.split("\n")) if item.teaser else ""
    html_parts = [
        Markup('<div style="font-family:Arial,sans-serif;font-size:15px;line-height:1.5;color:#212529">'),
        Markup("<p>%s</p>") % greeting,
        Markup('<h1 style="font-size:22px;margin:0 0 12px">%s</h1>') % item.title,
    ]
    if teaser_html:
        html_parts.append(Markup("<p>%s</p>") % teaser_html)
    if promo_line:
        html_parts.append(Markup('<p style="background:#e7f1ff;padding:8px 12px"><strong>%s</strong></p>') % promo_line)
    html_parts.append(
        Markup(
            '<p><a href="%s" style="display:inline-block;background:#0d6efd;color:#fff;padding:10px 18px;'
            'text-decoration:none;border-radius:4px">Читать на сайте</a></p>'
        )
        % url
    )
    html_parts.append(Markup('<p style="color:#6c757d">— %s</p>') % shop)
    if unsubscribe_url:
        html_parts.append(
            Markup(
                '<p style="color:#6c757d;font-size:12px">Вы получили это письмо, потому что подписаны на новости. '
                '<a href="%s">Отписаться</a></p>'
            )
            % unsubscribe_url
        )
    html_parts.append(Markup("</div>"))
    return subject, "\n".join(text_lines), str(Markup("").join(html_parts))


def _newsletter_message(ctx: messages.MessageContext) -> messages.Rendered:
    """The outbox renderer of "newsletter" rows; delivery itself adds the unsubscribe link and headers."""
    session = sa.orm.object_session(ctx.notification)
    if session is None:
        raise messages.RenderError("Рассылка: нет сессии базы данных.")
    try:
        subject, text, html = render_newsletter(session, ctx.notification)
    except NotFound as exc:
        raise messages.RenderError(exc.message) from exc
    return messages.Rendered(subject=subject, text=text, html=html)


messages.register_renderer(notifications.NEWSLETTER, _newsletter_message)
