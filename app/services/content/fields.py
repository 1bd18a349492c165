"""Checks shared by every kind of site content: slugs, plain-text fields, Markdown bodies, links, images used."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import (
    ContentImage,
)
from app.services.errors import ValidationError
from app.services.markup import MAX_BODY_CHARS, image_ids, plain_text, render_markdown

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


def required_text(value: str, *, field_name: str, label: str, limit: int, multiline: bool = False) -> str:
    text = plain_text(value, multiline=multiline)
    if not text:
        raise ValidationError(f"Заполните поле «{label}».", field=field_name)
    return limited_text(text, field_name=field_name, label=label, limit=limit)


def limited_text(text: str, *, field_name: str, label: str, limit: int) -> str:
    if len(text) > limit:
        raise ValidationError(f"Поле «{label}» длиннее {limit} символов.", field=field_name)
    return text


def optional_text(value: str, *, field_name: str, label: str, limit: int, multiline: bool = False) -> str:
    return limited_text(plain_text(value, multiline=multiline), field_name=field_name, label=label, limit=limit)


def markdown_body(source: str) -> tuple[str, str]:
    """The Markdown as typed (line ends normalised) and its sanitised HTML."""
    text = (source or "").replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    if len(text) > MAX_BODY_CHARS:
        raise ValidationError(f"Текст длиннее {MAX_BODY_CHARS} символов.", field="body")
    return text, render_markdown(text)


def aware(moment: datetime | None, field_name: str) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise ValueError(f"{field_name}: an aware datetime is required")
    return moment


def images_in(session: Session, fragment: str) -> list[ContentImage]:
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
