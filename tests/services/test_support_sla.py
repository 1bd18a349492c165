"""SLA of tickets in working hours (across a weekend and a public holiday), the pause while waiting for the
customer, breach alerts to the assignee and the lead, auto-close with a notice — with the clock moved."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from app.models import DeliveryState, TicketPriority, TicketState
from app.services.messaging import outbox
from app.services.support import alerts, notices, sla, tickets
from tests.support_helpers import open_ticket, staff_actor, staff_user
from tests.support_helpers import outbox as outbox_rows

MSK = ZoneInfo("Europe/Moscow")
S = TicketState


def msk(*args: int) -> datetime:
    return datetime(*args, tzinfo=MSK)


def test_due_times_skip_the_weekend(db_session, customer):
    with time_machine.travel(msk(2026, 11, 20, 17, 0), tick=False):  # Friday 17:00
        ticket = open_ticket(db_session, customer)
    # normal priority: first response in 4 working hours, resolution in 18
    assert ticket.first_response_due_at == msk(2026, 11, 23, 12, 0)
    assert ticket.resolution_due_at == msk(2026, 11, 24, 17, 0)  # 1 h on Friday, 9 h on Monday, 8 h on Tuesday
    assert ticket.sla_due_at == ticket.first_response_due_at
    assert ticket.sla_warning_at == msk(2026, 11, 23, 11, 0)


def test_due_times_skip_a_public_holiday_and_the_short_day_before_it(db_session, customer):
    with time_machine.travel(msk(2026, 11, 3, 15, 0), tick=False):  # Tuesday before Unity Day, ends at 17:00
        ticket = open_ticket(db_session, customer, topic="defect")  # high: 2 h to answer, 9 h to resolve
    assert ticket.priority == TicketPriority.high
    assert ticket.first_response_due_at == msk(2026, 11, 3, 17, 0)
    assert ticket.resolution_due_at == msk(2026, 11, 5, 16, 0)  # 2 h on the 3rd, none on the 4th, 7 h on the 5th


def test_the_resolution_clock_stops_while_waiting_for_the_customer(app, db_session, customer):
    with time_machine.travel(msk(2026, 11, 23, 9, 0), tick=False):  # Monday
        ticket = open_ticket(db_session, customer)
        actor = staff_actor(app, db_session)
    assert ticket.resolution_due_at == msk(2026, 11, 24, 18, 0)
    with time_machine.travel(msk(2026, 11, 23, 10, 0), tick=False):
        tickets.staff_reply(db_session, ticket, actor=actor, body="Пришлите, пожалуйста, макет")
        db_session.commit()
    assert ticket.sla_due_at is None  # answered, and the resolution clock is paused
    assert sla.resolution_clock(ticket, msk(2026, 11, 30, 9, 0)).state == "paused"
    with time_machine.travel(msk(2026, 11, 24, 12, 0), tick=False):  # 11 working hours later
        tickets.customer_reply(db_session, ticket, customer=customer, body="Вот макет")
        db_session.commit()
    assert ticket.paused_seconds == 11 * 3600
    assert ticket.resolution_due_at == msk(2026, 11, 26, 11, 0)
    assert ticket.sla_due_at == ticket.resolution_due_at


def test_clocks_say_met_breached_and_soon(app, db_session, customer):
    with time_machine.travel(msk(2026, 11, 23, 9, 0), tick=False):
        ticket = open_ticket(db_session, customer)
        actor = staff_actor(app, db_session)
    assert sla.first_response_clock(ticket, msk(2026, 11, 23, 10, 0)).state == "running"
    assert sla.first_response_clock(ticket, msk(2026, 11, 23, 12, 30)).state == "soon"
    late = sla.first_response_clock(ticket, msk(2026, 11, 23, 13, 1))
    assert late.state == "breached" and late.label == "просрочен"
    with time_machine.travel(msk(2026, 11, 23, 12, 59), tick=False):
        tickets.staff_reply(db_session, ticket, actor=actor, body="Отвечаем", then="in_progress")
    clock = sla.first_response_clock(ticket, msk(2026, 12, 1, 9, 0))
    assert clock.state == "met" and clock.met


@pytest.fixture
def lead(app, monkeypatch):
    monkeypatch.setitem(app.config, "SUPPORT_LEAD_EMAIL", "Lead@PechatnyDvor.ru")
    return "lead@pechatnydvor.ru"


def test_breach_alerts_go_to_the_assignee_and_the_lead_once(app, db_session, customer, lead, smtp_server):
    with time_machine.travel(msk(2026, 11, 23, 9, 0), tick=False):
        ticket = open_ticket(db_session, customer)
        assignee = staff_user(app, db_session, "Support", email="ivanova@pechatnydvor.ru")
        tickets.assign(db_session, ticket, assignee.id, actor=staff_actor(app, db_session, "Manager"))
        db_session.commit()
    with time_machine.travel(msk(2026, 11, 23, 12, 59), tick=False):
        assert alerts.queue_breach_alerts(db_session).queued == 0  # not due yet
    with time_machine.travel(msk(2026, 11, 23, 13, 5), tick=False):
        report = alerts.queue_breach_alerts(db_session)
        db_session.commit()
        assert (report.tickets, report.queued) == (1, 2)
        assert alerts.queue_breach_alerts(db_session).queued == 0  # once per ticket, target and due time
        db_session.commit()
        outbox.deliver_due(db_session)
    rows = outbox_rows(db_session, notices.TICKET_SLA_ALERT)
    assert sorted(r.recipient for r in rows) == [assignee.email, lead]
    assert all(r.state == DeliveryState.sent for r in rows)
    message = smtp_server.messages[0]
    assert message["Subject"] == f"Просрочен срок первого ответа: обращение № {ticket.id}"
    assert f"/admin/ticketview/show/{ticket.id}" in smtp_server.mailbox.body(message)


def test_a_due_time_moved_by_a_new_priority_alerts_again(app, db_session, customer, lead):
    with time_machine.travel(msk(2026, 11, 23, 9, 0), tick=False):
        ticket = open_ticket(db_session, customer, topic="other")
        manager = staff_actor(app, db_session, "Manager")
    with time_machine.travel(msk(2026, 11, 23, 13, 30), tick=False):
        assert alerts.queue_breach_alerts(db_session).queued == 1  # the lead only: nobody assigned
        tickets.update_details(db_session, ticket, actor=manager, priority="low")  # 8 h: due again later
        db_session.commit()
        assert alerts.queue_breach_alerts(db_session).queued == 0
    with time_machine.travel(msk(2026, 11, 23, 17, 30), tick=False):
        assert alerts.queue_breach_alerts(db_session).queued == 1


def test_without_a_lead_setting_the_managers_are_alerted(app, db_session, customer):
    manager = staff_user(app, db_session, "Manager", email="boss@pechatnydvor.ru")
    staff_user(app, db_session, "Operator")
    assert alerts.lead_emails(db_session) == [manager.email]


def test_auto_close_waiting_tickets_with_a_notice_and_resolved_ones_quietly(app, db_session, customer, smtp_server):
    actor = staff_actor(app, db_session)
    waiting = open_ticket(db_session, customer, subject="Ждём макет")
    resolved = open_ticket(db_session, customer, subject="Уже решено")
    working = open_ticket(db_session, customer, subject="В работе")
    tickets.staff_reply(db_session, waiting, actor=actor, body="Пришлите макет")
    tickets.staff_reply(db_session, resolved, actor=actor, body="Готово", then="resolved")
    tickets.staff_reply(db_session, working, actor=actor, body="Смотрим", then="in_progress")
    db_session.commit()
    outbox.deliver_due(db_session)
    smtp_server.messages.clear()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=6)):
        assert str(tickets.auto_close(db_session)) == "Закрыто без ответа клиента: 0, закрыто решённых: 0"
    with time_machine.travel(datetime.now(UTC) + timedelta(days=7, minutes=1)):
        report = tickets.auto_close(db_session)
        db_session.commit()
        assert (report.waiting, report.resolved) == (1, 1)
        assert tickets.auto_close(db_session).waiting == 0  # idempotent
        outbox.deliver_due(db_session)
    assert (waiting.state, resolved.state, working.state) == (S.closed, S.closed, S.in_progress)
    [message] = smtp_server.messages
    assert message["Subject"] == f"Обращение № {waiting.id} закрыто: Ждём макет"
    body = smtp_server.mailbox.body(message)
    assert "ждали вашего ответа 7 дн." in body and f"/support/{waiting.id}" in body
    assert waiting.history[-1].actor_name == "система (автозакрытие)"
