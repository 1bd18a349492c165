"""`flask` commands: demo and bulk data, staff accounts. Each is a thin call into a service."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.extensions import db

seed_cli = AppGroup("seed", help="Load demo or bulk data.")
staff_cli = AppGroup("staff", help="Back-office staff accounts and roles.")


@seed_cli.command("demo")
def seed_demo() -> None:
    """Catalog, VAT rates, promo codes, a few customers and orders, one staff user per role (idempotent)."""
    from app.services import demo_data

    report = demo_data.load_demo(db.session)
    db.session.commit()
    click.echo(report)


@seed_cli.command("bulk")
@click.option("--customers", type=click.IntRange(min=1), default=1000, show_default=True)
@click.option("--orders", "orders_count", type=click.IntRange(min=0), default=10000, show_default=True)
@click.option("--days", type=click.IntRange(min=1, max=3650), default=730, show_default=True)
@click.option("--seed", "random_seed", type=int, default=1, show_default=True, help="Random seed (repeatable data).")
def seed_bulk(customers: int, orders_count: int, days: int, random_seed: int) -> None:
    """Many customers and orders over `days` days, inserted in bulk (for benchmarks and reports)."""
    from app.services import bulk_data

    result = bulk_data.generate(db.session, customers=customers, orders=orders_count, days=days, seed=random_seed)
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


def register_commands(app: Flask) -> None:
    app.cli.add_command(seed_cli)
    app.cli.add_command(staff_cli)
