"""`flask` commands: demo and bulk data, staff, outbox, Telegram, support, scheduler — thin calls into services."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db
from app.seed import bulk as bulk_data
from app.seed import demo as demo_data
from app.services.messaging import outbox, telegram

seed_cli = AppGroup("seed", help="Load demo or bulk data.")
staff_cli = AppGroup("staff", help="Back-office staff accounts and roles.")


@seed_cli.command("demo")
def seed_demo() -> None:
    """Catalog, VAT rates, promo codes, a few customers and orders, one staff user per role (idempotent)."""

    report = demo_data.load_demo(db.session)
    db.session.commit()
    click.echo(report)


class WholeNumber(click.ParamType):
    """An integer, refused with a Russian message."""

    name = "число"

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201
        try:
            return int(value)
        except (TypeError, ValueError):
            self.fail(f"нужно целое число, а не {value!r}.", param, ctx)


@seed_cli.command("bulk")
@click.option("--customers", type=WholeNumber(), default=1000, show_default=True)
@click.option("--orders", "orders_count", type=WholeNumber(), default=10000, show_default=True)
@click.option("--days", type=WholeNumber(), default=730, show_default=True)
@click.option("--seed", "random_seed", type=WholeNumber(), default=1, show_default=True, help="Random seed.")
@click.option(
    "--resume", is_flag=True, help="Continue the last interrupted run with its own parameters (the others are ignored)."
)
def seed_bulk(customers: int, orders_count: int, days: int, random_seed: int, resume: bool) -> None:
    """Many customers and orders over `days` days, inserted in bulk (for benchmarks and reports)."""

    from app.services.errors import DomainError

    def show(done: int, total: int, elapsed: float) -> None:
        click.echo("\r" + bulk_data.progress_line(done, total, elapsed), nl=False, err=True)
        if done >= total:
            click.echo("", err=True)

    try:
        if resume:
            result = bulk_data.resume(db.session, progress=show)
        else:
            result = bulk_data.generate(
                db.session, customers=customers, orders=orders_count, days=days, seed=random_seed, progress=show
            )
    except DomainError as exc:
        db.session.rollback()
        raise click.UsageError(exc.message) from None
    click.echo(result)


@staff_cli.command("create")
@click.option("--email", required=True)
@click.option("--role", required=True, help="Admin, Manager, Operator, Accountant, ContentEditor, Support")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--first-name", default="")
@click.option("--last-name", default="")
def staff_create(email: str, role: str, password: str, first_name: str, last_name: str) -> None:
    """Create a back-office user with one role."""
    from app import admin_app_for
    from app.services import staff
    from app.services.errors import DomainError

    with admin_app_for(current_app).app_context():
        try:
            user = staff.create_staff(
                email=email, role=role, password=password, first_name=first_name, last_name=last_name
            )
        except DomainError as exc:
            raise click.UsageError(exc.message) from None
        click.echo(f"Создан сотрудник {user.email} (роль {role}).")


@staff_cli.command("sync-roles")
def staff_sync_roles() -> None:
    """Create the roles declared in code (FAB_ROLES) in the database, so they can be assigned."""
    from app import admin_app_for
    from app.services import staff

    with admin_app_for(current_app).app_context():
        names = staff.sync_roles()
    click.echo("Роли: " + ", ".join(names))


notifications_cli = AppGroup("notifications", help="The notification outbox.")
support_cli = AppGroup("support", help="Support tickets: auto-close, SLA alerts, the working calendar.")
telegram_cli = AppGroup("telegram", help="The Telegram bot.")


@notifications_cli.command("send")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Handle at most this many messages.")
def notifications_send(limit: int | None) -> None:
    """Deliver the due messages of the outbox once (what the scheduler does every few seconds)."""

    report = outbox.deliver_due(db.session, limit=limit)
    click.echo(str(report))


@telegram_cli.command("poll")
def telegram_poll() -> None:
    """Read the bot's new updates once (polling mode)."""
    from flask import current_app

    from app.jobs import poll_telegram

    click.echo(f"Обработано обновлений: {poll_telegram(current_app._get_current_object())}")


@telegram_cli.command("set-webhook")
@click.option("--url", default=None, help="Defaults to SHOP_BASE_URL/telegram/webhook/<TELEGRAM_WEBHOOK_SECRET>.")
def telegram_set_webhook(url: str | None) -> None:
    """Tell Telegram where to post updates (webhook mode); the secret goes in the path and the header."""
    from flask import current_app

    secret = current_app.config.get("TELEGRAM_WEBHOOK_SECRET")
    if not secret:
        raise click.UsageError("Задайте TELEGRAM_WEBHOOK_SECRET.")
    url = url or f"{current_app.config['SHOP_BASE_URL'].rstrip('/')}/telegram/webhook/{secret}"
    try:
        telegram.set_webhook(url, secret)
    except telegram.TelegramError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Webhook: {url}")


@support_cli.command("auto-close")
def support_auto_close() -> None:
    """Close tickets waiting for the customer (with a notice) or resolved for SUPPORT_AUTOCLOSE_DAYS days."""
    from flask import current_app

    from app.jobs import close_stale_tickets

    click.echo(close_stale_tickets(current_app._get_current_object()))


@support_cli.command("sla-alerts")
def support_sla_alerts() -> None:
    """Queue the emails about tickets past an SLA due time (each due time once)."""
    from flask import current_app

    from app.jobs import alert_sla_breaches

    click.echo(alert_sla_breaches(current_app._get_current_object()))


@support_cli.command("calendar")
@click.argument("year", type=WholeNumber())
def support_calendar(year: int) -> None:
    """Check a year's production calendar: working days and working hours of the shop."""
    from app.services import working_calendar

    try:
        summary = working_calendar.year_summary(year)
    except working_calendar.CalendarError as exc:
        raise click.ClickException(str(exc)) from None
    status = {"approved": "утверждён", "preliminary": "предварительный", "missing": "нет файла: только выходные"}
    click.echo(
        f"{year}: рабочих дней {summary['working_days']}, рабочих часов {summary['working_hours']} "
        f"({status.get(str(summary['status']), summary['status'])})"
    )


reviews_cli = AppGroup("reviews", help="Product reviews.")


@reviews_cli.command("invite")
def reviews_invite() -> None:
    """Queue the invitations to review orders realised `invite_after_days` ago (what the scheduler does hourly)."""
    from flask import current_app

    from app.jobs import invite_reviews

    click.echo(invite_reviews(current_app._get_current_object()))


loyalty_cli = AppGroup("loyalty", help="Bonus points.")


@loyalty_cli.command("daily")
def loyalty_daily_command() -> None:
    """Activate pending points past the return window, expire old points, warn, recompute tiers (nightly job)."""
    from app.jobs import loyalty_daily

    click.echo(loyalty_daily(current_app._get_current_object()))


@loyalty_cli.command("check")
def loyalty_check() -> None:
    """Compare every cached balance with the sum of its ledger entries; fails on any difference."""
    from app.services.loyalty import ledger

    wrong = ledger.check_balances(db.session)
    for customer_id, (cached, sums) in sorted(wrong.items()):
        click.echo(f"customer {customer_id}: cached {cached}, ledger {sums}")
    if wrong:
        raise click.ClickException(f"{len(wrong)} balances differ from the ledger")
    click.echo("balances equal the ledger sums")


content_cli = AppGroup("content", help="Site content.")


@content_cli.command("publish-due")
def content_publish_due() -> None:
    """Publish the page drafts whose publication time has come (what the scheduler does every minute)."""
    from app.jobs import publish_scheduled_pages

    click.echo(publish_scheduled_pages(current_app._get_current_object()))


accounting_cli = AppGroup("accounting", help="The sales journal: backfill and reconciliation.")


@accounting_cli.command("backfill")
def accounting_backfill() -> None:
    """Post the orders the journal has not seen (older orders, bulk data) from their own dates."""
    from app.services.accounting import journal

    report = journal.backfill(db.session)
    db.session.commit()
    click.echo(report.summary())


@accounting_cli.command("reconcile")
@click.option("--from", "start", required=True, help="Первый день периода, ГГГГ-ММ-ДД.")
@click.option("--to", "end", required=True, help="Последний день периода, ГГГГ-ММ-ДД.")
def accounting_reconcile(start: str, end: str) -> None:
    """Revenue and VAT by every reader (metrics, VAT report, profit report, journal in SQL); exit 1 if any
    differ by a kopeck."""
    from app.reports import accounting
    from app.reports.metrics import Period
    from app.services.errors import DomainError
    from app.services.money import format_money

    try:
        period = Period.parse(start, end)
    except DomainError as exc:
        raise click.UsageError(exc.message) from None
    result = accounting.reconcile(db.session, period)
    click.echo(f"Сверка за {period.label}")
    for figure, values in result.figures.items():
        mark = "✓" if figure not in result.differences else "РАСХОЖДЕНИЕ"
        click.echo(f"{figure}: {mark}")
        for reader, value in values.items():
            click.echo(f"  {reader}: {format_money(value)}")
    if not result.ok:
        raise click.exceptions.Exit(1)


documents_cli = AppGroup("documents", help="Closing documents.")


@documents_cli.command("monthly")
@click.option("--month", default=None, help="Месяц, ГГГГ-ММ (по умолчанию — прошлый).")
def documents_monthly(month: str | None) -> None:
    """Issue the month's closing documents of every company with realisations and email them (once).

    Safe beside the scheduler: documents and messages are unique by their source and dedupe keys, so a run
    that races another fails on the key instead of issuing or sending twice."""
    from app.jobs import dispatch_closing_documents
    from app.services.errors import DomainError

    try:
        click.echo(dispatch_closing_documents(current_app._get_current_object(), month))
    except DomainError as exc:
        raise click.UsageError(exc.message) from None


@click.command("scheduler")
def scheduler_command() -> None:
    """Run the scheduled jobs (outbox delivery, review invitations, Telegram polling) until stopped; one at a time."""
    from flask import current_app

    from app.jobs import run_scheduler

    run_scheduler(current_app._get_current_object())


dashboard_cli = AppGroup("dashboard", help="The back office's dashboard.")


@dashboard_cli.command("reconcile")
@click.option("--months", type=click.IntRange(min=1, max=240), default=2, show_default=True)
def dashboard_reconcile(months: int) -> None:
    """Reconcile the last MONTHS calendar months (this one included): accounting, journal and the dashboard's
    rollup; the dashboard shows «сверено с бухгалтерией» per month. Exit 1 on any difference (nightly job)."""
    from app.reports import dashboard

    rows = dashboard.reconcile_recent(db.session, months=months)
    db.session.commit()
    for row in rows:
        click.echo(f"{row.month:%m.%Y}: {'сверено' if row.ok else 'РАСХОЖДЕНИЕ ' + row.differences}")
    if not all(row.ok for row in rows):
        raise click.ClickException("the dashboard differs from the accounting")


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(staff_cli)
    app.cli.add_command(notifications_cli)
    app.cli.add_command(telegram_cli)
    app.cli.add_command(support_cli)
    app.cli.add_command(reviews_cli)
    app.cli.add_command(loyalty_cli)
    app.cli.add_command(scheduler_command)
    app.cli.add_command(accounting_cli)
    app.cli.add_command(dashboard_cli)
    app.cli.add_command(content_cli)
    app.cli.add_command(documents_cli)
