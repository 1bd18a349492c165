"""Site content rules: pages and their revisions, news and promotions, home-page banners, what is public when,
and the newsletter of an item to subscribed customers.

Visibility is decided by queries against the current time (no job): an item shows from `publish_at` until
`expire_at`; a promotion also ends when its promo code is switched off, expires or runs out; a banner shows
while active and inside its window. Times are aware UTC here; the back office converts what staff type in
the shop's time zone before calling in.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy.orm import Session, selectinload

from app.models import (
    Banner,
    Channel,
    ContentImage,
    ContentImageVariant,
    Customer,
    NewsItem,
    NewsKind,
    Notification,
    Page,
    PageRevision,
    PromoCode,
    StoredFile,
)
from app.models.content import ImageVariant, news_item_image, page_image
from app.services import messages, notifications
from app.services.errors import NotFound, ValidationError
from app.services.history import Actor
from app.services.images import ImageUpload, upload_image
from app.services.markup import MAX_BODY_CHARS, image_ids, plain_text, render_markdown
from app.services.shoptime import format_date_long, format_datetime, now, shop_today

NEWSLETTER = "newsletter"  # outbox event of "send to subscribers"
NEWS_PER_PAGE = 10
PROMOTIONS_ON_HOME = 3
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_LINK_CHARS = 500

_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
) | {"ъ": "", "ь": ""}


# ---------------------------------------------------------------------------------------------- common checks


def slugify(text: str) -> str:
    """A Latin address from a Russian title: «Доставка и оплата» → dostavka-i-oplata."""
    latin = "".join(_TRANSLIT.get(ch, ch) for ch in text.lower())
    return re.sub(r"[^a-z0-9]+", "-", latin).strip("-")[:80].strip("-")


def clean_slug(slug: str, title: str) -> str:
    value = (slug or "").strip().lower() or slugify(title)
    if not value:
        raise ValidationError("Укажите адрес страницы (slug) латиницей.", field="slug")
    if len(value) > 100 or not SLUG_RE.match(value):
        raise ValidationError(
            "Адрес (slug): латинские буквы, цифры и дефисы между ними, до 100 символов.", field="slug"
        )
    return value


def _required_text(value: str, *, field_name: str, label: str, limit: int, multiline: bool = False) -> str:
    text = plain_text(value, multiline=multiline)
    if not text:
        raise ValidationError(f"Заполните поле «{label}».", field=field_name)
    return _limited(text, field_name=field_name, label=label, limit=limit)


def _limited(text: str, *, field_name: str, label: str, limit: int) -> str:
    if len(text) > limit:
        raise ValidationError(f"Поле «{label}» длиннее {limit} символов.", field=field_name)
    return text


def _optional_text(value: str, *, field_name: str, label: str, limit: int, multiline: bool = False) -> str:
    return _limited(plain_text(value, multiline=multiline), field_name=field_name, label=label, limit=limit)


def _body(source: str) -> tuple[str, str]:
    """The Markdown as typed (line ends normalised) and its sanitised HTML."""
    text = (source or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if len(text) > MAX_BODY_CHARS:
        raise ValidationError(f"Текст длиннее {MAX_BODY_CHARS} символов.", field="body")
    return text, render_markdown(text)


def _aware(moment: datetime | None, field_name: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ValueError(f"{field_name}: an aware datetime is required")
    return moment


def _images(session: Session, fragment: str) -> list[ContentImage]:
    ids = image_ids(fragment)
    if not ids:
        return []
    found = list(session.scalars(sa.select(ContentImage).where(ContentImage.id.in_(ids))))
    missing = ids - {image.id for image in found}
    if missing:
        raise ValidationError(
            "В тексте есть изображения, которых нет в библиотеке ("
            + ", ".join(f"№{i}" for i in sorted(missing))
            + "). Загрузите их в «Изображения» и вставьте строку оттуда.",
            field="body",
        )
    return found


def validate_link(link: str) -> str:
    """A banner's link: a path inside the shop ("/catalog/vizitki") or an http(s) URL; nothing else."""
    value = (link or "").strip()
    if not value:
        return ""
    refused = ValidationError(
        "Ссылка: путь на сайте, начинающийся с «/» (например, /catalog/vizitki), или адрес http(s)://…",
        field="link",
    )
    if len(value) > MAX_LINK_CHARS:
        raise ValidationError(f"Ссылка длиннее {MAX_LINK_CHARS} символов.", field="link")
    if any(ch.isspace() or not ch.isprintable() for ch in value) or "\\" in value:
        raise refused
    if value.startswith("/"):
        if value.startswith("//"):
            raise refused
        return value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        raise refused from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise refused
    if port is not None and not 0 < port < 65536:
        raise refused
    return value


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
    title = _required_text(data.title, field_name="title", label="Заголовок", limit=200)
    if not 0 <= data.position <= 9999:
        raise ValidationError("Порядок — целое число от 0 до 9999.", field="position")
    body, body_html = _body(data.body)
    values = {
        "title": title,
        "slug": clean_slug(data.slug, title),
        "body": body,
        "seo_title": _optional_text(data.seo_title, field_name="seo_title", label="SEO-заголовок", limit=200),
        "seo_description": _optional_text(
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
    images = _images(session, body_html)
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


# ------------------------------------------------------------------------------------------------- revisions


@dataclass(frozen=True)
class DiffPart:
    text: str
    changed: bool


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: kind is equal, delete, insert, change or skip (unchanged lines hidden)."""

    kind: str
    old: Sequence[DiffPart] = ()
    new: Sequence[DiffPart] = ()
    skipped: int = 0


@dataclass(frozen=True)
class FieldDiff:
    name: str
    label: str
    old: str
    new: str
    rows: list[DiffRow] = field(default_factory=list)


def _words(old: str, new: str) -> tuple[list[DiffPart], list[DiffPart]]:
    a, b = re.findall(r"\s+|[^\s]+", old), re.findall(r"\s+|[^\s]+", new)
    left: list[DiffPart] = []
    right: list[DiffPart] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if i2 > i1:
            left.append(DiffPart("".join(a[i1:i2]), tag != "equal"))
        if j2 > j1:
            right.append(DiffPart("".join(b[j1:j2]), tag != "equal"))
    return left, right


def _line_rows(old: str, new: str, context: int = 2) -> list[DiffRow]:
    a, b = old.split("\n"), new.split("\n")
    rows: list[DiffRow] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines = a[i1:i2]
            if len(lines) > 2 * context + 1:
                head = lines[:context] if rows else []
                tail = lines[-context:] if i2 < len(a) or j2 < len(b) else []
                rows += [DiffRow("equal", [DiffPart(x, False)], [DiffPart(x, False)]) for x in head]
                rows.append(DiffRow("skip", skipped=len(lines) - len(head) - len(tail)))
                rows += [DiffRow("equal", [DiffPart(x, False)], [DiffPart(x, False)]) for x in tail]
            else:
                rows += [DiffRow("equal", [DiffPart(x, False)], [DiffPart(x, False)]) for x in lines]
            continue
        rows += _paired(a[i1:i2] if tag != "insert" else [], b[j1:j2] if tag != "delete" else [])
    return rows


def _paired(removed: list[str], added: list[str]) -> list[DiffRow]:
    """Rows for a changed block: a removed line faces the most similar added line (in order) as a change,
    so an edited sentence reads as one line with its changed words marked."""
    rows: list[DiffRow] = []
    start = 0
    for line in removed:
        best, best_at = 0.0, None
        for k in range(start, len(added)):
            ratio = difflib.SequenceMatcher(None, line, added[k], autojunk=False).ratio()
            if ratio > best:
                best, best_at = ratio, k
        if best_at is None or best < 0.5:
            rows.append(DiffRow("delete", [DiffPart(line, True)], []))
            continue
        rows += [DiffRow("insert", [], [DiffPart(x, True)]) for x in added[start:best_at]]
        left, right = _words(line, added[best_at])
        rows.append(DiffRow("change", left, right))
        start = best_at + 1
    rows += [DiffRow("insert", [], [DiffPart(x, True)]) for x in added[start:]]
    return rows


def _shown(name: str, value: object) -> str:
    if isinstance(value, bool):
        return "да" if value else "нет"
    return str(value)


def diff_pages(old: PageRevision | Page, new: PageRevision | Page) -> list[FieldDiff]:
    """What differs between two states of a page, field by field; the text line by line and word by word."""
    changes = []
    for name in PAGE_FIELDS:
        before, after = getattr(old, name), getattr(new, name)
        if before == after:
            continue
        rows = _line_rows(before, after) if name == "body" else []
        changes.append(FieldDiff(name, PAGE_LABELS[name], _shown(name, before), _shown(name, after), rows))
    return changes


# ------------------------------------------------------------------------------------------ news and promotions


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


def _code_usable(today) -> sa.ColumnElement[bool]:  # noqa: ANN001 - a date
    return sa.and_(
        PromoCode.is_active.is_(True),
        sa.or_(PromoCode.valid_until.is_(None), PromoCode.valid_until >= today),
        sa.or_(PromoCode.usage_limit.is_(None), PromoCode.times_used < PromoCode.usage_limit),
    )


def visible_item_condition(moment: datetime) -> sa.ColumnElement[bool]:
    """SQL: the item is on the site at this moment."""
    usable = sa.exists().where(PromoCode.id == NewsItem.promo_code_id, _code_usable(shop_today(moment)))
    return sa.and_(
        NewsItem.is_published.is_(True),
        NewsItem.publish_at <= moment,
        sa.or_(NewsItem.expire_at.is_(None), NewsItem.expire_at > moment),
        sa.or_(NewsItem.promo_code_id.is_(None), usable),
    )


def promo_code_usable(promo: PromoCode, moment: datetime | None = None) -> bool:
    today = shop_today(moment or now())
    return (
        promo.is_active
        and (promo.valid_until is None or promo.valid_until >= today)
        and (promo.usage_limit is None or promo.times_used < promo.usage_limit)
    )


def promo_validity(promo: PromoCode, moment: datetime | None = None) -> str:
    """The validity of a promotion's code, in words, for the site and the newsletter."""
    if not promo_code_usable(promo, moment):
        return "срок действия промокода закончился"
    if promo.valid_from and promo.valid_until:
        return f"действует с {format_date_long(promo.valid_from)} по {format_date_long(promo.valid_until)}"
    if promo.valid_until:
        return f"действует по {format_date_long(promo.valid_until)} включительно"
    if promo.valid_from:
        return f"действует с {format_date_long(promo.valid_from)}"
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
    if item.promo_code is not None and not promo_code_usable(item.promo_code, moment):
        return f"Акция завершена: промокод {item.promo_code.code} больше не действует"
    return "На сайте"


def _clean_news(session: Session, data: NewsData) -> tuple[dict, str]:
    try:
        kind = NewsKind(data.kind)
    except ValueError:
        raise ValidationError("Выберите тип: новость или акция.", field="kind") from None
    title = _required_text(data.title, field_name="title", label="Заголовок", limit=200)
    publish_at = _aware(data.publish_at, "publish_at")
    if publish_at is None:
        raise ValidationError("Укажите дату и время публикации.", field="publish_at")
    expire_at = _aware(data.expire_at, "expire_at")
    if expire_at is not None and expire_at <= publish_at:
        raise ValidationError("Снять с публикации можно только позже даты публикации.", field="expire_at")
    promo_code_id = data.promo_code_id or None
    if promo_code_id is not None:
        if kind != NewsKind.promo:
            raise ValidationError("Промокод можно привязать только к акции.", field="promo_code_id")
        if session.get(PromoCode, promo_code_id) is None:
            raise ValidationError("Промокод не найден.", field="promo_code_id")
    body, body_html = _body(data.body)
    values = {
        "kind": kind,
        "title": title,
        "slug": clean_slug(data.slug, title),
        "teaser": _optional_text(data.teaser, field_name="teaser", label="Анонс", limit=500, multiline=True),
        "body": body,
        "publish_at": publish_at,
        "expire_at": expire_at,
        "is_published": bool(data.is_published),
        "promo_code_id": promo_code_id,
        "seo_title": _optional_text(data.seo_title, field_name="seo_title", label="SEO-заголовок", limit=200),
        "seo_description": _optional_text(
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
    images = _images(session, body_html)
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
    return item


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


# ------------------------------------------------------------------------------------------------- newsletter


def _subscribers() -> sa.Select:
    return sa.select(Customer.id, Customer.email).where(
        Customer.newsletter_subscribed.is_(True), Customer.active.is_(True)
    )


def subscriber_count(session: Session) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(_subscribers().subquery())) or 0


def send_newsletter(session: Session, *, item_id: int, actor: Actor) -> int:
    """Queue one email per subscribed customer about a published item; once per item. Returns how many."""
    item = session.get(NewsItem, item_id)
    if item is None:
        raise NotFound("Новость не найдена.")
    if item.newsletter_sent_at is not None:
        raise ValidationError(_already_sent(item))
    if not is_item_visible(session, item_id):
        raise ValidationError(f"Разослать можно только то, что сейчас на сайте. Состояние: {item_state(item)}.")
    recipients = session.execute(_subscribers().order_by(Customer.id)).all()
    if not recipients:
        raise ValidationError("Нет покупателей, подписанных на рассылку, — отправлять некому.")
    moment = now()
    claimed: sa.CursorResult = session.execute(  # type: ignore[assignment]
        sa.update(NewsItem)
        .where(NewsItem.id == item_id, NewsItem.newsletter_sent_at.is_(None))
        .values(
            newsletter_sent_at=moment,
            newsletter_sent_by_id=actor.staff_id,
            newsletter_sent_by_name=actor.name[:200],
            newsletter_recipients=len(recipients),
        )
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # another editor sent it a moment ago
        session.refresh(item)
        raise ValidationError(_already_sent(item))
    rows = [
        {
            "channel": Channel.email,
            "event": NEWSLETTER,
            "recipient": email,
            "customer_id": customer_id,
            "payload": {"item_id": item_id},
            "dedupe_key": f"newsletter:{item_id}:{customer_id}",
        }
        for customer_id, email in recipients
    ]
    queued = notifications.queue_many(session, rows)
    session.expire(item)
    return queued


def _already_sent(item: NewsItem) -> str:
    return (
        f"Рассылка уже отправлена {format_datetime(item.newsletter_sent_at)} "
        f"({item.newsletter_sent_by_name or 'сотрудник'}, получателей: {item.newsletter_recipients})."
    )


def item_url(item: NewsItem) -> str:
    """The item's address on the site, absolute (emails leave the site)."""
    return f"{current_app.config['SHOP_BASE_URL'].rstrip('/')}/news/{item.slug}"


def render_newsletter(
    session: Session, notification: Notification, *, unsubscribe_url: str | None = None
) -> tuple[str, str, str]:
    """The newsletter email of an outbox row: (subject, text body, HTML body), in Russian."""
    item = session.get(NewsItem, (notification.payload or {}).get("item_id"))
    if item is None:
        raise NotFound("Новость для рассылки удалена.")
    shop = current_app.config["SHOP_NAME"]
    customer = session.get(Customer, notification.customer_id) if notification.customer_id else None
    greeting = f"Здравствуйте, {customer.full_name}!" if customer and customer.full_name else "Здравствуйте!"
    url = item_url(item)
    label = "Акция" if item.kind == NewsKind.promo else "Новость"
    subject = f"{label}: {item.title} — {shop}"
    promo_line = ""
    if item.promo_code is not None:
        promo_line = f"Промокод {item.promo_code.code}: {promo_validity(item.promo_code)}."
    text_lines = [greeting, "", item.title, ""]
    if item.teaser:
        text_lines += [item.teaser, ""]
    if promo_line:
        text_lines += [promo_line, ""]
    text_lines += [f"Подробнее: {url}", "", f"— {shop}"]
    if unsubscribe_url:
        text_lines += ["", f"Вы получили это письмо, потому что подписаны на новости. Отписаться: {unsubscribe_url}"]
    teaser_html = Markup("<br>").join(escape(line) for line in item.teaser.split("\n")) if item.teaser else ""
    html_parts = [
        Markup('<div style="font-family:Arial,sans-serif;font-size:15px;line-height:1.5;color:#212529">'),
        Markup("<p>%s</p>") % greeting,
        Markup('<h1 style="font-size:22px;margin:0 0 12px">%s</h1>') % item.title,
    ]
    if teaser_html:
        html_parts.append(Markup("<p>%s</p>") % teaser_html)
    if promo_line:
        html_parts.append(Markup('<p style="background:#e7f1ff;padding:8px 12px"><strong>%s</strong></p>') % promo_line)
    html_parts.append(
        Markup(
            '<p><a href="%s" style="display:inline-block;background:#0d6efd;color:#fff;padding:10px 18px;'
            'text-decoration:none;border-radius:4px">Читать на сайте</a></p>'
        )
        % url
    )
    html_parts.append(Markup('<p style="color:#6c757d">— %s</p>') % shop)
    if unsubscribe_url:
        html_parts.append(
            Markup(
                '<p style="color:#6c757d;font-size:12px">Вы получили это письмо, потому что подписаны на новости. '
                '<a href="%s">Отписаться</a></p>'
            )
            % unsubscribe_url
        )
    html_parts.append(Markup("</div>"))
    return subject, "\n".join(text_lines), str(Markup("").join(html_parts))


# ---------------------------------------------------------------------------------------------------- banners


@dataclass(frozen=True)
class BannerData:
    title: str
    alt_text: str
    link: str = ""
    position: int = 0
    active_from: datetime | None = None
    active_until: datetime | None = None
    is_active: bool = True


def visible_banner_condition(moment: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(
        Banner.is_active.is_(True),
        sa.or_(Banner.active_from.is_(None), Banner.active_from <= moment),
        sa.or_(Banner.active_until.is_(None), Banner.active_until > moment),
    )


def banner_state(banner: Banner, moment: datetime | None = None) -> str:
    moment = moment or now()
    if not banner.is_active:
        return "Выключен"
    if banner.active_from is not None and banner.active_from > moment:
        return f"С {format_datetime(banner.active_from)}"
    if banner.active_until is not None and banner.active_until <= moment:
        return f"Закончился {format_datetime(banner.active_until)}"
    return "Показывается"


def save_banner(
    session: Session,
    *,
    data: BannerData,
    actor: Actor,
    banner_id: int | None = None,
    image: ImageUpload | None = None,
    mobile_image: ImageUpload | None = None,
    remove_mobile_image: bool = False,
) -> Banner:
    """Create or change a banner; a new banner needs an image. Links are checked here, on every save."""
    banner = None
    if banner_id is not None:
        banner = session.get(Banner, banner_id)
        if banner is None:
            raise NotFound("Баннер не найден.")
    title = _required_text(data.title, field_name="title", label="Название", limit=200)
    alt_text = _required_text(data.alt_text, field_name="alt_text", label="Текст для незрячих (alt)", limit=300)
    link = validate_link(data.link)
    if not 0 <= data.position <= 9999:
        raise ValidationError("Порядок — целое число от 0 до 9999.", field="position")
    active_from, active_until = _aware(data.active_from, "active_from"), _aware(data.active_until, "active_until")
    if active_from and active_until and active_until <= active_from:
        raise ValidationError("Окончание показа должно быть позже начала.", field="active_until")
    if banner is None and image is None:
        raise ValidationError("Загрузите изображение баннера.", field="image")
    desktop = upload_image(session, upload=image, actor=actor, title=title, field="image") if image else None
    mobile = (
        upload_image(session, upload=mobile_image, actor=actor, title=f"{title} (мобильный)", field="mobile_image")
        if mobile_image
        else None
    )
    if banner is None:
        banner = Banner(created_at=now(), image=desktop)
        session.add(banner)
    elif desktop is not None:
        banner.image = desktop
    if mobile is not None:
        banner.mobile_image = mobile
    elif remove_mobile_image:
        banner.mobile_image = None
    banner.title, banner.alt_text, banner.link, banner.position = title, alt_text, link, int(data.position)
    banner.active_from, banner.active_until, banner.is_active = active_from, active_until, bool(data.is_active)
    banner.updated_at = now()
    banner.updated_by_name = actor.name[:200]
    session.flush()
    return banner


def active_banners(session: Session) -> list[Banner]:
    """The banners the home page shows now, in order."""
    return list(
        session.scalars(
            sa.select(Banner)
            .where(visible_banner_condition(now()))
            .options(
                selectinload(Banner.image).selectinload(ContentImage.variants),
                selectinload(Banner.mobile_image).selectinload(ContentImage.variants),
            )
            .order_by(Banner.position, Banner.id)
        )
    )


def move_banner(session: Session, *, banner_id: int, step: int) -> Banner:
    """Move a banner one place up (step −1) or down (+1); positions are renumbered 10, 20, 30…"""
    if step not in (-1, 1):
        raise ValidationError("Баннер можно сдвинуть на одно место вверх или вниз.")
    ordered = list(session.scalars(sa.select(Banner).order_by(Banner.position, Banner.id).with_for_update()))
    index = next((i for i, b in enumerate(ordered) if b.id == banner_id), None)
    if index is None:
        raise NotFound("Баннер не найден.")
    target = index + step
    if 0 <= target < len(ordered):
        ordered[index], ordered[target] = ordered[target], ordered[index]
    for number, banner in enumerate(ordered, start=1):
        banner.position = number * 10
    session.flush()
    return ordered[target] if 0 <= target < len(ordered) else ordered[index]


def follow_banner(session: Session, banner_id: int) -> str:
    """The banner's own stored link (checked again), counting the click while the banner is shown."""
    banner = session.get(Banner, banner_id)
    if banner is None or not banner.link:
        raise NotFound("Баннер не найден.")
    try:
        link = validate_link(banner.link)
    except ValidationError:
        raise NotFound("Баннер не найден.") from None
    session.execute(
        sa.update(Banner)
        .where(Banner.id == banner_id, visible_banner_condition(now()))
        .values(clicks=Banner.clicks + 1)
        .execution_options(synchronize_session=False)
    )
    return link


# ------------------------------------------------------------------------------------------------ public images


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


def _newsletter_message(ctx: messages.MessageContext) -> messages.Rendered:
    """The outbox renderer of "newsletter" rows; delivery itself adds the unsubscribe link and headers."""
    session = sa.orm.object_session(ctx.notification)
    if session is None:
        raise messages.RenderError("Рассылка: нет сессии базы данных.")
    try:
        subject, text, html = render_newsletter(session, ctx.notification)
    except NotFound as exc:
        raise messages.RenderError(exc.message) from exc
    return messages.Rendered(subject=subject, text=text, html=html)


messages.register_renderer(notifications.NEWSLETTER, _newsletter_message)
