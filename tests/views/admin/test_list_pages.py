"""Back-office list pages at scale: a fixed number of statements per page whatever its size, counts bounded
(an estimate «≈» past the threshold on PostgreSQL), pages no deeper than the bounded OFFSET."""

from contextlib import contextmanager

import pytest
import sqlalchemy as sa
import time_machine

from app.seed import bulk as seed_bulk
from app.services import paging
from tests.factories import login_staff, make_staff


@pytest.fixture
def shop_with_orders(db_session):
    with time_machine.travel("2026-11-20 10:00:00+03:00", tick=False):
        seed_bulk.generate(db_session, customers=60, orders=150, days=60, seed=5)
    db_session.commit()


@pytest.fixture
def operator(app, staff_client):
    login_staff(staff_client, make_staff(app, "Operator", email="oleg@pechatnydvor.ru"))
    return staff_client


@contextmanager
def statements():
    """Counts the SQL statements every engine runs meanwhile."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)


def _statements_for(client, url: str) -> list[str]:
    client.get(url)  # warm: permission lookups cached per process, the same for every page size
    with statements() as seen:
        response = client.get(url)
    assert response.status_code == 200
    return list(seen)


@pytest.mark.parametrize(
    ("view", "extra"), [("orderview", ""), ("orderview", "&_flt_0_status=completed"), ("customerview", "")]
)
def test_statements_per_list_page_do_not_grow_with_its_size(operator, shop_with_orders, view, extra):
    small = _statements_for(operator, f"/admin/{view}/list/?psize_{view.capitalize()}=5{extra}")
    large = _statements_for(operator, f"/admin/{view}/list/?psize_{view.capitalize()}=100{extra}")
    assert len(small) == len(large), "\n".join(large)
    assert len(large) <= 12, "\n".join(large)


def test_the_order_list_shows_customers_and_assignees_without_a_query_per_row(operator, shop_with_orders):
    seen = _statements_for(operator, "/admin/orderview/list/?psize_OrderView=100")
    customers = [s for s in seen if "FROM customer" in s and "orders" not in s]
    assert len(customers) == 1 and " IN (" in customers[0], "\n".join(seen)  # one select-in for the whole page


def test_a_count_past_the_threshold_is_an_estimate_and_pages_stop_at_the_bounded_offset(
    operator, shop_with_orders, monkeypatch, backend
):
    monkeypatch.setattr(paging, "MAX_EXACT_COUNT", 40)
    monkeypatch.setattr(paging, "MAX_OFFSET", 60)
    page = operator.get("/admin/orderview/list/?psize_OrderView=20").get_data(as_text=True)
    if backend == "postgresql":
        assert "≈" in page
    else:
        assert "150" in page and "≈" not in page  # SQLite counts exactly
    assert "page_OrderView=2" in page and "page_OrderView=3" not in page  # 60 rows reachable: pages 0–2
    deep = operator.get("/admin/orderview/list/?psize_OrderView=20&page_OrderView=5000")
    assert deep.status_code == 200 and deep.get_data(as_text=True).count('name="rowid"') == 20


def test_row_count_label():
    assert paging.RowCount(1234567, approximate=True, reachable=10_000).__html__() == "≈\u00a01\u00a0234\u00a0567"
    assert int(paging.RowCount(1234567, approximate=True, reachable=10_000)) == 10_000
    assert paging.RowCount(42).__html__() == "42" and int(paging.RowCount(42)) == 42
