"""The dashboard page: who sees which widget, drill-down lists whose total is the bar, CSV, bad input, and
BokehJS served by the app itself."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from app.reports import dashboard as report
from app.reports.metrics import Period
from app.views.admin.permissions import STAFF_ROLES, role_allows
from tests.factories import login_staff, make_staff
from tests.reports.test_dashboard import MARCH, march  # noqa: F401  (fixture)

SEES_DASHBOARD = {"Admin", "Manager", "Accountant"}
SEES_ALL_WIDGETS = {"Admin", "Manager"}
MARCH_ARGS = "preset=custom&start=2026-03-01&end=2026-03-31&grouping=month"


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_the_dashboard_by_role(app, staff_client, role):
    login_staff(staff_client, make_staff(app, role))
    page = staff_client.get("/admin/dashboard/")
    if role not in SEES_DASHBOARD:
        assert page.status_code in (302, 403)
        assert staff_client.get("/admin/dashboard/export/revenue.csv").status_code in (302, 403)
        assert staff_client.get(f"/admin/dashboard/entries?{MARCH_ARGS}").status_code in (302, 403)
        assert not role_allows(role, "DashboardView", "can_list")
        return
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="chart-revenue"' in html and "Выручка (реализация)" in html
    assert ('id="chart-orders"' in html) == (role in SEES_ALL_WIDGETS)
    assert ('data-testid="promo-table"' in html) == (role in SEES_ALL_WIDGETS)
    assert ('data-testid="points-earned"' in html) == (role in SEES_ALL_WIDGETS)
    products = staff_client.get("/admin/dashboard/export/products.csv")
    assert (products.status_code == 200) == (role in SEES_ALL_WIDGETS)
    assert staff_client.get("/admin/dashboard/export/revenue.csv").status_code == 200
    assert role_allows(role, "DashboardView", "can_all_widgets") == (role in SEES_ALL_WIDGETS)


def test_the_page_embeds_charts_without_inline_code_and_serves_bokehjs(app, staff_client, march):  # noqa: F811
    login_staff(staff_client, make_staff(app, "Manager"))
    page = staff_client.get(f"/admin/dashboard/?{MARCH_ARGS}")
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script[^>]*>", html)
    assert scripts and all("src=" in tag or 'type="application/json"' in tag for tag in scripts)
    assert "cdn.bokeh.org" not in html and "/admin/bokeh/js/bokeh.min.js" in html
    assert "script-src 'self' 'nonce-" in page.headers["Content-Security-Policy"]
    bokehjs = staff_client.get("/admin/bokeh/js/bokeh.min.js")
    assert bokehjs.status_code == 200 and b"Bokeh" in bokehjs.data[:5000]
    assert len(bokehjs.data) > 500_000


def test_a_bar_drills_down_to_entries_whose_total_is_the_bar(app, staff_client, db_session, march):  # noqa: F811
    login_staff(staff_client, make_staff(app, "Manager"))
    widget = report.revenue_widget(db_session, Period(date(2026, 3, 30), date(2026, 4, 5)), "day")
    page = staff_client.get("/admin/dashboard/?preset=custom&start=2026-03-30&end=2026-04-05&grouping=day")
    html = page.get_data(as_text=True)
    assert html.count("/admin/dashboard/entries?") >= len(widget.points)
    for point in widget.points:
        drill = staff_client.get(
            f"/admin/dashboard/entries?preset=custom&start={point.period.start}&end={point.period.end}"
        )
        text = drill.get_data(as_text=True)
        total = re.search(r'data-testid="entries-total">([^<]+)<', text).group(1)
        assert total.replace("\xa0", " ") == _money(point.sales.revenue), point.label
    # The refund of 2 April is in the list, negative.
    april_2 = staff_client.get("/admin/dashboard/entries?preset=custom&start=2026-04-02&end=2026-04-02")
    assert "Возврат" in april_2.get_data(as_text=True) and "−" not in _money(widget.points[3].sales.revenue)


def test_product_category_and_promo_drill_downs_add_up(app, staff_client, db_session, march, catalog):  # noqa: F811
    login_staff(staff_client, make_staff(app, "Manager"))
    rows = {r.key: r for r in report.product_rows(db_session, MARCH)}
    drill = staff_client.get(f"/admin/dashboard/entries?{MARCH_ARGS}&product={catalog.stickers.id}")
    assert _total(drill) == _money(rows[catalog.stickers.id].sales.revenue)
    by_category = {r.key: r for r in report.category_rows(db_session, MARCH)}
    drill = staff_client.get(f"/admin/dashboard/entries?{MARCH_ARGS}&category_key={catalog.cards.category_id}")
    assert _total(drill) == _money(by_category[catalog.cards.category_id].sales.revenue)
    promo = next(r for r in report.promo_widget(db_session, MARCH) if r.promo_code_id)
    drill = staff_client.get(f"/admin/dashboard/entries?{MARCH_ARGS}&promo={promo.promo_code_id}")
    assert _total(drill) == _money(promo.sales.revenue)
    top = report.top_widget(db_session, MARCH, n=1).by_revenue
    shown = ",".join(str(r.key) for r in top if r.key is not None)
    drill = staff_client.get(f"/admin/dashboard/entries?{MARCH_ARGS}&except_product={shown}")
    assert _total(drill) == _money(top[-1].sales.revenue)  # «Остальные»


def test_the_reconciled_months_are_badged(app, staff_client, db_session, march):  # noqa: F811
    report.reconcile_month(db_session, MARCH)
    db_session.commit()
    login_staff(staff_client, make_staff(app, "Accountant"))
    html = staff_client.get("/admin/dashboard/?preset=custom&start=2026-03-15&end=2026-04-10").get_data(as_text=True)
    badges = re.search(r'data-testid="reconciled">(.*?)</p>', html, re.S).group(1)
    assert "март 2026: сверено с бухгалтерией ✓" in badges and "апрель 2026: не проверен" in badges


def test_csv_of_a_widget_has_its_figures(app, staff_client, db_session, march):  # noqa: F811
    login_staff(staff_client, make_staff(app, "Manager"))
    response = staff_client.get(f"/admin/dashboard/export/revenue.csv?{MARCH_ARGS}")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][0] == "Период" and rows[1][0] == "мар 2026"
    widget = report.revenue_widget(db_session, MARCH, "month")
    assert rows[1][3] == str(widget.total.revenue).replace(".", ",")
    assert staff_client.get(f"/admin/dashboard/export/nothing.csv?{MARCH_ARGS}").status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        "grouping=hour",
        "preset=custom&start=2026-13-01&end=2026-03-01",
        "preset=custom&start=2026-03-10&end=2026-03-01",
        "preset=decade",
        "segment=vip",
        "delivery=drone",
        "category=abc",
        "preset=custom&start=2000-01-01&end=2019-12-31&grouping=day",
    ],
)
def test_bad_controls_show_a_russian_message_and_the_last_month(app, staff_client, query):
    login_staff(staff_client, make_staff(app, "Manager"))
    page = staff_client.get(f"/admin/dashboard/?{query}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="dashboard-error"' in html and "Показан последний месяц" in html
    assert staff_client.get(f"/admin/dashboard/entries?{query}").status_code == 400


def test_an_empty_period_shows_zeros_and_says_so(app, staff_client):
    login_staff(staff_client, make_staff(app, "Manager"))
    html = staff_client.get("/admin/dashboard/?preset=custom&start=2025-01-01&end=2025-01-07").get_data(as_text=True)
    assert 'data-testid="dashboard-empty"' in html and 'data-testid="top-empty"' in html
    assert re.search(r'data-testid="kpi-revenue">0,00\xa0₽<', html)


def _money(value) -> str:
    from app.services.money import format_money

    return format_money(value).replace("\xa0", " ")


def _total(response) -> str:
    text = response.get_data(as_text=True)
    return re.search(r'data-testid="entries-total">([^<]+)<', text).group(1).replace("\xa0", " ")


def test_orders_placed_with_a_category_drill_down_to_the_orders_having_it(
    app,
    staff_client,
    db_session,
    march,  # noqa: F811
    catalog,
):
    login_staff(staff_client, make_staff(app, "Manager"))
    category = catalog.cards.category_id
    page = staff_client.get(f"/admin/dashboard/?{MARCH_ARGS}&category={category}").get_data(as_text=True)
    assert "оформленные заказы — те, где есть позиция этой категории" in page
    urls = {
        u.replace("\\u0026", "&").replace("&amp;", "&") for u in re.findall(r"/admin/orderview/list/\?[^\"' ]+", page)
    }
    assert len(urls) == 1, urls
    listed = staff_client.get(urls.pop()).get_data(as_text=True)
    # In March only the cards order has a line of the category (the April reorder is outside the period).
    assert report.revenue_widget(db_session, MARCH, "month", report.Filters(category_id=category)).placed == 1
    assert march["cards"].number in listed
    for other in ("flyers", "stickers", "placed_only", "again"):
        assert march[other].number not in listed, other
    assert "Категория в заказе" in listed
