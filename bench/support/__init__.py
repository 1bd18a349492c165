"""Benchmark support: a scratch database (SQLite, or PostgreSQL created and dropped), the app on it, and
orders built fast with bulk INSERTs (customers, orders, one line each, their "created" history)."""

from __future__ import annotations

import logging
import os
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def scratch_database(database_url: str | None, scratch_postgres: str | None) -> Iterator[tuple[str, str]]:
    """(url, description): a new PostgreSQL database dropped afterwards, the given URL, or a temporary SQLite file."""
    if scratch_postgres:
        import psycopg

        name = f"printshop_bench_{os.getpid()}_{secrets.token_hex(3)}"
        with psycopg.connect(scratch_postgres, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = sa.engine.make_url(scratch_postgres).set(drivername="postgresql+psycopg", database=name)
        try:
            yield url.render_as_string(hide_password=False), f"PostgreSQL (scratch database {name})"
        finally:
            with psycopg.connect(scratch_postgres, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    if database_url:
        yield database_url, f"{sa.engine.make_url(database_url).get_backend_name()} (DATABASE_URL)"
        return
    with tempfile.TemporaryDirectory(prefix="printshop-bench-") as tmp:
        yield f"sqlite:///{tmp}/bench.db", "SQLite (scratch file)"


def make_app(url: str):  # noqa: ANN201
    """The storefront app on `url`, its schema migrated to the head."""
    from flask_migrate import upgrade

    from app import create_shop_app

    tmp = tempfile.mkdtemp(prefix="printshop-bench-instance-")
    app = create_shop_app(
        {"SQLALCHEMY_DATABASE_URI": url, "INSTANCE_DIR": tmp, "UPLOAD_DIR": f"{tmp}/uploads"}, profile="development"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
    return app


def bench_staff(session) -> int:  # noqa: ANN001
    """A back-office user to act as (inserted directly: no roles needed to call services)."""
    from flask_appbuilder.security.sqla.models import User

    token = secrets.token_hex(3)
    return session.execute(
        sa.insert(User)
        .values(
            first_name="Бен",
            last_name="Замеров",
            username=f"bench-{token}",
            email=f"bench-{token}@example.ru",
            active=True,
        )
        .returning(User.id)
    ).scalar_one()


def build_orders(session, count: int, *, status: str = "confirmed") -> list[int]:  # noqa: ANN001
    """`count` orders (one line each, "created" history) in `status`, with bulk INSERTs; their ids."""
    from app.models import ActorKind, Customer, Order, OrderLine
    from app.services.actors import Actor
    from app.services.orders.history import entry_row, record_many
    from app.services.shoptime import now

    token = secrets.token_hex(2)
    moment = now()
    customer_rows = [
        {
            "email": f"bench-{token}-{i}@example.ru",
            "fs_uniquifier": uuid.uuid4().hex,
            "full_name": f"Покупатель Замеров {i}",
            "phone": f"+7999{i:07d}",
            "active": True,
            "created_at": moment - timedelta(days=30),
        }
        for i in range(count // 10 + 1)
    ]
    customer_ids = (
        session.execute(sa.insert(Customer).returning(Customer.id, sort_by_parameter_order=True), customer_rows)
        .scalars()
        .all()
    )
    price, vat = Decimal("790.00"), Decimal("142.46")  # 22 % VAT included
    order_rows = []
    for i in range(count):
        courier = i % 3 == 0
        order_rows.append(
            {
                "number": f"B{token}-{i:06d}",
                "customer_id": customer_ids[i % len(customer_ids)],
                "status": status,
                "payment_status": "unpaid",
                "payment_method": "on_receipt",
                "delivery_method": "courier" if courier else "pickup",
                "contact_name": f"Покупатель Замеров {i}",
                "contact_email": f"bench-{token}-{i}@example.ru",
                "contact_phone": "+79990001122",
                "delivery_address": "Москва, ул. Тверская, д. 7" if courier else "",
                "comment": "",
                "goods_total": price,
                "discount_total": Decimal("0.00"),
                "total": price,
                "vat_total": vat,
                "points_paid": Decimal("0.00"),
                "amount_due": price,
                "created_at": moment - timedelta(days=1),
                "updated_at": moment,
                "confirmed_at": moment if status != "new" else None,
            }
        )
    order_ids = (
        session.execute(sa.insert(Order).returning(Order.id, sort_by_parameter_order=True), order_rows).scalars().all()
    )
    line_rows = [
        {
            "order_id": order_id,
            "position": 1,
            "kind": "product",
            "product_name": "Визитки стандартные",
            "options": [{"group": "Бумага", "value": "Мелованная 300 г/м²"}],
            "quantity": 100,
            "unit_price": Decimal("7.90"),
            "gross_amount": price,
            "discount": Decimal("0.00"),
            "total": price,
            "vat_rate": Decimal("22"),
            "vat_amount": vat,
            "net_amount": price - vat,
        }
        for order_id in order_ids
    ]
    session.execute(sa.insert(OrderLine), line_rows)
    record_many(
        session,
        [
            entry_row(order_id, Actor(ActorKind.customer, "Покупатель Замеров"), "created", None, "new", moment=moment)
            for order_id in order_ids
        ],
    )
    session.commit()
    return list(order_ids)
