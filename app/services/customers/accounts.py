"""Customer accounts as staff see them: blocking and unblocking."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import Customer


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
