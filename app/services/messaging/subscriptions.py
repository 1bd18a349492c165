"""Marketing consent: subscribe / unsubscribe with an append-only history, one-click unsubscribe links, subscribers."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.orm import Session

from app.models import ConsentSource, Customer, NewsletterConsent, Page, PersonalDataConsent
from app.services.errors import NotFound

SALT = "newsletter-unsubscribe"


def set_subscription(
    session: Session, customer: Customer, *, subscribed: bool, source: ConsentSource | str, actor: str = ""
) -> bool:
    """Turn the consent on or off and record it; returns False (and records nothing) when it did not change."""
    source = ConsentSource(source)
    if customer.newsletter_subscribed == subscribed:
        return False
    customer.newsletter_subscribed = subscribed
    session.add(NewsletterConsent(customer_id=customer.id, subscribed=subscribed, source=source, actor=actor[:200]))
    session.flush()
    return True


def record_registration(session: Session, customer: Customer) -> None:
    """At registration the flag is set from the form; record where the consent came from."""
    if customer.newsletter_subscribed:
        session.flush()
        session.add(NewsletterConsent(customer_id=customer.id, subscribed=True, source=ConsentSource.registration))
        session.flush()


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


def unsubscribe_token(customer_id: int) -> str:
    return _serializer().dumps(customer_id)


def unsubscribe_url(customer_id: int) -> str:
    """The one-click unsubscribe link of a customer (signed, no login needed, does not expire)."""
    base = current_app.config["SHOP_BASE_URL"].rstrip("/")
    return f"{base}/unsubscribe/{unsubscribe_token(customer_id)}"


def customer_by_token(session: Session, token: str) -> Customer:
    try:
        customer_id = _serializer().loads(token)
    except BadSignature:
        raise NotFound("Ссылка для отписки недействительна.") from None
    customer = session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None:
        raise NotFound("Ссылка для отписки недействительна.")
    return customer


def unsubscribe_by_token(session: Session, token: str) -> Customer:
    customer = customer_by_token(session, token)
    set_subscription(session, customer, subscribed=False, source=ConsentSource.unsubscribe_link)
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
