"""The editor's toolbar: what each button writes survives the sanitiser as the intended HTML."""

import json

import pytest

from app.services.content import media, toolbar
from app.services.content.fields import images_in
from app.services.markup import render_markdown
from tests.content_helpers import EDITOR, upload

EXPECTED = {
    "bold": "<strong>Скидка</strong>",
    "italic": "<em>Скидка</em>",
    "heading": "<h2>Скидка</h2>",
    "list": "<li>Скидка</li>",
    "numbered": "<ol>\n<li>Скидка</li>",
    "link": '<a href="/pages/adres" rel="noopener noreferrer">Скидка</a>',
    "table": "<td>Скидка</td>",
}


@pytest.mark.parametrize("action", toolbar.ACTIONS, ids=lambda a: a.key)
def test_every_button_writes_markdown_that_survives_the_sanitiser(action):
    text = "Текст до. " + toolbar.apply(action, "Скидка") + " Текст после."
    assert EXPECTED[action.key] in render_markdown(text)


def test_lists_and_headings_apply_to_every_selected_line():
    action = next(a for a in toolbar.ACTIONS if a.key == "list")
    html = render_markdown(toolbar.apply(action, "визитки\nлистовки\nнаклейки"))
    assert html.count("<li>") == 3


def test_a_button_without_selection_writes_its_placeholder():
    bold = next(a for a in toolbar.ACTIONS if a.key == "bold")
    assert toolbar.apply(bold, "") == "**жирный текст**"


def test_library_images_are_offered_and_their_markdown_is_accepted(db_session):
    image = media.upload_image(db_session, upload=upload(), actor=EDITOR)
    db_session.commit()
    config = json.loads(toolbar.toolbar_json(db_session))
    assert [a["key"] for a in config["actions"]] == [a.key for a in toolbar.ACTIONS]
    [offered] = config["images"]
    assert offered["markdown"] == f"![{image.title}](/media/{image.id}/medium)"
    html = render_markdown(offered["markdown"])
    assert f'src="/media/{image.id}/medium"' in html
    assert [i.id for i in images_in(db_session, html)] == [image.id]
