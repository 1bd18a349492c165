"""Back-office accounting: reports, journal, expenses and the shop's requisites by role; expenses entered,
edited (in the history), reversed, never deleted; exports; bad input named in Russian with nothing changed."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from app.models import Expense, ExpenseCategory, ExpenseHistory, JournalEntry, OrderStatus, SellerRequisites
from app.services.accounting import expenses, seller
from app.services.shoptime import shop_today
from app.views.admin.permissions import STAFF_ROLES
from tests.factories import ROMASHKA, advance, login_customer, login_staff, make_staff, pdf_bytes, place_order

S = OrderStatus
REPORT_URLS = [f"/admin/accounting/{name}" for name in ("vat", "profit", "expenses", "receivables", "reconciliation")]
CAN_REPORTS = {"Admin", "Manager", "Accountant"}
CAN_ADD_EXPENSE = {"Admin", "Accountant"}
CAN_SET_REQUISITES = {"Admin"}
CAN_READ_REQUISITES = {"Admin", "Accountant"}


def _allowed(response) -> bool:
    if response.status_code == 200:
        return True
    if response.status_code in (403, 404):
        return False
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    return "login" not in location and location.rstrip("/") not in ("/admin", "")


@pytest.fixture
def categories(db_session):
    expenses.ensure_categories(db_session)
    db_session.commit()
    return {c.name: c.id for c in db_session.scalars(sa.select(ExpenseCategory))}


def _expense_form(category_id, **changes):
    form = {
        "day": shop_today().strftime("%Y-%m-%d"),
        "category": str(category_id),
        "supplier_name": "ООО «Бумажный двор»",
        "supplier_inn": "7707083893",
        "amount": "12200.00",
        "vat_rate": "22.00",
        "vat_amount": "",
        "document_number": "УПД-17",
        "document_date": shop_today().strftime("%Y-%m-%d"),
        "comment": "",
    }
    form.update(changes)
    return form


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_accounting_pages_follow_the_role(app, staff_client, categories, role):
    login_staff(staff_client, make_staff(app, role))
    for url in [*REPORT_URLS, "/admin/accounting/entries", "/admin/journalentryview/list/", "/admin/expenseview/list/"]:
        assert _allowed(staff_client.get(url)) == (role in CAN_REPORTS), f"{role} {url}"
    assert _allowed(staff_client.get("/admin/expenseview/add")) == (role in CAN_ADD_EXPENSE)
    assert _allowed(staff_client.get("/admin/sellerrequisitesview/list/")) == (role in CAN_READ_REQUISITES)
    assert _allowed(staff_client.get("/admin/sellerrequisitesview/add")) == (role in CAN_SET_REQUISITES)
    staff_client.post("/admin/expenseview/add", data=_expense_form(categories["Бумага"]))
    with app.app_context():
        from app.extensions import db

        assert (db.session.scalar(sa.select(sa.func.count()).select_from(Expense)) == 1) == (role in CAN_ADD_EXPENSE)
        db.session.remove()


def test_a_customer_or_a_visitor_never_reaches_the_accounting(app, client, customer):
    for url in [*REPORT_URLS, "/admin/expenseview/list/", "/admin/journalentryview/list/"]:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]
    login_customer(client, customer.email)
    for url in REPORT_URLS:
        response = client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


def test_an_accountant_enters_edits_and_reverses_an_expense_never_deletes_it(app, staff_client, db_session, categories):
    login_staff(staff_client, make_staff(app, "Accountant"))
    response = staff_client.post("/admin/expenseview/add", data=_expense_form(categories["Бумага"]))
    assert response.status_code == 302
    expense = db_session.scalar(sa.select(Expense))
    assert (expense.amount, expense.vat_amount, expense.supplier_inn) == (D("12200.00"), D("2200.00"), "7707083893")
    profit = staff_client.get("/admin/accounting/profit").get_data(as_text=True)
    assert f'source=expenses&amp;category={categories["Бумага"]}">10\u00a0000,00' in profit  # drill-down, net of VAT

    form = _expense_form(categories["Бумага"], amount="24 400,00", vat_amount="4400,00")
    assert staff_client.post(f"/admin/expenseview/edit/{expense.id}", data=form).status_code == 302
    db_session.expire_all()
    changes = {(h.field, h.old_value, h.new_value) for h in db_session.scalars(sa.select(ExpenseHistory))}
    assert ("amount", "12200.00", "24400.00") in changes and ("vat_amount", "2200.00", "4400.00") in changes
    page = staff_client.get(f"/admin/expenseview/show/{expense.id}").get_data(as_text=True)
    assert "История изменений" in page and "24400.00" in page

    assert staff_client.post(f"/admin/expenseview/delete/{expense.id}").status_code in (403, 404, 405)
    response = staff_client.post(f"/admin/expenseview/reverse/{expense.id}", data={"reason": ""})
    db_session.expire_all()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Expense)) == 1  # no reason: nothing
    staff_client.post(f"/admin/expenseview/reverse/{expense.id}", data={"reason": "двойной ввод"})
    db_session.expire_all()
    amounts = sorted(e.amount for e in db_session.scalars(sa.select(Expense)))
    assert amounts == [D("-24400.00"), D("24400.00")]
    page = staff_client.get(f"/admin/expenseview/show/{expense.id}").get_data(as_text=True)
    assert "Расход сторнирован" in page
    staff_client.post(f"/admin/expenseview/edit/{expense.id}", data=form | {"amount": "1.00", "vat_amount": ""})
    db_session.expire_all()
    assert db_session.get(Expense, expense.id).amount == D("24400.00")  # a reversed expense is not edited


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"supplier_inn": "1234567895"}, "ИНН"),
        ({"amount": "-5"}, "больше нуля"),
        ({"vat_rate": "", "vat_amount": "10"}, "Без НДС"),
        ({"vat_amount": "900"}, "не сходится"),
        ({"day": (shop_today() + timedelta(days=3)).strftime("%Y-%m-%d")}, "в будущем"),
    ],
)
def test_a_bad_expense_is_refused_with_a_russian_message(app, staff_client, db_session, categories, changes, message):
    login_staff(staff_client, make_staff(app, "Accountant"))
    response = staff_client.post(
        "/admin/expenseview/add", data=_expense_form(categories["Бумага"], **changes), follow_redirects=True
    )
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Expense)) == 0


def test_a_scan_is_attached_through_the_storage_checks(app, staff_client, db_session, categories):
    login_staff(staff_client, make_staff(app, "Accountant"))
    staff_client.post("/admin/expenseview/add", data=_expense_form(categories["Аренда"]))
    expense = db_session.scalar(sa.select(Expense))
    bad = staff_client.post(
        f"/admin/expenseview/scan/{expense.id}",
        data={"scan": (io.BytesIO(b"MZ not a document"), "virus.pdf")},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "PDF" in bad.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Expense, expense.id).scan_file_id is None
    staff_client.post(
        f"/admin/expenseview/scan/{expense.id}",
        data={"scan": (io.BytesIO(pdf_bytes()), "upd.pdf")},
        content_type="multipart/form-data",
    )
    db_session.expire_all()
    assert db_session.get(Expense, expense.id).scan_file_id is not None
    with staff_client.get(f"/admin/expenseview/scan_file/{expense.id}") as download:
        assert download.status_code == 200 and download.data.startswith(b"%PDF")


def test_reports_show_the_journal_figures_drill_down_and_export(app, staff_client, db_session, catalog, customer):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), S.confirmed, S.in_production)
    advance(db_session, order, S.ready, S.handed_over)
    login_staff(staff_client, make_staff(app, "Accountant"))
    today = shop_today()
    query = f"?start={today.replace(day=1).isoformat()}&end={today.isoformat()}"
    page = staff_client.get(f"/admin/accounting/vat{query}").get_data(as_text=True)
    vat = sum((e.vat for e in db_session.scalars(sa.select(JournalEntry))), D("0"))
    from app.services.money import format_money

    assert format_money(vat, False) in page and order.number in page
    entries = staff_client.get(f"/admin/accounting/entries{query}&rate=22.00").get_data(as_text=True)
    assert order.number in entries and format_money(order.total, False) in entries
    assert "сверено ✓" in staff_client.get(f"/admin/accounting/reconciliation{query}").get_data(as_text=True)
    assert order.number in staff_client.get("/admin/accounting/receivables").get_data(as_text=True)

    csv = staff_client.get(f"/admin/accounting/vat{query}&export=csv")
    assert csv.status_code == 200 and csv.data.startswith("\ufeff".encode()) and order.number.encode() in csv.data
    xlsx = staff_client.get(f"/admin/accounting/profit{query}&export=xlsx")
    book = load_workbook(io.BytesIO(xlsx.data))
    assert book.sheetnames == [f"Прибыль за {book.sheetnames[0][11:]}", "По категориям товаров"]

    bad = staff_client.get("/admin/accounting/vat?start=31.02.2026&end=01.03.2026").get_data(as_text=True)
    assert "ДД.ММ.ГГГГ" in bad
    for query in (
        "month=13&year=2026",
        "quarter=9&year=2026",
        f"month=1&year={10**30}",
        "start=2026-03-02&end=2026-03-01",
    ):
        response = staff_client.get(f"/admin/accounting/profit?{query}")
        assert response.status_code == 200 and (
            "Неверный период" in response.get_data(as_text=True) or "раньше" in response.get_data(as_text=True)
        )


def test_no_view_changes_a_journal_entry(app, staff_client, db_session, catalog, customer):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), S.confirmed, S.in_production, S.ready)
    advance(db_session, order, S.handed_over)
    entry = db_session.scalar(sa.select(JournalEntry))
    login_staff(staff_client, make_staff(app, "Admin"))
    assert staff_client.get(f"/admin/journalentryview/show/{entry.id}").status_code == 200
    for url in (f"/admin/journalentryview/edit/{entry.id}", f"/admin/journalentryview/delete/{entry.id}"):
        assert staff_client.post(url, data={"amount": "0"}).status_code in (403, 404, 405)
    db_session.expire_all()
    assert db_session.get(JournalEntry, entry.id).amount == entry.amount


def test_the_shop_requisites_are_versions_in_force_from_their_day(app, staff_client, db_session):
    login_staff(staff_client, make_staff(app, "Admin"))
    form = {k: v for k, v in ROMASHKA.items() if k not in ("kind", "email", "phone")}
    form |= {"valid_from": "2026-01-01", "chief_accountant": "Петрова А. А.", "vat_regime": "osno", "comment": ""}
    bad = staff_client.post("/admin/sellerrequisitesview/add", data=form | {"inn": "1234567895"}, follow_redirects=True)
    assert "ИНН" in bad.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(SellerRequisites)) == 0
    assert staff_client.post("/admin/sellerrequisitesview/add", data=form).status_code == 302
    later = form | {"valid_from": "2026-07-01", "vat_regime": "usn_5", "short_name": "ООО «Ромашка-Принт»"}
    assert staff_client.post("/admin/sellerrequisitesview/add", data=later).status_code == 302
    db_session.expire_all()
    assert seller.in_force(db_session, date(2026, 3, 31)).short_name == "ООО «Ромашка»"
    assert seller.regime_on(db_session, date(2026, 3, 31)).value == "osno"
    assert seller.regime_on(db_session, date(2026, 7, 1)).value == "usn_5"
    assert seller.in_force(db_session, date(2025, 12, 31)) is None
    march = staff_client.get("/admin/accounting/vat?month=3&year=2026").get_data(as_text=True)
    assert "ООО «Ромашка», ИНН 7707083893, КПП 773601001" in march and "ОСНО, НДС 22 %" in march
    july = staff_client.get("/admin/accounting/vat?month=7&year=2026").get_data(as_text=True)
    assert "ООО «Ромашка-Принт»" in july and "УСН, НДС 5 %" in july and "не принимается" in july


def test_a_cost_price_set_in_the_catalog_is_the_cost_of_goods_posted(app, staff_client, db_session, catalog, customer):
    login_staff(staff_client, make_staff(app, "Manager"))
    p = catalog.cards
    form = {
        "category": p.category_id,
        "name": p.name,
        "slug": p.slug,
        "summary": p.summary,
        "description": "",
        "position": p.position,
        "vat_category": "standard",
        "is_active": "y",
        "bleed_mm": "2",
        "max_sides": "2",
        "production_days": "2",
        "requires_layout": "y",
    }
    bad = staff_client.post(f"/admin/productview/edit/{p.id}", data=form | {"cost_price": "-1"}, follow_redirects=True)
    assert "не отрицательная" in bad.get_data(as_text=True)
    response = staff_client.post(f"/admin/productview/edit/{p.id}", data=form | {"cost_price": "0,85"})
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    db_session.expire_all()
    assert p.cost_price == D("0.85")
    order = advance(
        db_session, place_order(db_session, customer, p), S.confirmed, S.in_production, S.ready, S.handed_over
    )
    [entry] = [e for e in db_session.scalars(sa.select(JournalEntry)) if e.line_kind.value == "product"]
    assert entry.cost == (D("0.85") * order.lines[0].quantity).quantize(D("0.01"))


@pytest.mark.parametrize("role", ["Accountant", "Operator"])
def test_the_order_page_shows_the_journal_to_those_who_read_the_accounting(
    app, staff_client, db_session, catalog, customer, role
):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), S.confirmed, S.in_production, S.ready)
    advance(db_session, order, S.handed_over)
    login_staff(staff_client, make_staff(app, role))
    page = staff_client.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    from app.services.money import format_money

    shown = "Журнал реализации: реализовано " + format_money(order.total) in page.replace("&nbsp;", "\u00a0")
    assert shown == (role == "Accountant")
