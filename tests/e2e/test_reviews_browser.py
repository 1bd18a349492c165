"""In a real browser: a customer reviews a realised order with a photo, staff approve it, it appears on the
product page; stored-XSS payloads in a review's text, the author's name and a photo's file name run nothing —
on the product page, in «Мои отзывы» and in the back office (queue, review page, its preview)."""

import re

import pytest

from app.services.reviews import moderation
from tests.content_helpers import XSS_PAYLOADS
from tests.e2e.conftest import open_account_menu
from tests.factories import PASSWORD, make_customer, make_staff
from tests.review_helpers import MODERATOR, photo, photo_bytes, realised_order, write_review

pytestmark = pytest.mark.browser

# Inline scripts other than the rich-result data block and the back office's own (nonce'd) ones, event handlers,
# frames other than the review preview, script and data URLs.
DOM_CHECK = """() => {
  const found = [];
  document.querySelectorAll("script:not([src])").forEach(s => {
    if (s.type !== "application/ld+json" && !s.nonce) found.push("inline script");
  });
  document.querySelectorAll("iframe:not([data-testid=review-preview-frame]), object, embed, svg, math, base")
    .forEach(e => found.push(e.tagName));
  document.querySelectorAll("*").forEach(e => {
    for (const a of e.attributes) {
      const value = a.value.replace(/[\\u0000-\\u0020]/g, "").toLowerCase();
      if (a.name.startsWith("on")) found.push(e.tagName + " " + a.name);
      if (["href", "src", "action", "formaction", "data"].includes(a.name) &&
          (value.startsWith("javascript:") || value.startsWith("data:"))) found.push(e.tagName + " " + a.name);
    }
  });
  return found;
}"""


def staff_page(page, live_server, role="Support"):  # noqa: ANN001, ANN201
    email = make_staff(page.app, role)
    staff = page.context.browser.new_context(viewport={"width": 1366, "height": 900}, locale="ru-RU").new_page()
    staff.js_errors = []
    staff.on("pageerror", lambda exc: staff.js_errors.append(str(exc)))
    staff.goto(f"{live_server}/admin/login/")
    staff.fill("#username", email)
    staff.fill("#password", PASSWORD)
    staff.get_by_role("button", name="Вход").click()
    staff.wait_for_url(re.compile(r"/admin/?$"))
    return staff


def test_a_customer_reviews_a_realised_order_staff_approve_it_and_it_appears_on_the_product_page(
    app, live_server, page, db_session, catalog, customer, tmp_path
):
    page.app = app
    customer.full_name = "Ольга Смирнова"
    db_session.commit()
    order = realised_order(db_session, customer, catalog.cards)
    picture = tmp_path / "vizitki.jpg"
    picture.write_bytes(photo_bytes((1200, 900)))

    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email адрес").fill(customer.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r"/account/orders"))
    open_account_menu(page)
    page.locator(".dropdown-menu").get_by_role("link", name="Мои отзывы").click()
    assert order.number in page.get_by_test_id("line-to-review").inner_text()
    page.get_by_test_id("write-review").click()
    page.get_by_text("4 ★").click()
    page.get_by_label("Отзыв", exact=True).fill("Визитки отличные.\nБумага плотная, цвета точные.")
    page.get_by_label("Фото").set_input_files(str(picture))
    page.get_by_label("Показывать только имя").check()
    page.get_by_test_id("review-submit").click()
    page.wait_for_url(re.compile(r"/account/reviews$"))
    assert page.get_by_test_id("my-review-state").inner_text() == "На модерации"
    page.goto(f"{live_server}/product/{catalog.cards.slug}")
    assert page.get_by_test_id("review-none").is_visible()  # not on the page before a moderator approves

    staff = staff_page(page, live_server)
    staff.goto(f"{live_server}/admin/reviewview/list/?_flt_0_state=pending")
    staff.locator("a[href*='/admin/reviewview/show/']").first.click()
    staff.wait_for_url(re.compile(r"/admin/reviewview/show/\d+"))
    frame = staff.frame_locator("[data-testid=review-preview-frame]")
    assert frame.get_by_test_id("review-text").inner_text() == "Визитки отличные.\nБумага плотная, цвета точные."
    assert frame.get_by_test_id("review-author").inner_text() == "Ольга"  # «показывать только имя»
    staff.get_by_test_id("approve").click()
    assert staff.get_by_test_id("admin-review-state").inner_text() == "Опубликован"

    page.goto(f"{live_server}/product/{catalog.cards.slug}")
    review = page.get_by_test_id("review")
    assert review.count() == 1
    assert review.get_by_test_id("review-text").inner_text() == "Визитки отличные.\nБумага плотная, цвета точные."
    assert review.get_by_test_id("verified-badge").is_visible()
    assert page.get_by_test_id("review-average").inner_text() == "4,0"
    assert page.get_by_test_id("review-count").inner_text() == "1 отзыв"
    photo_src = review.locator("img.review-photo").get_attribute("src")
    assert page.evaluate("src => fetch(src).then(r => r.status)", photo_src) == 200
    rich = page.locator("script[type='application/ld+json']").inner_text()
    assert '"ratingValue": "4.0"' in rich and '"reviewCount": 1' in rich
    assert page.js_errors == [] and staff.js_errors == []


def test_stored_xss_in_review_text_name_and_photo_names_runs_nothing(
    app, live_server, page, db_session, catalog, customer
):
    page.app = app
    payloads = " ".join(XSS_PAYLOADS[:8])
    author = make_customer(db_session, email="xss@example.ru", full_name=f"Имя {XSS_PAYLOADS[2]}")
    order = realised_order(db_session, author, catalog.cards)
    review = write_review(
        db_session,
        author,
        order,
        text="Отзыв\n" + "\n".join(XSS_PAYLOADS),
        photos=[photo(name=f"{XSS_PAYLOADS[2]}.jpg"), photo(name="x' onerror='alert(1).jpg")],
    )
    moderation.approve(db_session, review_ids=[review.id], actor=MODERATOR)
    moderation.reply(db_session, review_id=review.id, actor=MODERATOR, text=f"Ответ {payloads}")
    db_session.commit()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))

    page.goto(f"{live_server}/product/{catalog.cards.slug}")
    assert page.evaluate(DOM_CHECK) == []
    assert "<script>alert('xss')</script>" in page.get_by_test_id("review-text").first.inner_text()
    assert page.get_by_test_id("review-author").inner_text() == f"Имя {XSS_PAYLOADS[2]}"

    page.goto(f"{live_server}/account/login")
    page.get_by_label("Email адрес").fill(author.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()
    page.wait_for_url(re.compile(r"/account/orders"))
    page.goto(f"{live_server}/account/reviews")
    assert page.evaluate(DOM_CHECK) == []

    staff = staff_page(page, live_server)
    staff.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in (
        "/admin/reviewview/list/",
        f"/admin/reviewview/show/{review.id}",
        f"/admin/reviewview/preview/{review.id}",
    ):
        staff.goto(f"{live_server}{path}")
        staff.wait_for_load_state("load")
        assert staff.evaluate(DOM_CHECK) == [], path
    staff.goto(f"{live_server}/admin/reviewview/show/{review.id}")
    assert "onerror=alert('xss')" in staff.locator("[data-testid=admin-review-photo]").first.inner_text()
    frame = staff.frame_locator("[data-testid=review-preview-frame]")
    assert "<script>alert('xss')</script>" in frame.get_by_test_id("review-text").inner_text()
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.js_errors == [] and staff.js_errors == []
