"""News and promotions: saving, what is visible when (publish and expiry times, the promotion's promo code)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import (
    ContentImage,
    NewsItem,
    NewsKind,
    PromoCode,
)
from app.services.actors import Actor
from app.services.catalog import promo
from app.services.content import snapshots
from app.services.content.fields import aware, clean_slug, images_in, markdown_body, optional_text, required_text
from app.services.content.media import ImageUpload, upload_image
from app.services.errors import NotFound, ValidationError
from app.services.shoptime import format_date_long, format_datetime, now, shop_today

# ------------------------------------------------------------------------------------------ news and promotions

NEWS_PER_PAGE = 10
PROMOTIONS_ON_HOME = 3


@dataclass(frozen=True)
class NewsData:
    kind: NewsKind | str
    title: str
    publish_at: datetime
    slug: str = ""
    teaser: str = ""
    body: str = ""
    expire_at: datetime | None = None
    is_published: bool = False
    promo_code_id: int | None = None
    seo_title: str = ""
    seo_description: str = ""


def visible_item_condition(moment: datetime) -> sa.ColumnElement[bool]:
    """SQL: the item is on the site at this moment."""
    usable = sa.exists().where(PromoCode.id == NewsItem.promo_code_id, promo.usable_condition(shop_today(moment)))
    return sa.and_(
        NewsItem.is_published.is_(True),
        NewsItem.publish_at <= moment,
        sa.or_(NewsItem.expire_at.is_(None), NewsItem.expire_at > moment),
        sa.or_(NewsItem.promo_code_id.is_(None), usable),
    )


def promo_validity(code: PromoCode, moment: datetime | None = None) -> str:
    """The validity of a promotion's code, in words, for the site and the newsletter."""
    if not promo.is_usable(code, shop_today(moment or now())):
        return "срок действия промокода закончился"
    if code.valid_from and code.valid_until:
        return f"действует с {format_date_long(code.valid_from)} по {format_date_long(code.valid_until)}"
    if code.valid_until:
        return f"действует по {format_date_long(code.valid_until)} включительно"
    if code.valid_from:
        return f"действует с {format_date_long(code.valid_from)}"
    return "действует без ограничения срока"


def item_state(item: NewsItem, moment: datetime | None = None) -> str:
    """Where an item stands for staff: черновик, запланирована, на сайте, снята."""
    moment = moment or now()
    if not item.is_published:
        return "Черновик"
    if item.publish_at > moment:
        return f"Запланирована на {format_datetime(item.publish_at)}"
    if item.expire_at is not None and item.expire_at <= moment:
        return f"Снята с сайта {format_datetime(item.expire_at)}"
    if item.promo_code is not None and not promo.is_usable(item.promo_code, shop_today(moment)):
        return f"Акция завершена: промокод {item.promo_code.code} больше не действует"
    return "На сайте"


def _clean_news(session: Session, data: NewsData) -> tuple[dict, str]:
    try:
        kind = NewsKind(data.kind)
    except ValueError:
        raise ValidationError("Выберите тип: новость или акция.", field="kind") from None
    title = required_text(data.title, field_name="title", label="Заголовок", limit=200)
    publish_at = aware(data.publish_at, "publish_at")
    if publish_at is None:
        raise ValidationError("Укажите дату и время публикации.", field="publish_at")
    expire_at = aware(data.expire_at, "expire_at")
    if expire_at is not None and expire_at <= publish_at:
        raise ValidationError("Снять с публикации можно только позже даты публикации.", field="expire_at")
    promo_code_id = data.promo_code_id or None
    if promo_code_id is not None:
        if kind != NewsKind.promo:
            raise ValidationError("Промокод можно привязать только к акции.", field="promo_code_id")
        if session.get(PromoCode, promo_code_id) is None:
            raise ValidationError("Промокод не найден.", field="promo_code_id")
    body, body_html = markdown_body(data.body)
    values = {
        "kind": kind,
        "title": title,
        "slug": clean_slug(data.slug, title),
        "teaser": optional_text(data.teaser, field_name="teaser", label="Анонс", limit=500, multiline=True),
        "body": body,
        "publish_at": publish_at,
        "expire_at": expire_at,
        "is_published": bool(data.is_published),
        "promo_code_id": promo_code_id,
        "seo_title": optional_text(data.seo_title, field_name="seo_title", label="SEO-заголовок", limit=200),
        "seo_description": optional_text(
            data.seo_description, field_name="seo_description", label="SEO-описание", limit=300
        ),
    }
    return values, body_html


def save_news_item(
    session: Session,
    *,
    data: NewsData,
    actor: Actor,
    item_id: int | None = None,
    cover: ImageUpload | None = None,
    remove_cover: bool = False,
    note: str = "",
) -> NewsItem:
    """Create or change a news item or promotion (with a new cover image, if one is uploaded)."""
    item = None
    if item_id is not None:
        item = session.get(NewsItem, item_id)
        if item is None:
            raise NotFound("Новость не найдена.")
    values, body_html = _clean_news(session, data)
    taken = session.scalar(sa.select(NewsItem.id).where(NewsItem.slug == values["slug"], NewsItem.id != (item_id or 0)))
    if taken is not None:
        raise ValidationError(f"Адрес «{values['slug']}» уже занят другой новостью.", field="slug")
    images = images_in(session, body_html)
    cover_image = (
        upload_image(session, upload=cover, actor=actor, title=values["title"], field="cover") if cover else None
    )
    moment = now()
    if item is None:
        item = NewsItem(created_at=moment)
        session.add(item)
    for name, value in values.items():
        setattr(item, name, value)
    item.body_html = body_html
    item.images = images
    if cover_image is not None:
        item.cover_image = cover_image
    elif remove_cover:
        item.cover_image = None
    item.updated_at = moment
    item.updated_by_name = actor.name[:200]
    session.flush()
    snapshots.record(session, snapshots.NEWS, item.id, snapshots.snapshot_of(item, NEWS_FIELDS), actor=actor, note=note)
    return item


NEWS_FIELDS = (
    "kind",
    "title",
    "slug",
    "teaser",
    "body",
    "publish_at",
    "expire_at",
    "is_published",
    "promo_code_id",
    "seo_title",
    "seo_description",
    "cover_image_id",
)


def restore_news_revision(session: Session, *, revision_id: int, actor: Actor) -> NewsItem:
    """Bring a news item or promotion back to a revision (the cover too, while the image is in the library)."""
    old = snapshots.revision(session, snapshots.NEWS, revision_id)
    state = old.snapshot
    data = NewsData(
        kind=state["kind"],
        title=state["title"],
        slug=state["slug"],
        teaser=state["teaser"],
        body=state["body"],
        publish_at=snapshots.moment(state["publish_at"]),  # type: ignore[arg-type]
        expire_at=snapshots.moment(state["expire_at"]),
        is_published=state["is_published"],
        promo_code_id=state["promo_code_id"],
        seo_title=state["seo_title"],
        seo_description=state["seo_description"],
    )
    item = session.get(NewsItem, old.object_id)
    if item is None:
        raise NotFound("Новость не найдена.")
    cover = state.get("cover_image_id")
    picture = session.get(ContentImage, cover) if cover is not None else None
    if picture is not None or cover is None:
        item.cover_image = picture
    return save_news_item(
        session, data=data, actor=actor, item_id=old.object_id, note=f"Восстановлена редакция №{old.number}"
    )


@dataclass(frozen=True)
class ItemsPage:
    items: list[NewsItem]
    page: int
    pages: int
    total: int


def _with_pictures(query: sa.Select) -> sa.Select:
    return query.options(
        selectinload(NewsItem.cover_image).selectinload(ContentImage.variants), selectinload(NewsItem.promo_code)
    )


def published_items(
    session: Session, *, kind: NewsKind | None = None, page: int = 1, per_page: int = NEWS_PER_PAGE
) -> ItemsPage:
    """One page of what is on the site now, newest first; NotFound past the last page."""
    condition = visible_item_condition(now())
    if kind is not None:
        condition = sa.and_(condition, NewsItem.kind == kind)
    total = session.scalar(sa.select(sa.func.count()).select_from(NewsItem).where(condition)) or 0
    pages = max(1, math.ceil(total / per_page))
    if page < 1 or page > pages:
        raise NotFound("Такой страницы новостей нет.")
    items = session.scalars(
        _with_pictures(sa.select(NewsItem))
        .where(condition)
        .order_by(NewsItem.publish_at.desc(), NewsItem.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    return ItemsPage(list(items), page, pages, total)


def published_item(session: Session, slug: str) -> NewsItem:
    item = session.scalar(
        _with_pictures(sa.select(NewsItem)).where(NewsItem.slug == slug, visible_item_condition(now()))
    )
    if item is None:
        raise NotFound("Новость не найдена.")
    return item


def current_promotions(session: Session, *, limit: int = PROMOTIONS_ON_HOME) -> list[NewsItem]:
    return list(
        session.scalars(
            _with_pictures(sa.select(NewsItem))
            .where(NewsItem.kind == NewsKind.promo, visible_item_condition(now()))
            .order_by(NewsItem.publish_at.desc(), NewsItem.id.desc())
            .limit(limit)
        )
    )


def is_item_visible(session: Session, item_id: int, moment: datetime | None = None) -> bool:
    found = session.scalar(
        sa.select(NewsItem.id).where(NewsItem.id == item_id, visible_item_condition(moment or now()))
    )
    return found is not None
