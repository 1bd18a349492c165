"""Revisions of news items, promotions and banners: a JSON snapshot of the saved fields on every save that
changes something, listed on the item's page, and restored through the same save function (so a restore is
checked like any edit and is itself a new revision)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import ContentRevision
from app.services.actors import Actor
from app.services.errors import NotFound

NEWS = "news"
BANNER = "banner"


def _plain(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    return getattr(value, "value", value)  # enums by value


def snapshot_of(obj: object, fields: tuple[str, ...]) -> dict:
    return {name: _plain(getattr(obj, name)) for name in fields}


def revisions(session: Session, kind: str, object_id: int) -> list[ContentRevision]:
    """Newest first."""
    return list(
        session.scalars(
            sa.select(ContentRevision)
            .where(ContentRevision.kind == kind, ContentRevision.object_id == object_id)
            .order_by(ContentRevision.number.desc())
        )
    )


def record(session: Session, kind: str, object_id: int, snapshot: dict, *, actor: Actor, note: str = "") -> bool:
    """Keep this state as a new revision, unless it equals the latest one; True when one was written."""
    latest = session.scalar(
        sa.select(ContentRevision)
        .where(ContentRevision.kind == kind, ContentRevision.object_id == object_id)
        .order_by(ContentRevision.number.desc())
        .limit(1)
    )
    if latest is not None and latest.snapshot == snapshot:
        return False
    session.add(
        ContentRevision(
            kind=kind,
            object_id=object_id,
            number=(latest.number if latest else 0) + 1,
            snapshot=snapshot,
            author_name=actor.name[:200],
            note=(note or ("Создана" if latest is None else "Изменена"))[:200],
        )
    )
    session.flush()
    return True


def revision(session: Session, kind: str, revision_id: int) -> ContentRevision:
    found = session.get(ContentRevision, revision_id)
    if found is None or found.kind != kind:
        raise NotFound("Редакция не найдена.")
    return found


def moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
