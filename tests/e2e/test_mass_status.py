"""Staff select three orders in the list, change their status at once, read the report, undo it, see the timeline."""

import re

import pytest

from app.models import OrderStatus
from tests.factories import PASSWORD, advance, make_staff, place_order

pytestmark = pytest.mark.browser
S = OrderStatus


def test_staff_change_three_orders_at_once_and_see_report_and_timeline(
    app, live_server, page, db_session, catalog, customer
):
    first = place_order(db_session, customer, catalog.cards)
    second = place_order(db_session, customer, catalog.flyers)
    shipped = advance(
        db_session,
        place_order(db_session, customer, catalog.cards),
        S.confirmed,
        S.in_production,
        S.ready,
        S.handed_over,
    )
    email = make_staff(app, "Operator")
    page.goto(f"{live_server}/admin/login/")
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Вход").click()
    page.goto(f"{live_server}/admin/orderview/list/")
    for order in (first, second, shipped):
        page.locator(f"input.action_check[value='{order.id}']").check()
    page.get_by_role("button", name="Действия").click()
    page.get_by_role("link", name="Изменить статус").click()

    page.wait_for_url(re.compile(r"/admin/orderview/mass-status\?ids="))
    assert page.get_by_test_id("selected-orders").locator("tbody tr").count() == 3
    page.select_option("#mass-status", "confirmed")
    page.fill("#mass-comment", "Макеты проверены")
    page.get_by_role("button", name="Изменить статус").click()

    page.wait_for_url(re.compile(r"/admin/orderview/batch/"))
    assert page.get_by_test_id("batch-summary").inner_text() == "2 изменено, 1 пропущено"
    assert page.get_by_test_id("batch-skipped").inner_text() == f"заказ {shipped.number} — нельзя из «Выдан» в «Принят»"
    assert first.number in page.get_by_test_id("batch-changed").inner_text()

    page.get_by_role("link", name=first.number).click()
    page.wait_for_url(re.compile(r"/admin/orderview/show/\d+"))
    assert page.get_by_test_id("admin-order-status").inner_text() == "Принят"
    latest = page.get_by_test_id("history-entry").first.inner_text()
    assert "Тестов O. изменил статус: Новый → Принят" in latest and "«Макеты проверены»" in latest

    page.go_back()
    page.get_by_test_id("undo").click()
    page.wait_for_url(re.compile(r"/admin/orderview/batch/"))
    assert page.get_by_test_id("batch-summary").inner_text() == "2 изменено, 0 пропущено"
    page.get_by_role("link", name=second.number).click()
    assert page.get_by_test_id("admin-order-status").inner_text() == "Новый"
    assert "изменил статус: Принят → Новый" in page.get_by_test_id("history-entry").first.inner_text()
    assert page.js_errors == []
