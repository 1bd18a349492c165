"""The free reprint of a misprinted order, and the manager's figures of the support desk."""

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
import time_machine

from app.models import LineKind, Order, OrderHistory, OrderReprint, OrderStatus, TicketState, TicketTopic
from app.reports.order_timeline import staff_timeline
from app.services.errors import ValidationError
from app.services.messaging import notifications
from app.services.support import reprint, stats, tickets
from tests.factories import advance, place_order
from tests.support_helpers import open_ticket, outbox, staff_actor

MSK = ZoneInfo("Europe/Moscow")
S = OrderStatus


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


@pytest.fixture
def delivered(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards, delivery="courier", address="Москва, ул. Тверская, д. 7")
    return advance(db_session, order, S.confirmed, S.in_production, S.ready, S.shipped)


def history(session, order) -> list[OrderHistory]:
    return list(
        session.scalars(sa.select(OrderHistory).where(OrderHistory.order_id == order.id).order_by(OrderHistory.id))
    )


def test_a_reprint_copies_the_lines_at_zero_price_and_links_both_orders(app, db_session, customer, delivered):
    ticket = open_ticket(
        db_session, customer, topic="defect", subject="Полосы на визитках", order_number=delivered.number
    )
    manager = staff_actor(app, db_session, "Manager")
    new = reprint.create_reprint(db_session, ticket, actor=manager, reason="Полосы от валика, весь тираж")
    db_session.commit()
    assert new.customer_id == customer.id and new.number != delivered.number
    assert new.status == S.confirmed  # accepted through the state machine
    assert [(line.kind, line.product_name, line.quantity) for line in new.lines] == [
        (line.kind, line.product_name, line.quantity) for line in delivered.lines
    ]
    assert any(line.kind == LineKind.delivery for line in new.lines)
    assert all(line.total == line.gross_amount == line.vat_amount == Decimal("0.00") for line in new.lines)
    assert new.total == new.amount_due == Decimal("0.00")
    assert [line.layout_file_id for line in new.lines] == [line.layout_file_id for line in delivered.lines]
    assert delivered.total > 0 and delivered.status == S.shipped  # the original is untouched
    link = db_session.scalar(sa.select(OrderReprint))
    assert (link.ticket_id, link.original_order_id, link.reprint_order_id) == (ticket.id, delivered.id, new.id)
    old_entries = {(e.field, e.new_value, e.comment) for e in history(db_session, delivered)}
    assert ("reprint", new.number, "Полосы от валика, весь тираж") in old_entries
    new_entries = [(e.field, e.old_value, e.new_value) for e in history(db_session, new)]
    assert new_entries[:2] == [("created", None, "new"), ("reprint_of", None, delivered.number)]
    assert ("status", "new", "confirmed") in new_entries
    assert "Полосы от валика" in history(db_session, new)[0].comment
    texts = [item.text for item in staff_timeline(history(db_session, delivered))]
    assert f"Тестов M. оформил бесплатную перепечатку — заказ {new.number}" in texts
    assert ticket.history[-1].field == "reprint"
    # The customer hears of the new order like of any other.
    assert {r.event for r in outbox(db_session)} >= {notifications.ORDER_STATUS}


@pytest.mark.parametrize(
    ("topic", "status", "message"),
    [
        ("order", S.shipped, "только по обращению с темой «Брак / рекламация»"),
        ("defect", S.in_production, "ещё не напечатан"),
    ],
)
def test_a_reprint_is_refused_when_it_makes_no_sense(app, db_session, catalog, customer, topic, status, message):
    order = place_order(db_session, customer, catalog.cards, delivery="courier", address="Москва, ул. Тверская, д. 7")
    path = [S.confirmed, S.in_production, S.ready, S.shipped]
    advance(db_session, order, *path[: path.index(status) + 1])
    ticket = open_ticket(db_session, customer, topic=topic, order_number=order.number)
    with pytest.raises(ValidationError, match=message):
        reprint.create_reprint(db_session, ticket, actor=staff_actor(app, db_session, "Manager"), reason="брак")
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


def test_a_reprint_needs_a_reason_an_order_and_happens_once(app, db_session, customer, delivered):
    manager = staff_actor(app, db_session, "Manager")
    without_order = open_ticket(db_session, customer, topic="defect")
    with pytest.raises(ValidationError, match="не привязан заказ"):
        reprint.create_reprint(db_session, without_order, actor=manager, reason="брак")
    ticket = open_ticket(db_session, customer, topic="defect", order_number=delivered.number)
    with pytest.raises(ValidationError, match="Укажите причину"):
        reprint.create_reprint(db_session, ticket, actor=manager, reason="  ")
    reprint.create_reprint(db_session, ticket, actor=manager, reason="брак")
    db_session.commit()
    with pytest.raises(ValidationError, match="уже оформлена"):
        reprint.create_reprint(db_session, ticket, actor=manager, reason="ещё раз")


def test_figures_count_times_in_working_hours_sla_and_csat(app, db_session, customer, other_customer):
    actor = staff_actor(app, db_session)
    with time_machine.travel(msk(2026, 11, 20, 17, 0), tick=False):  # Friday 17:00
        fast = open_ticket(db_session, customer, subject="Быстрый вопрос")
        slow = open_ticket(db_session, other_customer, topic="defect", subject="Брак")
        unanswered = open_ticket(db_session, customer, topic="payment", subject="Счёт")
    with time_machine.travel(msk(2026, 11, 23, 10, 0), tick=False):  # Monday: 2 working hours later
        tickets.staff_reply(db_session, fast, actor=actor, body="Готово", then="resolved")
    with time_machine.travel(msk(2026, 11, 23, 13, 0), tick=False):  # 5 working hours: over the 2 h of a defect
        tickets.staff_reply(db_session, slow, actor=actor, body="Смотрим", then="in_progress")
        tickets.close_by_customer(db_session, fast, customer=customer)
        tickets.rate(db_session, fast, customer=customer, rating=5)
    with time_machine.travel(msk(2026, 11, 24, 12, 0), tick=False):
        tickets.change_state(db_session, slow, "resolved", actor=actor)
        db_session.commit()
        result = stats.figures(db_session, day_from=date(2026, 11, 20), day_to=date(2026, 11, 20))
    assert result.total == 3
    assert result.by_topic_state[TicketTopic.order] == {TicketState.closed: 1}
    assert result.state_totals()[TicketState.resolved] == 1
    assert result.first_response.count == 2
    assert (result.first_response.median, result.first_response.p90) == (3.5, 5.0)
    # resolution: fast 2 h; slow 1 (Fri) + 9 (Mon) + 3 (Tue) = 13 h
    assert (result.resolution.median, result.resolution.p90) == (7.5, 13.0)
    # first response: fast met (2 ≤ 4), slow breached (5 > 2), unanswered breached (4 h passed on Monday 12:00)
    assert (result.first_response_sla.met, result.first_response_sla.breached) == (1, 2)
    # resolution: fast met, slow 13 > 9 breached, unanswered (payment, normal: 18 h) still running
    assert (result.resolution_sla.met, result.resolution_sla.breached) == (1, 1)
    assert result.sla.percent == pytest.approx(40.0)
    assert (result.csat, result.average_rating) == (100.0, 5.0)
    assert unanswered.id
    empty = stats.figures(db_session, day_from=date(2026, 10, 1), day_to=date(2026, 10, 31))
    assert (empty.total, empty.first_response.median, empty.csat, empty.sla.percent) == (0, None, None, None)


def test_percentiles_are_nearest_rank():
    assert stats.nearest_rank([5, 1, 3, 2, 4, 6, 7, 8, 9, 10], 90) == 9
    assert stats.nearest_rank([4.0], 90) == 4.0
    assert stats.nearest_rank([], 90) is None


def test_the_period_of_the_figures_is_checked():
    assert stats.parse_period("2026-11-01", "2026-11-30") == (date(2026, 11, 1), date(2026, 11, 30))
    with pytest.raises(ValidationError, match="позже конца"):
        stats.parse_period("2026-12-01", "2026-11-30")
    with pytest.raises(ValidationError, match="ГГГГ-ММ-ДД"):
        stats.parse_period("вчера", "")
