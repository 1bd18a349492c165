"""Delivery of the notification outbox: claim due rows, render, send (SMTP / Telegram), retry or give up.

Exactly once, even with several senders: a sender claims rows in one statement (PostgreSQL:
`FOR UPDATE SKIP LOCKED`, so concurrent senders take different rows; SQLite: the same UPDATE, which
SQLite runs one writer at a time) and stamps them with its claim token and a lease. Each row is
re-checked against the token before it is sent and its outcome is written only while the token still
matches; rows of a sender that died are claimed again once their lease has run out.

Unlike other services this one commits: a claim has to be visible to other senders before the
(slow) sending starts, and each outcome must be durable before the next message goes out.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy.orm import Session

from app.models import Channel, Customer, DeliveryState, Notification, TelegramLink
from app.services.errors import ValidationError
from app.services.messaging import mail, messages, notifications, subscriptions, telegram
from app.services.shoptime import now, shop_tz

log = logging.getLogger(__name__)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    held: int = 0  # messages held back by quiet hours (Telegram; email where the customer asked for it)
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.cancelled + self.held

    def __str__(self) -> str:
        return (
            f"Доставлено: {self.sent}, повтор позже: {self.retried}, ошибок: {self.failed}, "
            f"отменено: {self.cancelled}, отложено (тихие часы): {self.held}"
        )


class Retry(Exception):
    """A temporary failure; `after` overrides the backoff (Telegram's retry_after)."""

    def __init__(self, message: str, after: int | None = None) -> None:
        super().__init__(message)
        self.after = after


class GiveUp(Exception):
    """A permanent failure: the row is marked failed and never retried."""


class Cancel(Exception):
    """Nothing should be sent (unsubscribed meanwhile, Telegram no longer linked)."""


class Hold(Exception):
    """Not now: quiet hours; try again at `until` without counting an attempt."""

    def __init__(self, until: datetime) -> None:
        super().__init__("тихие часы")
        self.until = until


def _setting(name: str, default: int) -> int:
    return int(current_app.config.get(name, default))


def backoff(attempts: int) -> timedelta:
    """Exponential: base · 2^(attempts−1), capped."""
    base = _setting("NOTIFICATION_RETRY_BASE_SECONDS", 60)
    cap = _setting("NOTIFICATION_RETRY_MAX_SECONDS", 6 * 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _due(moment: datetime):  # noqa: ANN202
    return sa.or_(
        sa.and_(Notification.state == DeliveryState.pending, Notification.next_attempt_at <= moment),
        sa.and_(Notification.state == DeliveryState.sending, Notification.claimed_until < moment),
    )


def claim(session: Session, *, limit: int, lease_seconds: int | None = None) -> tuple[str, list[int]]:
    """Claim up to `limit` due rows for this sender and commit the claim; returns (token, ids)."""
    token = secrets.token_hex(16)
    moment = now()
    lease = moment + timedelta(seconds=lease_seconds or _setting("NOTIFICATION_LEASE_SECONDS", 300))
    candidates = (
        sa.select(Notification.id)
        .where(_due(moment))
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Lock the candidates first (a LIMIT subquery inside the UPDATE may be run more than once).
        chosen = list(session.scalars(candidates.with_for_update(skip_locked=True)))
        target = Notification.id.in_(chosen)
    else:
        # SQLite runs one writer at a time: the single UPDATE below is the compare-and-set.
        target = Notification.id.in_(candidates.scalar_subquery())
    ids = session.scalars(
        sa.update(Notification)
        .where(target, _due(moment))
        .values(
            state=DeliveryState.sending,
            claim_token=token,
            claimed_until=lease,
            attempts=Notification.attempts + 1,
        )
        .returning(Notification.id)
        .execution_options(synchronize_session=False)
    ).all()
    session.commit()
    return token, sorted(ids)


def _still_mine(session: Session, notification_id: int, token: str) -> bool:
    """Renew the lease just before sending; False if another sender took the row over meanwhile."""
    lease = now() + timedelta(seconds=_setting("NOTIFICATION_LEASE_SECONDS", 300))
    renewed = session.execute(  # type: ignore[attr-defined]
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.claim_token == token,
            Notification.state == DeliveryState.sending,
        )
        .values(claimed_until=lease)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return bool(renewed)


def _finish(session: Session, notification_id: int, token: str, **values: object) -> bool:
    done = session.execute(  # type: ignore[attr-defined]
        sa.update(Notification)
        .where(Notification.id == notification_id, Notification.claim_token == token)
        .values(claim_token=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return bool(done)


def in_quiet_hours(moment: datetime, start: int, end: int) -> datetime | None:
    """When quiet hours [start, end) (shop-local hours) hold `moment`, the moment they end; else None."""
    local = moment.astimezone(shop_tz())
    hour = local.hour
    inside = start <= hour < end if start < end else (hour >= start or hour < end)
    if not inside:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), tzinfo=shop_tz()).astimezone(moment.tzinfo)


def _context(session: Session, notification: Notification, customer: Customer | None) -> messages.MessageContext:
    marketing = notification.event in notifications.MARKETING_EVENTS
    return messages.MessageContext(
        notification=notification,
        customer=customer,
        payload=dict(notification.payload or {}),
        shop_name=current_app.config["SHOP_NAME"],
        base_url=current_app.config["SHOP_BASE_URL"],
        unsubscribe_url=(
            subscriptions.unsubscribe_url(session, customer) if marketing and customer is not None else None
        ),
    )


def _send_email(
    notification: Notification, customer: Customer | None, rendered: messages.Rendered, ctx: messages.MessageContext
) -> None:
    address = notification.recipient or (customer.email if customer else "")
    try:
        address = validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        raise GiveUp(f"Неверный адрес: {address or '—'}") from None
    headers = {}
    if ctx.unsubscribe_url:
        headers = {
            "List-Unsubscribe": f"<{ctx.unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
    try:
        mail.send_message(
            mail.build_message(
                to=address,
                subject=rendered.subject,
                text=rendered.text,
                html=rendered.html,
                headers=headers,
                attachments=rendered.attachments,
            )
        )
    except mail.MailError as exc:
        raise (GiveUp(str(exc)) if exc.permanent else Retry(str(exc))) from exc


def _send_telegram(session: Session, notification: Notification, rendered: messages.Rendered) -> None:
    if notification.recipient:
        chat_id = int(notification.recipient)
    else:
        link = session.get(TelegramLink, notification.customer_id) if notification.customer_id else None
        if link is None:
            raise Cancel("Telegram не подключён")
        chat_id = link.chat_id
    try:
        telegram.send_message(chat_id, rendered.text)
    except telegram.TelegramError as exc:
        if exc.chat_gone:
            telegram.unlink_chat(session, chat_id=chat_id)
            session.commit()
        if exc.permanent:
            raise GiveUp(str(exc)) from exc
        raise Retry(str(exc), after=exc.retry_after) from exc


def _quiet_until(session: Session, notification: Notification) -> datetime | None:
    if notification.customer_id is None:
        return None
    if notification.channel == Channel.telegram and notification.recipient:
        return None  # the bot answering a chat: it asked just now
    prefs = notifications.preferences(session, notification.customer_id)
    if not notifications.held_by_quiet_hours(notification.event, notification.channel, prefs):
        return None
    return in_quiet_hours(now(), prefs.quiet_from, prefs.quiet_to)


@dataclass(frozen=True)
class Preview:
    """A message as it is (or was) sent: rendered now from its event and data, nothing sent or changed."""

    subject: str
    text: str
    html: str | None
    recipient: str
    error: str = ""


def preview(session: Session, notification: Notification) -> Preview:
    """What the customer gets (or got) for this row, for the back office: subject, text and the recipient."""
    customer = session.get(Customer, notification.customer_id) if notification.customer_id else None
    if notification.channel == Channel.email:
        recipient = notification.recipient or (customer.email if customer else "")
    else:
        link = session.scalar(sa.select(TelegramLink).where(TelegramLink.customer_id == notification.customer_id))
        recipient = f"Telegram, чат {link.chat_id}" if link is not None else "Telegram не подключён"
    try:
        rendered = messages.render(_context(session, notification, customer))
    except messages.RenderError as exc:
        return Preview(notification.subject, notification.body_text, None, recipient, error=str(exc))
    return Preview(rendered.subject, rendered.text, rendered.html, recipient)


def deliver_one(session: Session, notification_id: int, token: str) -> str:
    """Deliver one claimed row; returns its outcome: sent, retried, failed, cancelled, held or lost."""
    if not _still_mine(session, notification_id, token):
        return "lost"
    notification = session.get(Notification, notification_id, populate_existing=True)
    if notification is None:
        return "lost"
    customer = session.get(Customer, notification.customer_id) if notification.customer_id else None
    subject, body = notification.subject, notification.body_text
    try:
        if notification.event in notifications.MARKETING_EVENTS and (
            customer is None or not customer.newsletter_subscribed or not customer.active
        ):
            raise Cancel("Покупатель отписался от рассылки")
        until = _quiet_until(session, notification)
        if until is not None:
            raise Hold(until)
        ctx = _context(session, notification, customer)
        try:
            rendered = messages.render(ctx)
        except messages.RenderError as exc:
            raise GiveUp(str(exc)) from exc
        subject, body = rendered.subject[:255], rendered.text
        if notification.channel == Channel.email:
            _send_email(notification, customer, rendered, ctx)
        else:
            _send_telegram(session, notification, rendered)
    except Hold as hold:
        _finish(
            session,
            notification_id,
            token,
            state=DeliveryState.pending,
            next_attempt_at=hold.until,
            attempts=Notification.attempts - 1,
        )
        return "held"
    except Cancel as exc:
        _finish(session, notification_id, token, state=DeliveryState.cancelled, last_error=str(exc), subject=subject)
        return "cancelled"
    except GiveUp as exc:
        _finish(
            session,
            notification_id,
            token,
            state=DeliveryState.failed,
            last_error=str(exc),
            subject=subject,
            body_text=body,
        )
        log.warning("Notification %s failed permanently: %s", notification_id, exc)
        return "failed"
    except Retry as exc:
        attempts = notification.attempts
        if attempts >= _setting("NOTIFICATION_MAX_ATTEMPTS", 10):
            _finish(
                session,
                notification_id,
                token,
                state=DeliveryState.failed,
                last_error=f"{exc} (попыток: {attempts})",
                subject=subject,
                body_text=body,
            )
            return "failed"
        delay = timedelta(seconds=exc.after) if exc.after else backoff(attempts)
        _finish(
            session,
            notification_id,
            token,
            state=DeliveryState.pending,
            next_attempt_at=now() + delay,
            last_error=str(exc),
            subject=subject,
            body_text=body,
        )
        log.info("Notification %s: temporary failure, retry in %s: %s", notification_id, delay, exc)
        return "retried"
    _finish(
        session,
        notification_id,
        token,
        state=DeliveryState.sent,
        sent_at=now(),
        subject=subject,
        body_text=body,
        last_error="",
    )
    return "sent"


def deliver_due(session: Session, *, limit: int | None = None, batch_size: int | None = None) -> DeliveryReport:
    """One delivery pass: claim and deliver due rows until none are left (or `limit` rows were handled)."""
    report = DeliveryReport()
    batch_size = batch_size or _setting("NOTIFICATION_BATCH_SIZE", 50)
    while limit is None or report.handled < limit:
        size = batch_size if limit is None else min(batch_size, limit - report.handled)
        token, ids = claim(session, limit=size)
        if not ids:
            break
        progressed = False
        for notification_id in ids:
            outcome = deliver_one(session, notification_id, token)
            if outcome != "lost":
                setattr(report, outcome, getattr(report, outcome) + 1)
                progressed = True
        if not progressed:
            break
    return report


def resend(session: Session, ids: list[int]) -> int:
    """Staff: queue failed, cancelled or sent messages again, due now. Pending or sending ones are left alone."""
    if not ids:
        raise ValidationError("Выберите сообщения.")
    changed = session.execute(  # type: ignore[attr-defined]
        sa.update(Notification)
        .where(
            Notification.id.in_(ids),
            Notification.state.in_([DeliveryState.failed, DeliveryState.cancelled, DeliveryState.sent]),
        )
        .values(state=DeliveryState.pending, next_attempt_at=now(), attempts=0, last_error="", sent_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.flush()
    return changed
