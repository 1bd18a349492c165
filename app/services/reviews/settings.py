"""The shop's review settings (one row): publish unflagged reviews without a person, and when to invite a review."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models.reviews import ReviewSettings
from app.services.actors import Actor
from app.services.errors import ValidationError

SETTINGS_ID = 1
DEFAULT_INVITE_AFTER_DAYS = 7
MAX_INVITE_AFTER_DAYS = 90


def current(session: Session) -> ReviewSettings:
    """The stored settings, or the defaults (not saved) when nobody has changed them yet."""
    row = session.get(ReviewSettings, SETTINGS_ID)
    if row is None:
        row = ReviewSettings(
            id=SETTINGS_ID, auto_publish=False, invite_after_days=DEFAULT_INVITE_AFTER_DAYS, updated_by_name=""
        )
    return row


def save(session: Session, *, auto_publish: bool, invite_after_days: int | str, actor: Actor) -> ReviewSettings:
    """Store the settings; ValidationError (nothing changed) for a number of days out of range."""
    try:
        days = int(str(invite_after_days).strip())
    except ValueError:
        raise ValidationError("Укажите число дней от 0 до 90.", field="invite_after_days") from None
    if not 0 <= days <= MAX_INVITE_AFTER_DAYS:
        raise ValidationError("Укажите число дней от 0 до 90.", field="invite_after_days")
    row = session.get(ReviewSettings, SETTINGS_ID)
    if row is None:
        row = ReviewSettings(id=SETTINGS_ID)
        session.add(row)
    row.auto_publish = bool(auto_publish)
    row.invite_after_days = days
    row.updated_by_name = actor.name[:200]
    session.flush()
    return row
