"""Pages of the site: saving with a revision per change, restoring a revision, what is published and in the menu."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import (
    Page,
    PageRevision,
)
from app.services.actors import Actor
from app.services.content.fields import clean_slug, images_in, markdown_body, optional_text, required_text
from app.services.errors import NotFound, ValidationError
from app.services.shoptime import now

# ------------------------------------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class PageData:
    title: str
    slug: str = ""
    body: str = ""
    seo_title: str = ""
    seo_description: str = ""
    is_published: bool = False
    show_in_header: bool = False
    position: int = 0


PAGE_FIELDS = ("title", "slug", "body", "seo_title", "seo_description", "is_published", "show_in_header", "position")
PAGE_LABELS = {
    "title": "Заголовок",
    "slug": "Адрес (slug)",
    "body": "Текст",
    "seo_title": "SEO-заголовок",
    "seo_description": "SEO-описание",
    "is_published": "Опубликована",
    "show_in_header": "В меню сайта",
    "position": "Порядок",
}


def _clean_page(data: PageData) -> tuple[dict, str]:
    title = required_text(data.title, field_name="title", label="Заголовок", limit=200)
    if not 0 <= data.position <= 9999:
        raise ValidationError("Порядок — целое число от 0 до 9999.", field="position")
    body, body_html = markdown_body(data.body)
    values = {
        "title": title,
        "slug": clean_slug(data.slug, title),
        "body": body,
        "seo_title": optional_text(data.seo_title, field_name="seo_title", label="SEO-заголовок", limit=200),
        "seo_description": optional_text(
            data.seo_description, field_name="seo_description", label="SEO-описание", limit=300
        ),
        "is_published": bool(data.is_published),
        "show_in_header": bool(data.show_in_header),
        "position": int(data.position),
    }
    return values, body_html


def save_page(
    session: Session, *, data: PageData, actor: Actor, page_id: int | None = None, note: str = ""
) -> tuple[Page, PageRevision | None]:
    """Create or change a page and keep the saved state as a new revision (none if nothing changed)."""
    page = None
    if page_id is not None:
        page = session.get(Page, page_id)
        if page is None:
            raise NotFound("Страница не найдена.")
    values, body_html = _clean_page(data)
    taken = session.scalar(sa.select(Page.id).where(Page.slug == values["slug"], Page.id != (page_id or 0)))
    if taken is not None:
        raise ValidationError(f"Адрес «{values['slug']}» уже занят другой страницей.", field="slug")
    images = images_in(session, body_html)
    if page is not None and all(getattr(page, name) == values[name] for name in PAGE_FIELDS):
        return page, None
    moment = now()
    if page is None:
        page = Page(created_at=moment)
        session.add(page)
        note = note or "Создана"
    for name, value in values.items():
        setattr(page, name, value)
    page.body_html = body_html
    page.images = images
    page.updated_at = moment
    page.updated_by_name = actor.name[:200]
    session.flush()
    number = (
        session.scalar(sa.select(sa.func.max(PageRevision.number)).where(PageRevision.page_id == page.id)) or 0
    ) + 1
    revision = PageRevision(
        page_id=page.id,
        number=number,
        created_at=moment,
        author_id=actor.staff_id,
        author_name=actor.name[:200],
        note=(note or "Изменена")[:200],
        **values,
    )
    session.add(revision)
    session.flush()
    session.expire(page, ["revisions"])
    return page, revision


def page_revision(session: Session, revision_id: int) -> PageRevision:
    revision = session.get(PageRevision, revision_id)
    if revision is None:
        raise NotFound("Редакция страницы не найдена.")
    return revision


def restore_revision(session: Session, *, revision_id: int, actor: Actor) -> tuple[Page, PageRevision | None]:
    """Make a page exactly as it was in a revision (the restore is itself saved as a new revision)."""
    old = page_revision(session, revision_id)
    data = PageData(**{name: getattr(old, name) for name in PAGE_FIELDS})
    return save_page(session, data=data, actor=actor, page_id=old.page_id, note=f"Восстановлена редакция №{old.number}")


def published_page(session: Session, slug: str) -> Page:
    page = session.scalar(sa.select(Page).where(Page.slug == slug, Page.is_published.is_(True)))
    if page is None:
        raise NotFound("Страница не найдена.")
    return page


def menu_pages(session: Session) -> list[Page]:
    """Published pages for the site's header and footer, in their order."""
    return list(session.scalars(sa.select(Page).where(Page.is_published.is_(True)).order_by(Page.position, Page.title)))
