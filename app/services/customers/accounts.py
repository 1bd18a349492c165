"""Customer accounts: blocking and unblocking by staff; telling an owner that someone registered with their address."""

from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy.orm import Session

from app.models import Channel, Customer
from app.services.messaging import notifications
from app.services.shoptime import now

ACCOUNT_EXISTS = "account_exists"  # outbox event: a registration was tried with an address that has an account


def block(session: Session, customer: Customer, *, reason: str = "") -> bool:
    """Block the account: no login, no orders. Returns False when it was blocked already."""
    if not customer.active:
        return False
    customer.active = False
    customer.blocked_reason = reason.strip()[:500] or "Заблокирован сотрудником"
    session.flush()
    return True


def unblock(session: Session, customer: Customer) -> bool:
    if customer.active:
        return False
    customer.active = True
    customer.blocked_reason = ""
    session.flush()
    return True


def notify_registration_attempt(session: Session, customer: Customer, *, moment: datetime | None = None) -> int:
    """Someone tried to register with this customer's address: the page says «проверьте почту» as for a new
    account (it never tells whether an address is taken), and the owner gets an email with the way in.

    Queued in the outbox at most once an hour per account (repeated attempts do not flood the mailbox).
    """
    base = current_app.config["SHOP_BASE_URL"].rstrip("/")
    hour = (moment or now()).strftime("%Y%m%d%H")
    return notifications.queue_many(
        session,
        [
            {
                "channel": Channel.email,
                "event": ACCOUNT_EXISTS,
                "recipient": customer.email,
                "payload": {"login_url": f"{base}/account/login", "reset_url": f"{base}/account/reset"},
                "dedupe_key": f"{ACCOUNT_EXISTS}:{customer.id}:{hour}",
            }
        ],
    )
