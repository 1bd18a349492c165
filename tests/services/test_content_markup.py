"""Sanitising of content: allowed formatting survives, nothing that can run script does (stored XSS set)."""

import pytest

from app.services.markup import image_ids, plain_text, render_markdown, sanitize_html
from tests.content_helpers import XSS_PAYLOADS, xss_findings


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_payload_survives_markdown_rendering(payload):
    html = render_markdown(f"Текст до.\n\n{payload}\n\nТекст после.")
    assert xss_findings(html) == [], html
    assert "Текст до." in html  # an unclosed payload may swallow what follows it, never what precedes


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_no_payload_survives_sanitising_stored_html(payload):
    assert xss_findings(sanitize_html(payload)) == []


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_plain_text_fields_keep_no_markup(payload):
    text = plain_text(f"Заголовок {payload}")
    assert xss_findings(text) == []
    assert not any(tag in text.lower() for tag in ("<script", "<img", "<svg", "<iframe", "<a ", "<style"))
    assert text.startswith("Заголовок")


def test_the_checker_itself_finds_what_it_must():
    # The XSS checks below would pass vacuously if the checker saw nothing: prove it sees each kind.
    assert xss_findings("<script>alert(1)</script>") == ["<script>"]
    assert xss_findings('<img src="x" onerror="alert(1)">') == ["<img onerror>"]
    assert xss_findings('<a href=" java\tscript:alert(1)">x</a>') == ["<a href= java\tscript:alert(1)>"]
    assert xss_findings('<p style="color:red">x</p>') == ["<p style>"]
    assert xss_findings('<script src="/static/x.js"></script>', page=True) == []


def test_allowed_formatting_is_kept():
    source = (
        "## Подзаголовок\n\n### Третий уровень\n\nТекст с **жирным**, *курсивом* и [ссылкой](/catalog/vizitki), "
        "[внешней](https://example.ru/a?b=1), [почтой](mailto:zakaz@pechatnydvor.ru) "
        "и [телефоном](tel:+74951234567).\n\n"
        "- пункт один\n- пункт два\n\n1. первый\n2. второй\n\n"
        "| Способ | Цена |\n|:--|--:|\n| Курьер | 400 ₽ |\n\n"
        "> цитата\n\n![Визитки](/media/7/medium)\n\nСтрока<br>перенос, H<sub>2</sub>O, м<sup>2</sup>"
    )
    html = render_markdown(source)
    for fragment in (
        "<h2>Подзаголовок</h2>",
        "<h3>Третий уровень</h3>",
        "<strong>жирным</strong>",
        "<em>курсивом</em>",
        '<a href="/catalog/vizitki" rel="noopener noreferrer">ссылкой</a>',
        '<a href="https://example.ru/a?b=1" rel="noopener noreferrer">внешней</a>',
        'href="mailto:zakaz@pechatnydvor.ru"',
        'href="tel:+74951234567"',
        "<ul>\n<li>пункт один</li>",
        "<ol>\n<li>первый</li>",
        '<th align="left">Способ</th>',
        '<td align="right">400 ₽</td>',
        "<blockquote>",
        '<img alt="Визитки" src="/media/7/medium" loading="lazy">',
        "<br>",
        "<sub>2</sub>",
        "<sup>2</sup>",
    ):
        assert fragment in html, fragment
    assert image_ids(html) == {7}


@pytest.mark.parametrize(
    "src",
    [
        "https://evil.example/x.png",
        "//evil.example/x.png",
        "/files/12",
        "/media/7/original",
        "/media/x/large",
        "data:image/png;base64,AAAA",
    ],
)
def test_images_only_from_our_content_library(src):
    html = render_markdown(f"![картинка]({src})")
    assert "src=" not in html
    assert image_ids(html) == set()


def test_protocol_relative_and_backslash_links_are_dropped():
    html = render_markdown("[a](//evil.example) [b](/\\evil.example) [c](/ok)")
    assert "evil" not in html
    assert 'href="/ok"' in html


def test_plain_text_keeps_the_text_and_non_breaking_spaces():
    assert plain_text("  Доставка & оплата <b>сегодня</b>\t ") == "Доставка & оплата сегодня"
    assert plain_text("от 5\u00a0000\u00a0₽") == "от 5\u00a0000\u00a0₽"
    assert plain_text("a < b > c") == "a < b > c"
    assert plain_text("строка 1\r\n\r\nстрока   2", multiline=True) == "строка 1\n\nстрока 2"
    assert plain_text("&lt;script&gt;alert(1)&lt;/script&gt;ok") == "ok"
