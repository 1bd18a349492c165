"""«Мои заказы»: a page at a time, filtered by status and period, only the customer's own orders."""

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Customer, Order
from app.seed import bulk as seed_bulk
from app.seed.demo import DEMO_PASSWORD
from app.services.shoptime import now as shop_now
from tests.factories import login_customer

NOW = "2026-11-20 10:00:00+03:00"
NUMBER = re.compile(r"\d{4}-\d{6}")


@pytest.fixture
def regulars(db_session):
    """Two customers with many orders each over 200 days."""
    with time_machine.travel(NOW, tick=False):
        seed_bulk.generate(db_session, customers=2, orders=70, days=200, seed=11)
    db_session.commit()
    counts = db_session.execute(
        sa.select(Customer.email, sa.func.count(Order.id)).join(Order).group_by(Customer.email)
    ).all()
    ranked = sorted(((email, n) for email, n in counts), key=lambda row: -row[1])
    assert ranked[0][1] > 40 and len(ranked) == 2  # several pages for the first, some orders for the other
    return ranked


def _numbers(page: str) -> list[str]:
    """The order numbers of the table's rows, in order (each row links its number)."""
    rows = page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""
    return list(dict.fromkeys(NUMBER.findall(rows)))


def _own(db_session, email: str, *conditions) -> list[str]:  # noqa: ANN001
    return list(
        db_session.scalars(
            sa.select(Order.number)
            .join(Customer)
            .where(Customer.email == email, *conditions)
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


def test_orders_come_a_page_at_a_time_newest_first_and_only_ones_own(client, db_session, regulars):
    email, count = regulars[0]
    with time_machine.travel(NOW, tick=False):
        login_customer(client, email, DEMO_PASSWORD)
        first = client.get("/account/orders").get_data(as_text=True)
        pages = -(-count // 20)
        assert f"Заказов: {count}" in first and f"страница 1 из {pages}" in first
        seen = []
        for n in range(1, pages + 1):
            seen += _numbers(client.get(f"/account/orders?page={n}").get_data(as_text=True))
        assert seen == _own(db_session, email)
        beyond = client.get("/account/orders?page=999").get_data(as_text=True)
        assert _numbers(beyond) == seen[(pages - 1) * 20 :]  # past the end: the last page
    assert _numbers(first) == seen[:20]


def test_status_and_period_filters_narrow_the_list_and_follow_the_pages(client, db_session, regulars):
    email, _ = regulars[0]
    with time_machine.travel(NOW, tick=False):
        login_customer(client, email, DEMO_PASSWORD)
        completed = _numbers(client.get("/account/orders?status=completed").get_data(as_text=True))
        assert completed == _own(db_session, email, Order.status == "completed")[:20] and completed
        since = shop_now().replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=29)
        recent = client.get("/account/orders?period=30").get_data(as_text=True)
        assert _numbers(recent) == _own(db_session, email, Order.created_at >= since)[:20]
        links = re.findall(
            r'href="(/account/orders\?[^"]*)"', client.get("/account/orders?period=365").get_data(as_text=True)
        )
        assert links and all("period=365" in link for link in links)  # the pages keep the filter


@pytest.mark.parametrize(
    ("query", "message"),
    [("status=lost", "Выберите статус из списка."), ("period=7", "Выберите период из списка."), ("page=x", "Номер")],
)
def test_a_bad_filter_is_refused_with_a_message_and_the_whole_list_is_shown(
    client, db_session, regulars, query, message
):
    email, _ = regulars[0]
    with time_machine.travel(NOW, tick=False):
        login_customer(client, email, DEMO_PASSWORD)
        response = client.get(f"/account/orders?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and message in page
    assert _numbers(page) == _own(db_session, email)[:20]


def test_another_customers_orders_never_appear(client, db_session, regulars):
    (mine, _), (theirs, _) = regulars[0], regulars[1]
    with time_machine.travel(NOW, tick=False):
        login_customer(client, mine, DEMO_PASSWORD)
        shown = set()
        for n in range(1, 6):
            shown |= set(_numbers(client.get(f"/account/orders?page={n}").get_data(as_text=True)))
    assert shown and not shown & set(_own(db_session, theirs))
