"""A manager opens the dashboard: BokehJS comes from the app (no request leaves it), a period change redraws
the charts with that period's figures, and a click on a bar opens the journal entries behind it."""

import re

import pytest

from app.reports import dashboard as report
from app.services.money import format_money
from tests.factories import PASSWORD, make_staff
from tests.reports.test_dashboard import APRIL, MARCH, march  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
REVENUE_DATA = """() => {
  for (const doc of Bokeh.documents)
    for (const model of doc.all_models)
      if (model.data && model.data.revenue && model.data.drill) return Array.from(model.data.revenue);
  return null;
}"""


def test_manager_reads_the_dashboard_changes_the_period_and_drills_into_a_bar(
    app,
    live_server,
    page,
    db_session,
    march,  # noqa: F811
):
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)
    email = make_staff(app, "Manager")
    page.goto(f"{live_server}/admin/login/")
    page.fill("#username", email)
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Вход").click()

    page.goto(f"{live_server}/admin/dashboard/?preset=custom&start=2026-03-01&end=2026-03-31&grouping=month")
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length >= 4")
    march_revenue = report.revenue_widget(db_session, MARCH, "month").total.revenue
    assert page.evaluate(REVENUE_DATA) == [float(march_revenue)]
    assert page.locator("#chart-revenue canvas").count() >= 1 or page.evaluate(
        "() => document.querySelector('#chart-revenue').children.length > 0"
    )

    # Another period: the form reloads the page and the charts carry April's figures.
    page.fill("input[name=start]", "2026-04-01")
    page.fill("input[name=end]", "2026-04-30")
    assert page.locator("input[name=preset][value=custom]").is_checked()
    page.get_by_role("button", name="Показать").click()
    page.wait_for_url(re.compile(r"start=2026-04-01"))
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length >= 1")
    april_revenue = report.revenue_widget(db_session, APRIL, "month").total.revenue
    assert page.evaluate(REVENUE_DATA) == [float(april_revenue)]
    assert page.get_by_test_id("kpi-revenue").inner_text() == format_money(april_revenue)

    # Back to March, one bar: a click on it opens the entries whose total is the bar.
    page.goto(f"{live_server}/admin/dashboard/?preset=custom&start=2026-03-01&end=2026-03-31&grouping=month")
    page.wait_for_function("() => window.Bokeh && Bokeh.documents.length >= 4")
    page.wait_for_timeout(500)
    page.locator("#chart-revenue").scroll_into_view_if_needed()
    box = page.locator("#chart-revenue").bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.8)
    page.wait_for_url(re.compile(r"/admin/dashboard/entries\?"))
    total = page.get_by_test_id("entries-total").inner_text().replace("\xa0", " ")
    assert total == format_money(march_revenue).replace("\xa0", " ")
    assert page.get_by_test_id("entries-table").locator("tbody tr").count() >= 3

    assert outside == [], outside
    assert page.js_errors == []
