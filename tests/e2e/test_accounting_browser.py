"""An accountant reads the VAT report of a realised order, drills down to its journal entries, enters an expense
and sees its incoming VAT deducted — the same figures as the metrics module."""

import re
from decimal import Decimal as D

import pytest

from app.models import OrderStatus
from app.reports import metrics
from app.services.accounting import expenses
from app.services.money import format_money
from app.services.shoptime import shop_today
from tests.factories import PASSWORD, advance, make_staff, place_order

pytestmark = pytest.mark.browser
S = OrderStatus


def test_accountant_reads_vat_drills_down_and_enters_an_expense(app, live_server, page, db_session, catalog, customer):
    expenses.ensure_categories(db_session)
    order = advance(
        db_session,
        place_order(db_session, customer, catalog.cards),
        S.confirmed,
        S.in_production,
        S.ready,
        S.handed_over,
    )
    month = metrics.Period.current_month()
    figures = metrics.sales(db_session, month)
    email = make_staff(app, "Accountant")
    page.goto(f"{live_server}/admin/login/")
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Вход").click()

    page.goto(f"{live_server}/admin/accounting/vat?month={month.start.month}&year={month.start.year}")
    assert page.get_by_test_id("vat-base").inner_text() == format_money(figures.net_revenue, False)
    assert page.get_by_test_id("vat-output").inner_text() == format_money(figures.output_vat, False)
    assert order.number in page.get_by_test_id("sales-book").inner_text()

    page.get_by_test_id("vat-summary").get_by_role("link", name="22 %").click()
    page.wait_for_url(re.compile(r"/admin/accounting/entries\?"))
    assert order.number in page.get_by_test_id("journal-entries").inner_text()
    assert page.get_by_test_id("entries-amount").inner_text() == format_money(figures.revenue, False)

    page.goto(f"{live_server}/admin/expenseview/add")
    # FAB's date widget is a bootstrap-datepicker: set the day through it, as a click in the calendar does.
    page.wait_for_load_state("load")
    page.eval_on_selector(
        "#day", "(e, day) => $(e).closest('.appbuilder_date').datepicker('update', day)", shop_today().isoformat()
    )
    page.fill("#supplier_name", "ООО «Бумажный двор»")
    page.fill("#supplier_inn", "7707083893")
    page.fill("#amount", "1 220,00")
    page.get_by_role("button", name="Сохранить").click()
    page.wait_for_load_state("load")
    page.wait_for_url(re.compile(r"/admin/(expenseview/list/)?$"))

    page.goto(f"{live_server}/admin/accounting/vat?month={month.start.month}&year={month.start.year}")
    assert page.get_by_test_id("vat-payable").inner_text() == format_money(figures.output_vat - D("220.00"), False)
    assert "ООО «Бумажный двор»" in page.get_by_test_id("purchase-book").inner_text()
    assert page.js_errors == []
