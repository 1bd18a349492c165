"""The site version: what storefront caches are keyed by. Database triggers rewrite its one row whenever
catalog, prices, banners, news, pages, images, promo codes or reviews change, by any path (back office,
services, CLI, SQL), so every app process learns of a change with one primary-key read per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import SiteVersion


@dataclass(frozen=True)
class Version:
    token: int
    changed_at: datetime


def current(session: Session) -> Version | None:
    """The site's version now; None when the row is missing (an emptied database): cache nothing then."""
    row = session.execute(sa.select(SiteVersion.token, SiteVersion.changed_at).where(SiteVersion.id == 1)).first()
    return Version(token=row.token, changed_at=row.changed_at) if row else None
