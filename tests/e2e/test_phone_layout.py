"""The customer journey on a phone (390 and 360 px wide): no page scrolls sideways, no total is cut off."""

import re

import pytest

from tests.factories import PASSWORD, pdf_bytes

pytestmark = pytest.mark.browser

# Elements of the page's content whose right edge lies past the screen (a wide table inside a
# scrolling wrapper hides its last columns without making the page itself scroll).
PAST_THE_EDGE = """() => [...document.querySelectorAll('main *')]
  .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > window.innerWidth + 0.5)
  .map(e => e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ').join('.') : ''))
  .slice(0, 5)"""


def assert_fits(page, what: str) -> None:  # noqa: ANN001
    width = page.evaluate("window.innerWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{what} scrolls sideways"
    assert page.evaluate(PAST_THE_EDGE) == [], f"{what}: content past the screen's edge"


def assert_on_screen(page, test_id: str, scroll: bool = False) -> None:  # noqa: ANN001
    """The element is whole inside the visible screen (not scrolled out sideways, not under the edge)."""
    if scroll:
        page.get_by_test_id(test_id).evaluate("e => e.scrollIntoView({block: 'center', behavior: 'instant'})")
    box = page.get_by_test_id(test_id).bounding_box()
    assert box is not None, test_id
    viewport = page.viewport_size
    assert 0 <= box["x"] and box["x"] + box["width"] <= viewport["width"], f"{test_id} is cut off: {box}"
    assert 0 <= box["y"] and box["y"] + box["height"] <= viewport["height"], f"{test_id} is off screen: {box}"


@pytest.mark.parametrize("width", [390, 360])
def test_customer_journey_fits_a_phone_screen(app, live_server, browser, catalog, customer, tmp_path, width):
    layout = tmp_path / "vizitka-s-ochen-dlinnym-imenem-fajla-dlya-telefona.pdf"
    layout.write_bytes(pdf_bytes(94, 54))
    context = browser.new_context(viewport={"width": width, "height": 780}, locale="ru-RU", is_mobile=True)
    page = context.new_page()

    page.goto(f"{live_server}/")
    assert_fits(page, "home")
    page.goto(f"{live_server}/product/{catalog.cards.slug}")
    assert_fits(page, "product")
    # The total and «В корзину» stay on screen while the options are chosen.
    assert_on_screen(page, "product-bar-total")
    assert page.get_by_test_id("product-bar-total").inner_text() == "790,00\u00a0₽"
    page.get_by_label("Тираж").select_option("500")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=product-bar-total]').textContent === '1\u00a0690,00\u00a0₽'"
    )
    assert_on_screen(page, "product-bar")
    page.get_by_label("Макет").set_input_files(str(layout))
    page.get_by_role("button", name="В корзину").click()

    page.wait_for_url(re.compile(r"/cart/$"))
    assert_fits(page, "cart")
    assert_on_screen(page, "cart-bar-total")
    assert page.get_by_test_id("cart-bar-total").inner_text() == "1\u00a0690,00\u00a0₽"
    assert_on_screen(page, "cart-total", scroll=True)
    page.get_by_test_id("to-checkout").click()

    page.wait_for_url(re.compile(r"/account/login"))
    assert_fits(page, "login")
    page.get_by_label("Email адрес").fill(customer.email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()

    page.wait_for_url(re.compile(r"/checkout/"))
    page.get_by_label("Телефон").fill("+7 916 555-44-33")
    page.get_by_test_id("checkout-total").wait_for()
    assert_fits(page, "checkout")
    assert_on_screen(page, "checkout-total", scroll=True)
    page.get_by_role("button", name="Подтвердить заказ").click()

    page.wait_for_url(re.compile(r"/account/orders/\d{4}-\d{6}$"))
    assert_fits(page, "order")
    assert_on_screen(page, "order-total", scroll=True)
    assert page.get_by_test_id("order-total").inner_text() == "1\u00a0690,00\u00a0₽"

    page.goto(f"{live_server}/account/orders")
    assert_fits(page, "my orders")
    assert "1\u00a0690,00\u00a0₽" in page.get_by_test_id("order-row").first.inner_text()
    for path in ("/account/profile", "/companies/", "/account/projects/", "/support/"):
        page.goto(f"{live_server}{path}")
        assert_fits(page, path)
    context.close()
