"""«Вернуть позицию» on the back office's order page: Manager and Admin only, a reason and a confirmation, Russian
messages, a refusal changes nothing."""

import pytest
import sqlalchemy as sa

from app.models import JournalEntry, JournalKind, OrderHistory, OrderStatus
from app.services.actors import Actor
from app.services.orders import lifecycle
from app.views.admin.permissions import STAFF_ROLES, role_allows
from tests.factories import advance, login_staff, make_staff, place_cards_and_flyers
from tests.views.admin.test_order_management import denied

S = OrderStatus
CAN_REFUND = {"Admin", "Manager"}


def paid_order(session, customer, catalog):
    order = advance(session, place_cards_and_flyers(session, customer, catalog), S.confirmed)
    lifecycle.mark_paid(session, order, actor=Actor.system("test"))
    session.commit()
    return order


def refund_url(order, line):
    return f"/admin/orderview/line/{order.id}/{line.id}/refund"


def refunded(session, order):
    session.expire_all()
    return session.scalar(
        sa.select(sa.func.count()).where(OrderHistory.order_id == order.id, OrderHistory.field == "line_refunded")
    )


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_refunding_a_line_follows_the_role(app, staff_client, db_session, catalog, customer, role):
    assert role_allows(role, "OrderView", "can_refund_line") == (role in CAN_REFUND)
    order = paid_order(db_session, customer, catalog)
    line = order.product_lines[0]
    login_staff(staff_client, make_staff(app, role))
    page = staff_client.get(f"/admin/orderview/show/{order.id}")
    if role == "ContentEditor":
        assert denied(page)
    else:
        assert page.status_code == 200
        assert ('data-testid="refund-line"' in page.get_data(as_text=True)) == (role in CAN_REFUND)
    response = staff_client.post(refund_url(order, line), data={"reason": "брак печати"})
    assert denied(response) == (role not in CAN_REFUND), role
    assert refunded(db_session, order) == (1 if role in CAN_REFUND else 0)
    assert len(order.product_lines) == (1 if role in CAN_REFUND else 2)


def test_the_manager_refunds_a_line_with_a_reason_and_reads_why_not_otherwise(
    app, staff_client, db_session, catalog, customer
):
    order = paid_order(db_session, customer, catalog)
    cards, flyers = order.product_lines
    amount, name, cards_url, flyers_url, flyers_id = (
        cards.total,
        cards.product_name,
        refund_url(order, cards),
        refund_url(order, flyers),
        flyers.id,
    )
    login_staff(staff_client, make_staff(app, "Manager"))

    page = staff_client.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert f'action="{cards_url}"' in page and 'name="reason" required' in page
    assert f"Вернуть позицию «{name}» заказа {order.number}?" in page  # the confirmation

    # no reason: refused with the message, nothing changes
    entries = db_session.scalar(sa.select(sa.func.count()).select_from(JournalEntry))
    response = staff_client.post(cards_url, data={"reason": ""}, follow_redirects=True)
    assert "Укажите причину возврата позиции." in response.get_data(as_text=True)
    assert refunded(db_session, order) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == entries

    response = staff_client.post(cards_url, data={"reason": "клиент отказался"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert f"Позиция «{name}» возвращена" in text and "к возврату покупателю" in text
    assert "вернула позицию" in text or "вернул позицию" in text or "Возвращена позиция" in text
    assert "клиент отказался" in text
    db_session.expire_all()
    assert [line.id for line in order.product_lines] == [flyers_id]
    refund = db_session.scalars(
        sa.select(JournalEntry).where(
            JournalEntry.order_id == order.id, JournalEntry.kind == JournalKind.payment_refund
        )
    ).one()
    assert refund.amount == -amount

    # the same line again (a second click): a clear message, nothing more is refunded
    response = staff_client.post(cards_url, data={"reason": "клиент отказался"}, follow_redirects=True)
    assert "возможно, её уже вернули" in response.get_data(as_text=True)
    assert refunded(db_session, order) == 1

    # the last line: the whole order is refunded by the status
    response = staff_client.post(flyers_url, data={"reason": "всё вернуть"}, follow_redirects=True)
    text = response.get_data(as_text=True)
    assert "последняя позиция" in text and "«Возврат»" in text
    assert refunded(db_session, order) == 1
    assert 'data-testid="refund-line"' not in text  # one line left: nothing to refund line by line


def test_an_unpaid_order_offers_no_refund_and_refuses_one(app, staff_client, db_session, catalog, customer):
    order = place_cards_and_flyers(db_session, customer, catalog)
    login_staff(staff_client, make_staff(app, "Admin"))
    assert 'data-testid="refund-line"' not in staff_client.get(f"/admin/orderview/show/{order.id}").get_data(
        as_text=True
    )
    response = staff_client.post(
        refund_url(order, order.product_lines[0]), data={"reason": "брак"}, follow_redirects=True
    )
    assert "не оплачен" in response.get_data(as_text=True)
    assert refunded(db_session, order) == 0 and len(order.product_lines) == 2


def test_the_customer_sees_the_refund_in_the_points_history_and_on_the_order(client, db_session, catalog, customer):
    from app.services.orders import refunds
    from tests.factories import login_customer
    from tests.services.test_loyalty import fill_cart, give, order_with_points

    give(db_session, customer, 2000)
    fill_cart(db_session, customer, catalog.cards)
    order = order_with_points(db_session, customer, catalog.flyers, 900)
    lifecycle.mark_paid(db_session, order, actor=Actor.system("test"))
    db_session.commit()
    cards = next(line for line in order.product_lines if line.product_id == catalog.cards.id)
    name = cards.product_name
    refunds.refund_line(db_session, order, cards.id, actor=Actor.system("менеджер"), comment="брак печати")
    db_session.commit()

    login_customer(client, customer.email)
    history = client.get("/account/bonuses").get_data(as_text=True)
    assert f"Возврат позиции «{name}» заказа {order.number}" in history
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert "снято за возвращённые позиции" in page and name not in page
    assert "брак печати" not in history + page  # the staff's reason stays in the back office
