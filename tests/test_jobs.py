"""Jobs: registered with stable ids, runnable by hand as flask commands, one scheduler at a time."""

from datetime import UTC, datetime, timedelta

import time_machine
from apscheduler.schedulers.background import BackgroundScheduler

from app.jobs import register_jobs, scheduler_lock
from app.models import Channel, TicketState
from app.services.messaging import notifications
from app.services.support import notices, tickets
from tests.support_helpers import open_ticket, outbox, staff_actor


def test_jobs_are_registered_with_stable_ids(app, monkeypatch):
    scheduler = BackgroundScheduler(timezone="UTC")
    support = ["support_sla_alerts", "support_auto_close"]
    monthly = "closing_documents_monthly"
    daily = ["loyalty_daily", "dashboard_reconcile", "publish_scheduled_pages"]
    assert register_jobs(scheduler, app) == ["deliver_notifications", *support, "invite_reviews", monthly, *daily]
    monkeypatch.setitem(app.config, "TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setitem(app.config, "TELEGRAM_MODE", "polling")
    assert register_jobs(scheduler, app) == [
        "deliver_notifications",
        *support,
        "invite_reviews",
        monthly,
        *daily,
        "poll_telegram",
    ]
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"deliver_notifications", "poll_telegram", "invite_reviews", monthly, *daily, *support}
    assert str(jobs["dashboard_reconcile"].trigger.fields[5]) == "4"  # hour
    assert str(jobs[monthly].trigger) == "cron[day='1', hour='6']"
    assert str(jobs[monthly].trigger.timezone) == "Europe/Moscow"
    assert str(jobs["loyalty_daily"].trigger.fields[5]) == "3"  # hour
    assert jobs["invite_reviews"].trigger.interval.total_seconds() == 60 * app.config["REVIEW_INVITE_INTERVAL_MINUTES"]
    assert jobs["deliver_notifications"].trigger.interval.total_seconds() == app.config["NOTIFICATION_SEND_INTERVAL"]
    assert jobs["support_auto_close"].trigger.interval.total_seconds() == app.config["SUPPORT_JOB_INTERVAL"] * 60
    assert jobs["deliver_notifications"].next_run_time.tzinfo is not None


def test_a_second_scheduler_does_not_get_the_lock(app):
    with scheduler_lock(app, wait=False) as first:
        assert first is True
        with scheduler_lock(app, wait=False) as second:
            assert second is False
    with scheduler_lock(app, wait=False) as again:
        assert again is True


def test_notifications_send_command_delivers_the_outbox(app, db_session, customer, smtp_server):
    notifications.queue(
        db_session,
        channel=Channel.email,
        event=notifications.ORDER_STATUS,
        recipient=customer.email,
        payload={"number": "2026-000001", "old": "new", "new": "confirmed"},
    )
    db_session.commit()
    result = app.test_cli_runner().invoke(args=["notifications", "send"])
    assert result.exit_code == 0, result.output
    assert "Доставлено: 1" in result.output
    assert [m["To"] for m in smtp_server.messages] == [customer.email]


def test_support_commands_close_stale_tickets_and_queue_sla_alerts(app, db_session, customer, monkeypatch):
    monkeypatch.setitem(app.config, "SUPPORT_LEAD_EMAIL", "lead@pechatnydvor.ru")
    ticket = open_ticket(db_session, customer)
    runner = app.test_cli_runner()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=3)):
        result = runner.invoke(args=["support", "sla-alerts"])
        assert result.exit_code == 0, result.output
        assert "Просроченных обращений: 1, новых оповещений: 2" in result.output  # first response and resolution
        assert runner.invoke(args=["support", "sla-alerts"]).output.strip().endswith("новых оповещений: 0")
    assert [r.recipient for r in outbox(db_session, notices.TICKET_SLA_ALERT)] == ["lead@pechatnydvor.ru"] * 2
    tickets.staff_reply(db_session, ticket, actor=staff_actor(app, db_session), body="Ждём макет")
    db_session.commit()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=8)):
        result = runner.invoke(args=["support", "auto-close"])
    assert result.exit_code == 0 and "Закрыто без ответа клиента: 1" in result.output
    db_session.expire_all()
    assert ticket.state == TicketState.closed


def test_support_calendar_command_checks_a_year(app):
    result = app.test_cli_runner().invoke(args=["support", "calendar", "2026"])
    assert result.exit_code == 0, result.output
    assert "2026: рабочих дней 247" in result.output and "утверждён" in result.output
    assert "предварительный" in app.test_cli_runner().invoke(args=["support", "calendar", "2027"]).output
