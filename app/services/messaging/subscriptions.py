"""Marketing consent: double opt-in subscription, unsubscribe, the append-only consent log, one-click
unsubscribe links, subscribers.

Subscribing (at registration or in the profile) only asks: a confirmation link goes out by email and the
subscription starts when the customer confirms it. The consent log entry written then records the source,
when it was asked for, the IP address and user agent of the confirmation, and the version of the consent text
that was shown. Unsubscribe links carry a random per-customer token stored in the database (links signed with
SECRET_KEY before it existed still work until the key is rotated), so rotating the key breaks no link.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from app.models import Channel, ConsentSource, Customer, NewsletterConsent, NewsletterRequest, Page, PersonalDataConsent
from app.services.errors import NotFound, ValidationError
from app.services.messaging import notifications
from app.services.shoptime import now

SALT = "newsletter-unsubscribe"
NEWSLETTER_CONFIRM = "newsletter_confirm"  # outbox event: the confirmation link of a subscription (always sent)
CONFIRM_WITHIN = timedelta(days=7)
RESEND_AFTER = timedelta(minutes=10)  # a repeated click within this time sends no second email

# The consent text shown beside the checkbox (registration) and the switch (profile). A changed text gets a new
# version: the log keeps the version each customer agreed to.
CONSENT_VERSION = "2026-12-02"
CONSENT_TEXT = (
    "Получать новости и акции по email. Подписка начнётся после подтверждения по ссылке из письма; "
    "отписаться можно в любой момент — ссылкой в письме или в профиле."
)

notifications.register_event(
    NEWSLETTER_CONFIRM, "Подтверждение подписки", default_channels={Channel.email}, configurable=False
)


@dataclass(frozen=True)
class Origin:
    """Where a consent action came from: the request's IP address and browser."""

    ip: str = ""
    user_agent: str = ""


def set_subscription(
    session: Session,
    customer: Customer,
    *,
    subscribed: bool,
    source: ConsentSource | str,
    actor: str = "",
    origin: Origin = Origin(),
    consent_version: str = "",
    requested_at: datetime | None = None,
) -> bool:
    """Turn the consent on or off and record it; returns False (and records nothing) when it did not change.

    Turning it on directly is for confirmed requests (`confirm`); customers subscribe through `request_subscription`.
    """
    source = ConsentSource(source)
    if customer.newsletter_subscribed == subscribed:
        return False
    customer.newsletter_subscribed = subscribed
    session.add(
        NewsletterConsent(
            customer_id=customer.id,
            subscribed=subscribed,
            source=source,
            actor=actor[:200],
            ip=origin.ip[:45],
            user_agent=origin.user_agent[:300],
            consent_version=consent_version[:40],
            requested_at=requested_at,
        )
    )
    if not subscribed:  # a pending confirmation link must not subscribe someone who has just said no
        session.execute(
            sa.delete(NewsletterRequest).where(
                NewsletterRequest.customer_id == customer.id, NewsletterRequest.confirmed_at.is_(None)
            )
        )
    session.flush()
    return True


def pending_request(session: Session, customer_id: int) -> NewsletterRequest | None:
    """The customer's latest subscription request still waiting for its confirmation (and not expired)."""
    return session.scalar(
        sa.select(NewsletterRequest)
        .where(
            NewsletterRequest.customer_id == customer_id,
            NewsletterRequest.confirmed_at.is_(None),
            NewsletterRequest.created_at > now() - CONFIRM_WITHIN,
        )
        .order_by(NewsletterRequest.id.desc())
        .limit(1)
    )


def confirm_url(token: str) -> str:
    return f"{current_app.config['SHOP_BASE_URL'].rstrip('/')}/newsletter/confirm/{token}"


def request_subscription(
    session: Session, customer: Customer, *, source: ConsentSource | str, origin: Origin = Origin()
) -> NewsletterRequest | None:
    """Ask for the subscription: a confirmation email with its link (in the outbox, never held by quiet hours);
    None when the customer is subscribed already. A second click within RESEND_AFTER sends nothing new."""
    if customer.newsletter_subscribed:
        return None
    pending = pending_request(session, customer.id)
    if pending is not None and now() - pending.created_at < RESEND_AFTER:
        return pending
    found = NewsletterRequest(
        customer_id=customer.id,
        token=secrets.token_urlsafe(32),
        source=ConsentSource(source),
        consent_version=CONSENT_VERSION,
        ip=origin.ip[:45],
        user_agent=origin.user_agent[:300],
        created_at=now(),
    )
    session.add(found)
    session.flush()
    notifications.queue_many(
        session,
        [
            {
                "channel": Channel.email,
                "event": NEWSLETTER_CONFIRM,
                "recipient": customer.email,
                "customer_id": customer.id,
                "payload": {"confirm_url": confirm_url(found.token), "days": CONFIRM_WITHIN.days},
                "dedupe_key": f"{NEWSLETTER_CONFIRM}:{found.id}",
            }
        ],
    )
    return found


def request_by_token(session: Session, token: str) -> NewsletterRequest:
    found = session.scalar(sa.select(NewsletterRequest).where(NewsletterRequest.token == token)) if token else None
    if found is None:
        raise NotFound("Ссылка подтверждения недействительна.")
    return found


def confirm(session: Session, token: str, *, origin: Origin = Origin()) -> Customer:
    """The customer opened the link and confirmed: the subscription starts and the consent is logged."""
    found = (
        session.scalar(sa.select(NewsletterRequest).where(NewsletterRequest.token == token).with_for_update())
        if token
        else None
    )
    if found is None:
        raise NotFound("Ссылка подтверждения недействительна.")
    customer = found.customer
    if found.confirmed_at is not None:
        return customer  # opened twice: already done
    if now() - found.created_at > CONFIRM_WITHIN:
        raise ValidationError("Ссылка подтверждения устарела. Подпишитесь ещё раз в профиле — мы пришлём новую.")
    if not customer.active:
        raise NotFound("Ссылка подтверждения недействительна.")
    found.confirmed_at = now()
    set_subscription(
        session,
        customer,
        subscribed=True,
        source=found.source,
        origin=origin,
        consent_version=found.consent_version,
        requested_at=found.created_at,
    )
    return customer


def record_registration(session: Session, customer: Customer, *, origin: Origin = Origin()) -> None:
    """The registration form's ticked box asks for the subscription (double opt-in): nothing starts yet."""
    if customer.newsletter_subscribed:
        customer.newsletter_subscribed = False
        session.flush()
        request_subscription(session, customer, source=ConsentSource.registration, origin=origin)


PRIVACY_SLUG = "privacy"  # the CMS page with the personal-data policy


def privacy_policy(session: Session) -> Page | None:
    """The published personal-data policy page (152-ФЗ), which registration asks consent to; None if missing."""
    return session.scalar(sa.select(Page).where(Page.slug == PRIVACY_SLUG, Page.is_published.is_(True)))


def record_personal_data_consent(
    session: Session, customer: Customer, *, source: ConsentSource | str = ConsentSource.registration
) -> PersonalDataConsent:
    """Record the consent to personal-data processing with the policy (title, address, edition) it was given to."""
    session.flush()
    page = privacy_policy(session)
    title = page.title if page is not None else "Политика обработки персональных данных"
    consent = PersonalDataConsent(
        customer_id=customer.id,
        document=f"{title} (/pages/{PRIVACY_SLUG})"[:300],
        edition=page.updated_at.isoformat(timespec="seconds") if page is not None else "",
        source=ConsentSource(source),
    )
    session.add(consent)
    session.flush()
    return consent


def history(session: Session, customer_id: int) -> list[NewsletterConsent]:
    return list(
        session.scalars(
            sa.select(NewsletterConsent)
            .where(NewsletterConsent.customer_id == customer_id)
            .order_by(NewsletterConsent.created_at.desc(), NewsletterConsent.id.desc())
        )
    )


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(session: Session, customer: Customer) -> str:
    """The customer's stored random token (made on first use): independent of SECRET_KEY."""
    if customer.newsletter_token is None:
        customer.newsletter_token = secrets.token_urlsafe(32)
        session.flush()
    return customer.newsletter_token


def unsubscribe_url(session: Session, customer: Customer) -> str:
    """The one-click unsubscribe link of a customer (no login needed, does not expire)."""
    base = current_app.config["SHOP_BASE_URL"].rstrip("/")
    return f"{base}/unsubscribe/{unsubscribe_token(session, customer)}"


def customer_by_token(session: Session, token: str) -> Customer:
    customer = session.scalar(sa.select(Customer).where(Customer.newsletter_token == token)) if token else None
    if customer is not None:
        return customer
    try:  # a link sent before the tokens were stored: signed with the (current) SECRET_KEY
        customer_id = _serializer().loads(token)
    except BadSignature:
        raise NotFound("Ссылка для отписки недействительна.") from None
    customer = session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None:
        raise NotFound("Ссылка для отписки недействительна.")
    return customer


def unsubscribe_by_token(session: Session, token: str, *, origin: Origin = Origin()) -> Customer:
    customer = customer_by_token(session, token)
    set_subscription(session, customer, subscribed=False, source=ConsentSource.unsubscribe_link, origin=origin)
    return customer


@dataclass(frozen=True)
class Subscriber:
    email: str
    full_name: str
    phone: str
    subscribed_at: datetime | None
    source: ConsentSource | None


def subscribers(session: Session) -> Iterator[Subscriber]:
    """Active subscribed customers with when and where they last subscribed (streamed, for CSV export)."""
    latest = (
        sa.select(NewsletterConsent.customer_id, sa.func.max(NewsletterConsent.id).label("consent_id"))
        .where(NewsletterConsent.subscribed.is_(True))
        .group_by(NewsletterConsent.customer_id)
        .subquery()
    )
    query = (
        sa.select(
            Customer.email, Customer.full_name, Customer.phone, NewsletterConsent.created_at, NewsletterConsent.source
        )
        .outerjoin(latest, latest.c.customer_id == Customer.id)
        .outerjoin(NewsletterConsent, NewsletterConsent.id == latest.c.consent_id)
        .where(Customer.newsletter_subscribed.is_(True), Customer.active.is_(True))
        .order_by(Customer.email)
        .execution_options(yield_per=1000)
    )
    for row in session.execute(query):
        yield Subscriber(*row)
