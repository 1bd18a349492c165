"""A manager refunds one line of a handed-over, paid order: opens «Вернуть позицию», types the reason, confirms,
and sees the message, the order without the line and the timeline entry; cancelling the confirmation sends nothing."""

import os
import re

import pytest

from app.models import OrderStatus
from app.services.actors import Actor
from app.services.orders import lifecycle
from tests.factories import PASSWORD, advance, make_staff, place_cards_and_flyers

pytestmark = pytest.mark.browser
S = OrderStatus


def test_a_manager_refunds_one_line_of_a_paid_order(app, live_server, page, db_session, catalog, customer):
    order = advance(
        db_session, place_cards_and_flyers(db_session, customer, catalog), S.confirmed, S.in_production, S.ready
    )
    advance(db_session, order, S.handed_over)
    lifecycle.mark_paid(db_session, order, actor=Actor.system("test"))
    db_session.commit()
    cards = next(line for line in order.product_lines if line.product_id == catalog.cards.id)
    name, total_after = cards.product_name, order.total - cards.total

    page.goto(f"{live_server}/admin/login/")
    page.fill("#username", make_staff(app, "Manager"))
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Вход").click()
    page.goto(f"{live_server}/admin/orderview/show/{order.id}")
    refund = page.get_by_test_id("refund-line").first
    refund.locator("summary").click()
    refund.locator("input[name=reason]").fill("Брак печати: полосы на оборотах")
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "line-refund-form.png"), full_page=True)

    asked: list[str] = []

    def dismiss(dialog) -> None:  # noqa: ANN001
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    refund.get_by_role("button", name=re.compile("^Вернуть ")).click()
    assert asked and asked[0].startswith(f"Вернуть позицию «{name}» заказа {order.number}?")
    assert page.get_by_test_id("admin-order-line").count() == 2  # cancelled: nothing sent

    page.once("dialog", lambda dialog: dialog.accept())
    refund.get_by_role("button", name=re.compile("^Вернуть ")).click()
    page.wait_for_selector(".alert-success")
    assert f"Позиция «{name}» возвращена" in page.locator(".alert-success").inner_text()
    assert page.get_by_test_id("admin-order-line").count() == 1
    total = page.get_by_test_id("admin-order-total").inner_text().replace("\u00a0", " ")
    assert total.startswith(f"{total_after:,.2f}".replace(",", " ").replace(".", ","))
    history = page.get_by_test_id("admin-history").inner_text()
    assert f"позицию: {name}" in history and "к возврату" in history and "Брак печати" in history
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=os.path.join(os.environ["SCREENSHOT_DIR"], "line-refund-done.png"), full_page=True)
    assert page.js_errors == []  # type: ignore[attr-defined]
