"""The editor's toolbar for Markdown fields: what each button puts around the selected text.

The back office's script (app/static/admin/admin.js) applies exactly these definitions (they reach it as
JSON), so what a button writes is what `apply` returns here — and the tests check that it survives the
sanitiser as the intended HTML. Images come from the library: the menu inserts `![title](/media/<id>/medium)`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import ContentImage


@dataclass(frozen=True)
class Action:
    key: str
    label: str  # the button's title (Russian)
    icon: str  # Font Awesome 4 (served with Flask-AppBuilder)
    before: str
    after: str = ""
    placeholder: str = ""
    per_line: bool = False  # `before` goes in front of every selected line (lists, headings)
    block: bool = False  # starts on a line of its own


ACTIONS = (
    Action("bold", "Жирный", "fa-bold", "**", "**", "жирный текст"),
    Action("italic", "Курсив", "fa-italic", "*", "*", "курсив"),
    Action("heading", "Подзаголовок", "fa-header", "## ", "", "Подзаголовок", per_line=True, block=True),
    Action("list", "Список", "fa-list-ul", "- ", "", "пункт списка", per_line=True, block=True),
    Action("numbered", "Нумерованный список", "fa-list-ol", "1. ", "", "первый пункт", per_line=True, block=True),
    Action("link", "Ссылка", "fa-link", "[", "](/pages/adres)", "текст ссылки"),
    Action(
        "table",
        "Таблица",
        "fa-table",
        "| Столбец 1 | Столбец 2 |\n|---|---|\n| ",
        " | значение |\n",
        "значение",
        block=True,
    ),
)


def apply(action: Action, selected: str) -> str:
    """The text that replaces the selection (what the script does in the browser)."""
    text = selected or action.placeholder
    if action.per_line:
        body = "\n".join(action.before + line for line in text.split("\n"))
    else:
        body = action.before + text + action.after
    return ("\n\n" + body + "\n\n") if action.block else body


def image_markdown(image: ContentImage) -> str:
    title = (image.title or "изображение").replace("]", "").replace("[", "")
    return f"![{title}](/media/{image.id}/medium)"


def toolbar_json(session: Session, *, limit: int = 50) -> str:
    """The buttons and the library's latest images, for the editor's data attribute."""
    images = session.scalars(sa.select(ContentImage).order_by(ContentImage.id.desc()).limit(limit)).all()
    return json.dumps(
        {
            "actions": [asdict(a) for a in ACTIONS],
            "images": [{"label": i.title or f"Изображение №{i.id}", "markdown": image_markdown(i)} for i in images],
        },
        ensure_ascii=False,
    )
