"""In a real browser: a customer creates a company, staff approve it, the owner saves a company project and
invites a colleague, who joins and orders for the company by reordering the shared project."""

import re

import pytest
import sqlalchemy as sa

from app.models import Company, Order, Project
from tests.e2e.conftest import open_account_menu
from tests.factories import PASSWORD, ROMASHKA, make_staff, pdf_bytes

pytestmark = pytest.mark.browser


def _login(page, base, email, next_url=None):
    page.goto(f"{base}/account/login" + (f"?next={next_url}" if next_url else ""))
    page.get_by_label("Email адрес").fill(email)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()


def test_colleague_orders_for_the_company_by_reordering_a_shared_project(
    app, live_server, page, browser, db_session, catalog, customer, other_customer, tmp_path
):
    # The owner creates the company.
    _login(page, live_server, customer.email)
    open_account_menu(page)
    page.get_by_role("link", name="Компании").click()
    page.get_by_role("link", name="Добавить компанию").click()
    for field in (
        "full_name",
        "short_name",
        "director",
        "inn",
        "kpp",
        "ogrn",
        "legal_address",
        "bank_name",
        "bik",
        "correspondent_account",
        "settlement_account",
        "phone",
    ):
        page.fill(f"#{field}", ROMASHKA[field])
    page.fill("#inn", "7707083894")  # a typo first
    page.get_by_role("button", name="Создать компанию").click()
    assert "ИНН с ошибкой" in page.get_by_test_id("error-inn").inner_text()
    page.fill("#inn", ROMASHKA["inn"])
    page.get_by_role("button", name="Создать компанию").click()
    page.wait_for_url(re.compile(r"/companies/\d+$"))
    assert page.get_by_test_id("company-status").inner_text() == "На проверке"
    company_url = page.url
    company_id = int(company_url.rsplit("/", 1)[-1])

    # Staff approve it in the back office.
    staff = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    staff.goto(f"{live_server}/admin/login/")
    staff.fill("#username", make_staff(app, "Manager"))
    staff.fill("#password", PASSWORD)
    staff.get_by_role("button", name="Вход").click()
    staff.goto(f"{live_server}/admin/companyview/show/{company_id}")
    staff.select_option("#status", "approved")
    staff.get_by_role("button", name="Сохранить решение").click()
    assert staff.get_by_test_id("admin-company-status").inner_text() == "Подтверждена"
    staff.wait_for_load_state("networkidle")
    staff.context.close()

    # The owner orders business cards once and saves the line as a company project.
    layout = tmp_path / "vizitki-otdel.pdf"
    layout.write_bytes(pdf_bytes(94, 54))
    page.goto(f"{live_server}/product/vizitki-standart")
    page.get_by_label("Макет").set_input_files(str(layout))
    page.get_by_role("button", name="В корзину").click()
    page.wait_for_url(re.compile(r"/cart/$"))
    assert "Макет в порядке" in page.get_by_test_id("preflight").inner_text()
    page.get_by_text("Сохранить как проект").click()
    page.locator("input[name=name]").fill("Визитки отдела продаж")
    page.locator("select[name=company_id]").select_option(label="Компании «ООО «Ромашка»»")
    page.get_by_role("button", name="Сохранить", exact=True).click()
    assert "Проект «Визитки отдела продаж» сохранён" in page.content()

    # … and invites a colleague as a buyer.
    page.goto(company_url)
    page.fill("#invite-email", other_customer.email)
    page.select_option("#invite-role", "buyer")
    page.get_by_role("button", name="Пригласить", exact=True).click()
    link = page.get_by_test_id("invite-link").input_value()
    invite_path = "/companies/invite/" + link.rsplit("/companies/invite/", 1)[1]

    # The colleague opens the link, logs in, joins.
    colleague = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ru-RU").new_page()
    colleague_errors: list[str] = []
    colleague.on("pageerror", lambda exc: colleague_errors.append(str(exc)))
    colleague.goto(f"{live_server}{invite_path}")
    assert "ООО «Ромашка»" in colleague.content()
    colleague.get_by_role("link", name="Войти").last.click()
    colleague.get_by_label("Email адрес").fill(other_customer.email)
    colleague.get_by_label("Пароль").fill(PASSWORD)
    colleague.get_by_role("button", name="Войти").click()
    colleague.wait_for_url(re.compile(r"/companies/invite/"))
    colleague.get_by_test_id("accept-invite").click()
    colleague.wait_for_url(re.compile(rf"/companies/{company_id}$"))
    assert "Закупщик" in colleague.content()

    # The shared project is theirs to reorder in one click, for the company, by invoice.
    open_account_menu(colleague)
    colleague.get_by_role("link", name="Мои проекты").click()
    card = colleague.get_by_test_id("project-card").filter(has_text="Визитки отдела продаж")
    # The thumbnail is drawn by the server from the PDF's first page.
    assert card.locator("img").evaluate("img => img.decode().then(() => img.naturalWidth)") == 320
    card.get_by_test_id("reorder").click()
    colleague.wait_for_url(re.compile(r"/cart/$"))
    assert "Прошлая цена 790,00\u00a0₽ → сейчас 790,00\u00a0₽" in colleague.get_by_test_id("price-compare").inner_text()
    colleague.get_by_test_id("to-checkout").click()
    colleague.wait_for_url(re.compile(r"/checkout/"))
    colleague.get_by_test_id("company-select").select_option(str(company_id))
    assert colleague.locator("#payment-invoice").is_checked()
    colleague.get_by_role("button", name="Подтвердить заказ").click()
    colleague.wait_for_url(re.compile(r"/account/orders/\d{4}-\d{6}$"))
    assert colleague.get_by_test_id("order-company").inner_text() == "ООО «Ромашка»"
    # The owner's only console error is the 400 of the form sent back with the ИНН typo.
    assert [e for e in page.js_errors if "status of 400" not in e] == [] and colleague_errors == []

    db_session.expire_all()
    order = db_session.scalar(sa.select(Order).where(Order.customer_id == other_customer.id))
    project = db_session.scalar(sa.select(Project))
    company = db_session.get(Company, company_id)
    assert order.company_id == company.id and order.payment_method.value == "invoice"
    assert order.product_lines[0].layout_file.sha256 == project.current_version.sha256
    assert order.product_lines[0].project_id == project.id
    # The owner sees the colleague's order among the company's orders.
    page.goto(company_url)
    assert order.number in page.get_by_test_id("company-order").first.inner_text()
    colleague.wait_for_load_state("networkidle")
    colleague.context.close()
