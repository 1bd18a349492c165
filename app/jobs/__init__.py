"""Scheduled jobs (APScheduler 3): each a thin call into a service in an app context, also runnable by hand.

`flask scheduler` runs them in one process; a PostgreSQL advisory lock (a file lock on SQLite) makes
a second scheduler process wait, so no job ever runs twice at once.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from app.extensions import db
from app.services.messaging import outbox, telegram

log = logging.getLogger(__name__)

# pg_advisory_lock key of the scheduler ("printshop" in a bigint).
SCHEDULER_LOCK_KEY = 0x7072696E7473686F


def deliver_notifications(app: Flask) -> str:
    """One pass over the notification outbox."""

    with app.app_context():
        report = outbox.deliver_due(db.session)
        db.session.remove()
    if report.handled:
        log.info("Outbox: %s", report)
    return str(report)


def poll_telegram(app: Flask) -> int:
    """Read the bot's new updates (/start <token>, /stop) when the bot runs in polling mode."""

    with app.app_context():
        try:
            handled = telegram.poll_updates(db.session)
            db.session.commit()
        except telegram.TelegramError as exc:
            db.session.rollback()
            log.warning("Telegram polling failed: %s", exc)
            handled = 0
        finally:
            db.session.remove()
    return handled


def close_stale_tickets(app: Flask) -> str:
    """Close tickets that waited for the customer (with a notice) or stayed resolved for SUPPORT_AUTOCLOSE_DAYS."""
    from app.services.support import tickets

    with app.app_context():
        try:
            report = tickets.auto_close(db.session)
            db.session.commit()
        finally:
            db.session.remove()
    if report.waiting or report.resolved:
        log.info("Support: %s", report)
    return str(report)


def alert_sla_breaches(app: Flask) -> str:
    """Email the assignee and the support lead about tickets past an SLA due time (once per due time)."""
    from app.services.support import alerts

    with app.app_context():
        try:
            report = alerts.queue_breach_alerts(db.session)
            db.session.commit()
        finally:
            db.session.remove()
    if report.queued:
        log.info("Support: %s", report)
    return str(report)


def invite_reviews(app: Flask) -> str:
    """Ask the buyers of orders realised some days ago for a review (once per order)."""
    from app.services.reviews import invitations

    with app.app_context():
        try:
            report = invitations.send_due(db.session)
            db.session.commit()
        finally:
            db.session.remove()
    if report.orders:
        log.info("Review invitations: %s", report)
    return str(report)


def dispatch_closing_documents(app: Flask, month: str | None = None) -> str:
    """Close a month (by default the previous one, shop time zone): every company with realisations gets its
    documents issued and one email with them and the акт сверки. Idempotent: a second run sends nothing."""
    from app.services.actors import Actor
    from app.services.documents import dispatch
    from app.services.shoptime import shop_today

    with app.app_context():
        try:
            first = dispatch.parse_month(month) if month else dispatch.previous_month(shop_today())
            report = dispatch.dispatch_month(db.session, first, actor=Actor.system("закрывающие документы"))
            db.session.commit()
        finally:
            db.session.remove()
    log.info("Closing documents: %s", report.summary())
    return report.summary()


def loyalty_daily(app: Flask) -> str:
    """Bonus points: make pending points available, expire old ones, warn before expiry, recompute tiers."""
    from app.services.loyalty import maturity

    with app.app_context():
        try:
            report = maturity.run_daily(db.session)
            db.session.commit()
        finally:
            db.session.remove()
    log.info("Bonus points: %s", report)
    return str(report)


def reconcile_dashboard(app: Flask) -> str:
    """The dashboard's «сверено с бухгалтерией»: this month and the last compared with every accounting reader."""
    from app.reports import dashboard

    with app.app_context():
        try:
            rows = dashboard.reconcile_recent(db.session, months=2)
            db.session.commit()
        finally:
            db.session.remove()
    text = ", ".join(f"{row.month:%m.%Y} {'сверено' if row.ok else 'расхождение'}" for row in rows)
    log.info("Dashboard reconciliation: %s", text)
    return text


def publish_scheduled_pages(app: Flask) -> str:
    """Publish the page drafts whose publication time has come."""
    from app.services.actors import Actor
    from app.services.content import pages

    with app.app_context():
        try:
            titles = pages.publish_due_drafts(db.session, actor=Actor.system("публикация по расписанию"))
            db.session.commit()
        finally:
            db.session.remove()
    if titles:
        log.info("Pages published on schedule: %s", ", ".join(titles))
    return f"Опубликовано страниц: {len(titles)}" + (f" ({', '.join(titles)})" if titles else "")


def telegram_polling_enabled(app: Flask) -> bool:
    return app.config.get("TELEGRAM_MODE") == "polling" and bool(app.config.get("TELEGRAM_BOT_TOKEN"))


def register_jobs(scheduler, app: Flask) -> list[str]:  # noqa: ANN001 - an APScheduler scheduler
    """Add every job with a stable id; returns the ids."""
    start = datetime.now(UTC)  # aware: a naive start time is silently "missed" by APScheduler 3
    common = {"replace_existing": True, "max_instances": 1, "coalesce": True, "next_run_time": start, "args": [app]}
    scheduler.add_job(
        deliver_notifications,
        "interval",
        seconds=app.config["NOTIFICATION_SEND_INTERVAL"],
        id="deliver_notifications",
        name="Доставка уведомлений",
        **common,
    )
    ids = ["deliver_notifications"]
    support_interval = {"minutes": app.config.get("SUPPORT_JOB_INTERVAL", 10)}
    scheduler.add_job(
        alert_sla_breaches,
        "interval",
        id="support_sla_alerts",
        name="Оповещения о сроках SLA",
        **support_interval,
        **common,
    )
    scheduler.add_job(
        close_stale_tickets,
        "interval",
        id="support_auto_close",
        name="Автозакрытие обращений",
        **support_interval,
        **common,
    )
    ids += ["support_sla_alerts", "support_auto_close"]
    scheduler.add_job(
        invite_reviews,
        "interval",
        minutes=app.config["REVIEW_INVITE_INTERVAL_MINUTES"],
        id="invite_reviews",
        name="Приглашения оставить отзыв",
        **common,
    )
    ids.append("invite_reviews")
    # On the 1st of each month at 06:00 shop time; coalesced, so a scheduler that was down runs it once on start.
    monthly = {k: v for k, v in common.items() if k != "next_run_time"}
    scheduler.add_job(
        dispatch_closing_documents,
        "cron",
        day=1,
        hour=6,
        timezone=app.config.get("SHOP_TIMEZONE", "Europe/Moscow"),
        id="closing_documents_monthly",
        name="Закрывающие документы за месяц",
        misfire_grace_time=None,
        **monthly,
    )
    ids.append("closing_documents_monthly")
    # Nightly in the shop's time zone (and once at start, so a missed night is caught up).
    scheduler.add_job(
        loyalty_daily,
        "cron",
        hour=app.config.get("LOYALTY_JOB_HOUR", 3),
        timezone=app.config.get("SHOP_TIMEZONE", "Europe/Moscow"),
        id="loyalty_daily",
        name="Бонусные баллы: активация, сгорание, уровни",
        **common,
    )
    ids.append("loyalty_daily")
    scheduler.add_job(
        reconcile_dashboard,
        "cron",
        hour=app.config.get("DASHBOARD_RECONCILE_HOUR", 4),
        timezone=app.config.get("SHOP_TIMEZONE", "Europe/Moscow"),
        id="dashboard_reconcile",
        name="Дашборд: сверка с бухгалтерией",
        **common,
    )
    ids.append("dashboard_reconcile")
    scheduler.add_job(
        publish_scheduled_pages,
        "interval",
        seconds=app.config.get("CONTENT_PUBLISH_INTERVAL", 60),
        id="publish_scheduled_pages",
        name="Публикация страниц по расписанию",
        **common,
    )
    ids.append("publish_scheduled_pages")
    if telegram_polling_enabled(app):
        scheduler.add_job(
            poll_telegram,
            "interval",
            seconds=app.config["TELEGRAM_POLL_INTERVAL"],
            id="poll_telegram",
            name="Обновления Telegram-бота",
            **common,
        )
        ids.append("poll_telegram")
    return ids


@contextmanager
def scheduler_lock(app: Flask, *, wait: bool = True) -> Iterator[bool]:
    """Hold the scheduler lock for the block; yields False when `wait` is off and another process holds it."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            if wait:
                conn.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY})
                got = True
            else:
                got = bool(
                    conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": SCHEDULER_LOCK_KEY}).scalar()
                )
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": SCHEDULER_LOCK_KEY})
                    conn.commit()
        return
    path = Path(app.instance_path) / "scheduler.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            got = True
        except BlockingIOError:
            got = False
        try:
            yield got
        finally:
            if got:
                fcntl.flock(handle, fcntl.LOCK_UN)


def run_scheduler(app: Flask) -> None:
    """Run every job until interrupted, as the only scheduler (waits for the lock if another one runs)."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    log.info("Scheduler: waiting for the scheduler lock")
    with scheduler_lock(app):
        scheduler = BlockingScheduler(timezone=UTC)
        ids = register_jobs(scheduler, app)
        log.info("Scheduler: running %s", ", ".join(ids))
        try:
            scheduler.start()
        except (KeyboardInterrupt, SystemExit):
            scheduler.shutdown(wait=False)
