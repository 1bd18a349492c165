"""The site version: what storefront caches are keyed by. Database triggers rewrite its one row whenever
catalog, prices, banners, news, pages, images, promo codes or reviews change, by any path (back office,
services, CLI, SQL), so every app process learns of a change with one primary-key read.

A process may reuse what it read for `max_age` seconds (STOREFRONT_VERSION_CHECK_SECONDS): a change made by
another process then shows within that time; one made by this process (any commit here) shows at once.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.models import SiteVersion


@dataclass(frozen=True)
class Version:
    token: int
    changed_at: datetime


_lock = threading.Lock()
_last: tuple[Version, float] | None = None  # what this process read last, and when (monotonic)


def forget() -> None:
    """Read the version again on the next call (after this process committed something)."""
    global _last
    with _lock:
        _last = None


@event.listens_for(Session, "after_commit")
def _forget_after_commit(_session: Session) -> None:
    forget()


def trusted(max_age: float) -> Version | None:
    """The version this process read less than `max_age` seconds ago (and has not committed since), or None."""
    with _lock:
        last = _last
    if max_age > 0 and last is not None and time.monotonic() - last[1] < max_age:
        return last[0]
    return None


def current(session: Session, *, max_age: float = 0.0) -> Version | None:
    """The site's version; None when the row is missing (an emptied database): cache nothing then."""
    global _last
    found = trusted(max_age)
    if found is not None:
        return found
    row = session.execute(sa.select(SiteVersion.token, SiteVersion.changed_at).where(SiteVersion.id == 1)).first()
    if row is None:
        return None
    found = Version(token=row.token, changed_at=row.changed_at)
    with _lock:
        _last = (found, time.monotonic())
    return found
