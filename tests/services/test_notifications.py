"""Order status changes queue outbox messages in the same transaction."""

import sqlalchemy as sa

from app.models import Notification, OrderStatus
from app.services.actors import Actor
from app.services.errors import InvalidTransition
from app.services.orders import lifecycle
from tests.factories import advance, drop_order_placed_messages, place_order

S = OrderStatus


def test_each_status_change_queues_one_email_to_the_order_contact(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    drop_order_placed_messages(db_session)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
    advance(db_session, order, S.confirmed, S.in_production, S.ready)
    rows = db_session.scalars(sa.select(Notification).order_by(Notification.id)).all()
    assert [(n.event, n.payload["new"]) for n in rows] == [
        ("order_status", "confirmed"),
        ("order_status", "in_production"),
        ("order_ready", "ready"),
    ]
    assert {n.recipient for n in rows} == {customer.email}
    assert all(n.state.value == "pending" and n.order_id == order.id for n in rows)


def test_a_refused_change_queues_nothing(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    drop_order_placed_messages(db_session)
    try:
        lifecycle.change_status(db_session, order, S.completed, actor=Actor.system("test"))
    except InvalidTransition:
        db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_rolled_back_change_leaves_no_message(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    drop_order_placed_messages(db_session)
    lifecycle.change_status(db_session, order, S.confirmed, actor=Actor.system("test"))
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0
