"""Pages of the site: saving with a revision per change, drafts of published pages, publishing (by hand or at a
set time), restoring a revision, the required pages, what is published and in the menu.

A page not on the site yet changes as it is saved. Once published, a save makes a draft revision: the site
keeps showing the published revision until the draft is published («Опубликовать», or its `publish_at` time by
the scheduler's job); the preview shows the draft. The required pages («О компании», «Контакты», «Доставка и
оплата», the personal-data policy) cannot be deleted or unpublished, and their addresses never change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from markupsafe import escape
from sqlalchemy.orm import Session

from app.models import (
    DeliveryMethod,
    Page,
    PageRevision,
)
from app.services.actors import Actor
from app.services.content.fields import clean_slug, images_in, markdown_body, optional_text, required_text
from app.services.errors import NotFound, ValidationError
from app.services.money import format_money
from app.services.shoptime import format_datetime, now

# The pages every shop must have, by address: they cannot be deleted or unpublished, their slugs stay.
REQUIRED_PAGES = {
    "about": "О компании",
    "contacts": "Контакты",
    "delivery-and-payment": "Доставка и оплата",
    "privacy": "Политика обработки персональных данных",
}

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


def is_required(page: Page) -> bool:
    return page.slug in REQUIRED_PAGES


def _check_required(page: Page | None, values: dict) -> None:
    if page is None or not is_required(page):
        return
    if values["slug"] != page.slug:
        raise ValidationError(
            f"Адрес обязательной страницы «{REQUIRED_PAGES[page.slug]}» менять нельзя: /pages/{page.slug}.",
            field="slug",
        )
    if not values["is_published"] and page.is_published:
        raise ValidationError(
            f"Страница «{REQUIRED_PAGES[page.slug]}» обязательна для магазина — снять её с публикации нельзя.",
            field="is_published",
        )


def check_can_delete(page: Page) -> None:
    if is_required(page):
        raise ValidationError(f"Страница «{REQUIRED_PAGES[page.slug]}» обязательна для магазина — удалить её нельзя.")


def draft_of(page: Page) -> PageRevision | None:
    """The draft revision waiting for publication, if any."""
    if page.draft_number is None:
        return None
    return next((r for r in page.revisions if r.number == page.draft_number), None)


def editing_state(page: Page) -> Page | PageRevision:
    """What the editor opens: the draft when there is one, else the page as published."""
    return draft_of(page) or page


def _revision(session: Session, page: Page, values: dict, actor: Actor, note: str, moment: datetime) -> PageRevision:
    number = (
        session.scalar(sa.select(sa.func.max(PageRevision.number)).where(PageRevision.page_id == page.id)) or 0
    ) + 1
    revision = PageRevision(
        page_id=page.id,
        number=number,
        created_at=moment,
        author_id=actor.staff_id,
        author_name=actor.name[:200],
        note=note[:200],
        **values,
    )
    session.add(revision)
    session.flush()
    session.expire(page, ["revisions"])
    return revision


def _apply(session: Session, page: Page, values: dict, body_html: str, actor: Actor, moment: datetime) -> None:
    for name, value in values.items():
        setattr(page, name, value)
    page.body_html = body_html
    page.images = images_in(session, body_html)
    page.updated_at = moment
    page.updated_by_name = actor.name[:200]


def save_page(
    session: Session, *, data: PageData, actor: Actor, page_id: int | None = None, note: str = ""
) -> tuple[Page, PageRevision | None]:
    """Create or change a page and keep the saved state as a new revision (none if nothing changed).

    A published page is not changed: the revision becomes its draft (see the module docstring).
    """
    page = None
    if page_id is not None:
        page = session.get(Page, page_id)
        if page is None:
            raise NotFound("Страница не найдена.")
    values, body_html = _clean_page(data)
    _check_required(page, values)
    taken = session.scalar(sa.select(Page.id).where(Page.slug == values["slug"], Page.id != (page_id or 0)))
    if taken is not None:
        raise ValidationError(f"Адрес «{values['slug']}» уже занят другой страницей.", field="slug")
    images_in(session, body_html)  # refuses images that are not in the library
    if page is not None and all(getattr(editing_state(page), name) == values[name] for name in PAGE_FIELDS):
        return page, None
    moment = now()
    if page is not None and page.is_published:
        revision = _revision(session, page, values, actor, note or "Черновик", moment)
        page.draft_number = revision.number
        session.flush()
        return page, revision
    if page is None:
        page = Page(created_at=moment)
        session.add(page)
        note = note or "Создана"
    _apply(session, page, values, body_html, actor, moment)
    session.flush()
    revision = _revision(session, page, values, actor, note or "Изменена", moment)
    page.live_number = revision.number
    page.draft_number = None
    page.publish_at = None
    session.flush()
    return page, revision


def _page(session: Session, page_id: int) -> Page:
    page = session.get(Page, page_id, with_for_update=True)
    if page is None:
        raise NotFound("Страница не найдена.")
    return page


def publish_draft(session: Session, *, page_id: int, actor: Actor) -> Page:
    """«Опубликовать»: the site shows the draft from now on."""
    page = _page(session, page_id)
    draft = draft_of(page)
    if draft is None:
        raise ValidationError("У страницы нет черновика — публиковать нечего.")
    values, body_html = _clean_page(PageData(**{name: getattr(draft, name) for name in PAGE_FIELDS}))
    _check_required(page, values)
    taken = session.scalar(sa.select(Page.id).where(Page.slug == values["slug"], Page.id != page.id))
    if taken is not None:
        raise ValidationError(f"Адрес «{values['slug']}» уже занят другой страницей.", field="slug")
    _apply(session, page, values, body_html, actor, now())
    page.live_number = draft.number
    page.draft_number = None
    page.publish_at = None
    session.flush()
    return page


def discard_draft(session: Session, *, page_id: int) -> Page:
    """Drop the draft (its revision stays in the history); the site is unchanged."""
    page = _page(session, page_id)
    if page.draft_number is None:
        raise ValidationError("У страницы нет черновика.")
    page.draft_number = None
    page.publish_at = None
    session.flush()
    return page


def schedule_draft(session: Session, *, page_id: int, publish_at: datetime | None) -> Page:
    """Publish the draft by itself at `publish_at` (aware, in the future); None cancels the schedule."""
    page = _page(session, page_id)
    if page.draft_number is None:
        raise ValidationError("У страницы нет черновика — планировать нечего.")
    if publish_at is not None:
        if publish_at.tzinfo is None:
            raise ValueError("publish_at must be timezone-aware")
        if publish_at <= now():
            raise ValidationError("Время публикации должно быть в будущем.", field="publish_at")
    page.publish_at = publish_at
    session.flush()
    return page


def publish_due_drafts(session: Session, *, actor: Actor) -> list[str]:
    """Publish every draft whose time has come (the scheduler's job); the titles published."""
    due = session.scalars(
        sa.select(Page.id).where(Page.publish_at.is_not(None), Page.publish_at <= now()).order_by(Page.publish_at)
    ).all()
    done = []
    for page_id in due:
        try:
            with session.begin_nested():
                done.append(publish_draft(session, page_id=page_id, actor=actor).title)
        except ValidationError:  # e.g. its address was taken meanwhile: the draft waits for an editor
            page = session.get(Page, page_id)
            if page is not None:
                page.publish_at = None
    session.flush()
    return done


def draft_state(page: Page) -> str:
    """«Черновик от …, будет опубликован …» for the back office, or an empty string."""
    draft = draft_of(page)
    if draft is None:
        return ""
    text = f"Черновик (редакция №{draft.number}) от {format_datetime(draft.created_at)}"
    if page.publish_at is not None:
        text += f", будет опубликован {format_datetime(page.publish_at)}"
    return text


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


def draft_html(revision: PageRevision) -> str:
    """The draft's text as the site would show it (sanitised), for the preview."""
    return markdown_body(revision.body)[1]


def published_page(session: Session, slug: str) -> Page:
    page = session.scalar(sa.select(Page).where(Page.slug == slug, Page.is_published.is_(True)))
    if page is None:
        raise NotFound("Страница не найдена.")
    return page


# A paragraph holding only this marker shows the delivery prices from the settings (never typed by hand).
DELIVERY_PRICES = "[[цены доставки]]"


def delivery_prices_html() -> str:
    """The delivery methods and their prices as the checkout charges them (settings), as an HTML table."""
    config = current_app.config
    free_from = format_money(config["DELIVERY_FREE_FROM"])
    rows = [
        (DeliveryMethod.pickup.label, "бесплатно"),
        (
            DeliveryMethod.courier.label,
            f"{format_money(config['DELIVERY_PRICE_COURIER'])}, бесплатно при заказе от {free_from}",
        ),
        (DeliveryMethod.post.label, format_money(config["DELIVERY_PRICE_POST"])),
    ]
    body = "".join(f"<tr><td>{escape(name)}</td><td>{escape(price)}</td></tr>" for name, price in rows)
    return f"<table>\n<thead><tr><th>Способ</th><th>Стоимость</th></tr></thead>\n<tbody>{body}</tbody>\n</table>"


def page_html(page: Page) -> str:
    """The page's stored HTML with the settings filled in where its text asks for them."""
    marker = f"<p>{escape(DELIVERY_PRICES)}</p>"
    if marker not in page.body_html:
        return page.body_html
    return page.body_html.replace(marker, delivery_prices_html())


def menu_pages(session: Session) -> list[Page]:
    """Published pages for the site's header and footer, in their order."""
    return list(session.scalars(sa.select(Page).where(Page.is_published.is_(True)).order_by(Page.position, Page.title)))
