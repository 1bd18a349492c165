"""Which content image variant is served to whom: the public only what published content shows right now,
staff any (the back office previews drafts)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Banner, ContentImageVariant, ImageVariant, NewsItem, Page, StoredFile
from app.models.content import news_item_image, page_image
from app.services.content.banners import visible_banner_condition
from app.services.content.news import visible_item_condition
from app.services.errors import NotFound
from app.services.shoptime import now


def public_image_file(session: Session, *, image_id: int, variant: str) -> StoredFile:
    """A variant of a content image, only while published content shows it; NotFound otherwise.

    Only content images are ever served this way: customers' layouts are no content image and never match.
    """
    try:
        wanted = ImageVariant(variant)
    except ValueError:
        raise NotFound("Изображение не найдено.") from None
    moment = now()
    visible_item = visible_item_condition(moment)
    used = sa.or_(
        sa.exists().where(NewsItem.cover_image_id == image_id, visible_item),
        sa.exists()
        .select_from(news_item_image.join(NewsItem, NewsItem.id == news_item_image.c.item_id))
        .where(news_item_image.c.image_id == image_id, visible_item),
        sa.exists()
        .select_from(page_image.join(Page, Page.id == page_image.c.page_id))
        .where(page_image.c.image_id == image_id, Page.is_published.is_(True)),
        sa.exists().where(
            sa.or_(Banner.image_id == image_id, Banner.mobile_image_id == image_id),
            visible_banner_condition(moment),
        ),
    )
    stored = session.scalar(
        sa.select(StoredFile)
        .join(ContentImageVariant, ContentImageVariant.file_id == StoredFile.id)
        .where(ContentImageVariant.image_id == image_id, ContentImageVariant.variant == wanted, used)
    )
    if stored is None or stored.kind not in ("png", "jpeg"):
        raise NotFound("Изображение не найдено.")
    return stored


def staff_image_file(session: Session, *, image_id: int, variant: str) -> StoredFile:
    """Any variant of any content image (the back office previews drafts)."""
    try:
        wanted = ImageVariant(variant)
    except ValueError:
        raise NotFound("Изображение не найдено.") from None
    stored = session.scalar(
        sa.select(StoredFile)
        .join(ContentImageVariant, ContentImageVariant.file_id == StoredFile.id)
        .where(ContentImageVariant.image_id == image_id, ContentImageVariant.variant == wanted)
    )
    if stored is None:
        raise NotFound("Изображение не найдено.")
    return stored
