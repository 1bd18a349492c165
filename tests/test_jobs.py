"""Jobs: registered with stable ids, runnable by hand as flask commands, one scheduler at a time."""

from apscheduler.schedulers.background import BackgroundScheduler

from app.jobs import register_jobs, scheduler_lock
from app.models import Channel
from app.services import notifications


def test_jobs_are_registered_with_stable_ids(app, monkeypatch):
    scheduler = BackgroundScheduler(timezone="UTC")
    assert register_jobs(scheduler, app) == ["deliver_notifications", "invite_reviews"]
    monkeypatch.setitem(app.config, "TELEGRAM_BOT_TOKEN", "1:x")
    monkeypatch.setitem(app.config, "TELEGRAM_MODE", "polling")
    assert register_jobs(scheduler, app) == ["deliver_notifications", "invite_reviews", "poll_telegram"]
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"deliver_notifications", "invite_reviews", "poll_telegram"}
    assert jobs["invite_reviews"].trigger.interval.total_seconds() == 60 * app.config["REVIEW_INVITE_INTERVAL_MINUTES"]
    assert jobs["deliver_notifications"].trigger.interval.total_seconds() == app.config["NOTIFICATION_SEND_INTERVAL"]
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
