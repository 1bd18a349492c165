"""In a real browser: an editor changes a published page with the toolbar, the site keeps the old text while the
draft is previewed in the back office, and «Опубликовать» puts the new text on the site."""

import re

import pytest

from tests.content_helpers import make_page
from tests.factories import PASSWORD, make_staff

pytestmark = pytest.mark.browser


def test_editor_publishes_a_page_draft(app, live_server, page, browser, db_session):
    page.set_default_timeout(10000)
    contacts = make_page(db_session, title="Контакты", slug="contacts", body="Телефон: +7 495 000-00-00")
    page.goto(f"{live_server}/admin/login/")
    page.fill("#username", make_staff(app, "ContentEditor"))
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Вход").click()
    page.wait_for_url(re.compile(r"/admin/"))

    page.goto(f"{live_server}/admin/pageview/edit/{contacts.id}")
    # The toolbar: select the number, «Жирный» wraps it in **…** (no Markdown typed by hand).
    page.fill("#body", "Телефон: +7 495 123-45-67")
    page.eval_on_selector("#body", "el => { el.selectionStart = 9; el.selectionEnd = el.value.length; }")
    page.locator("[data-markdown-action=bold]").click()
    assert page.input_value("#body") == "Телефон: **+7 495 123-45-67**"
    page.eval_on_selector("#body", "el => { el.selectionStart = el.selectionEnd = el.value.length; }")
    page.locator("[data-markdown-action=list]").click()
    assert page.input_value("#body").endswith("\n\n- пункт списка\n\n")
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_url(re.compile(r"/admin/pageview/show/\d+$"))
    assert "Черновик сохранён" in page.inner_text("body")
    assert "+7 495 123-45-67" in page.get_by_test_id("draft-preview").inner_text()
    assert page.get_by_test_id("draft-preview").locator("strong").inner_text() == "+7 495 123-45-67"
    assert page.get_by_test_id("draft-preview").locator("li").inner_text() == "пункт списка"
    assert "+7 495 000-00-00" in page.get_by_test_id("page-body").inner_text()

    # A visitor still sees the published text.
    visitor = browser.new_context().new_page()
    visitor.goto(f"{live_server}/pages/contacts")
    assert "+7 495 000-00-00" in visitor.inner_text("main") and "123-45-67" not in visitor.inner_text("main")

    page.get_by_test_id("publish-draft").click()
    page.wait_for_url(re.compile(r"/admin/pageview/show/\d+$"))
    assert "Опубликовано: на сайте теперь редакция №2" in page.inner_text("body")
    assert page.get_by_test_id("draft").count() == 0
    visitor.reload()
    assert "+7 495 123-45-67" in visitor.inner_text("main")
    visitor.context.close()
    assert [e for e in page.js_errors if "favicon" not in e] == []
