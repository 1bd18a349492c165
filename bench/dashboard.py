"""The dashboard's widgets on generated data: the rollup queries against a naive baseline, same run, same data.

Builds N orders with the bulk generator (app.seed.bulk: priced, played through the state machine, their
journal posted — the rollups follow by trigger) on a scratch PostgreSQL database (--scratch-postgres
ADMIN_URL: created and dropped), the configured DATABASE_URL, or a scratch SQLite file. Then, for «a year
grouped by day» and «all time grouped by month», times each widget of app/reports/dashboard.py (p50 of
--repeat runs) and a naive baseline that loads the journal rows of the period through the ORM and sums them
in Python (one run: it is slow), checks both give the same revenue, and prints p50 ms, baseline ms and the
ratio. Last, the whole page (/admin/dashboard/, every widget, as a Manager) through the WSGI app.
Goal (issue 15): every widget ≤ 50 ms p50 on PostgreSQL, ≥ 50× the baseline; the page ≤ 300 ms.

    python bench/dashboard.py --scratch-postgres postgresql://postgres@127.0.0.1:5432/postgres --orders 100000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from bench.support import scratch_database  # noqa: E402


def _ms(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def _naive(session, period, grouping):  # noqa: ANN001, ANN201
    """What a dashboard without rollups would do: every sale-side entry of the period through the ORM (with
    its order, for the promo code), summed in Python per bucket, product, buyer and promo code."""
    from app.models import BuyerFirstSale, JournalEntry, JournalKind, Order
    from app.reports import dashboard as report

    rows = session.execute(
        sa.select(JournalEntry, Order.promo_code_id)
        .join(Order, Order.id == JournalEntry.order_id)
        .where(
            JournalEntry.kind.in_((JournalKind.sale, JournalKind.sale_return)),
            JournalEntry.day >= period.start,
            JournalEntry.day <= period.end,
        )
    ).all()
    by_bucket: dict = defaultdict(Decimal)
    by_product: dict = defaultdict(Decimal)
    by_promo: dict = defaultdict(Decimal)
    buyers = set()
    for entry, promo in rows:
        by_bucket[report.bucket_start(entry.day, grouping)] += entry.amount
        by_product[entry.product_id] += entry.amount
        if promo:
            by_promo[promo] += entry.discount
        if entry.kind == JournalKind.sale:
            buyers.add(f"c{entry.company_id}" if entry.company_id else f"p{entry.customer_id}")
    first = session.scalars(sa.select(BuyerFirstSale.first_day)).all()
    new = sum(1 for day in first if period.start <= day <= period.end)
    session.expunge_all()
    return sum(by_bucket.values(), Decimal("0.00")), len(buyers), new, len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000, help="orders to generate (default 100,000)")
    parser.add_argument("--customers", type=int, default=0, help="customers (default: orders / 12)")
    parser.add_argument("--days", type=int, default=1095, help="days the orders span, ending today (default 3 years)")
    parser.add_argument("--repeat", type=int, default=11, help="runs per widget for the p50 (default 11)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument(
        "--existing", action="store_true", help="time the data already in --database-url (e.g. 1M bulk orders)"
    )
    parser.add_argument("--scratch-postgres", metavar="ADMIN_URL", help="create (and drop) a scratch database here")
    args = parser.parse_args()

    with scratch_database(args.database_url, args.scratch_postgres) as (url, where):
        app = _make_wsgi_app(url)
        with app.app_context():
            _run(app, args, where)


def _make_wsgi_app(url: str):  # noqa: ANN202
    import logging
    import tempfile

    from flask_migrate import upgrade

    from app import create_wsgi_app

    tmp = tempfile.mkdtemp(prefix="printshop-bench-instance-")
    app = create_wsgi_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_DIR": tmp,
            "UPLOAD_DIR": f"{tmp}/uploads",
            "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False,
        },
        profile="development",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        upgrade()
    return app


def _run(app, args, where: str) -> None:  # noqa: ANN001
    from app.extensions import db
    from app.models import (
        BuyerDay,
        BuyerSaleDay,
        JournalEntry,
        Order,
        OrdersPlacedCategoryDay,
        OrdersPlacedDay,
        SalesDay,
    )
    from app.reports import dashboard as report
    from app.reports import metrics
    from app.reports.metrics import Period
    from app.seed import bulk
    from app.services.shoptime import shop_today

    session = db.session
    started = time.perf_counter()
    if args.existing:
        summary = "данные базы как есть (--existing)"
    else:
        summary = bulk.generate(
            session,
            customers=args.customers or max(args.orders // 12, 10),
            orders=args.orders,
            days=args.days,
            seed=15,
        )
    built = time.perf_counter() - started
    if session.get_bind().dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    count = {m.__tablename__: session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (
        Order, JournalEntry, SalesDay, OrdersPlacedDay, OrdersPlacedCategoryDay, BuyerDay, BuyerSaleDay)}  # fmt: skip
    print(f"database: {where}")
    print(f"generated in {built:.0f} s: {summary}")
    print("rows: " + ", ".join(f"{table} {n:,}".replace(",", " ") for table, n in count.items()))

    # The busiest category: the filtered widgets read the per-category rollups.
    category = session.scalar(
        sa.select(SalesDay.category_id).where(SalesDay.category_id != 0).group_by(SalesDay.category_id)
        .order_by(sa.func.count().desc()).limit(1)
    )  # fmt: skip
    by_category = report.Filters(category_id=category)
    today = shop_today()
    first_day = session.scalar(sa.select(sa.func.min(JournalEntry.day))) or today
    scenarios = [
        ("год по дням", Period(today - timedelta(days=364), today), "day"),
        ("всё время по месяцам", Period(first_day, today), "month"),
    ]
    print(f"\n{'сценарий / блок':42} {'p50, мс':>9} {'наивно, мс':>11} {'во сколько':>11}")
    for title, period, grouping in scenarios:
        naive_ms, naive = _ms(lambda p=period, g=grouping: _naive(session, p, g), 1)
        revenue, buyers, new, rows = naive  # type: ignore[misc]
        widgets = {
            "Выручка и заказы": lambda p=period, g=grouping: report.revenue_widget(session, p, g),
            "Топ товаров и категорий": lambda p=period: report.top_widget(session, p),
            "Клиенты": lambda p=period: report.customers_widget(session, p),
            "Промокоды": lambda p=period: report.promo_widget(session, p),
            "Выручка и заказы, одна категория": lambda p=period, g=grouping: report.revenue_widget(
                session, p, g, by_category
            ),
            "Клиенты, одна категория": lambda p=period: report.customers_widget(session, p, by_category),
        }
        print(f"{title} ({period.label}, записей журнала: {rows:,})".replace(",", " "))
        for name, run in widgets.items():
            p50, result = _ms(run, args.repeat)
            print(f"  {name:40} {p50:9.1f} {naive_ms:11.0f} {naive_ms / p50:10.0f}×")
        widget = report.revenue_widget(session, period, grouping)
        customers = report.customers_widget(session, period)
        assert widget.total.revenue == revenue == metrics.sales(session, period).revenue, (widget.total, revenue)
        assert (customers.active, customers.new) == (buyers, new), (customers, buyers, new)
        session.remove()

    client = _manager_client(app)
    for title, query in (("страница: год", "preset=year"), ("страница: всё время по месяцам", "preset=custom&start="
                          f"{first_day.isoformat()}&end={today.isoformat()}&grouping=month")):  # fmt: skip
        p50, response = _ms(lambda q=query: client.get(f"/admin/dashboard/?{q}"), max(3, args.repeat // 2))
        assert response.status_code == 200, response.status_code  # type: ignore[attr-defined]
        print(f"  {title:40} {p50:9.1f}")


def _manager_client(app):  # noqa: ANN001, ANN202
    from app.extensions import db
    from app.services import staff

    admin = app.extensions["admin_app"]
    with admin.app_context():
        try:
            staff.create_staff(email="bench-manager@pechatnydvor.ru", role="Manager", password="bench-password-1")
            db.session.commit()
        except Exception:  # a previous run on this database made it
            db.session.rollback()
        db.session.remove()
    client = app.test_client()
    response = client.post(
        "/admin/login/", data={"username": "bench-manager@pechatnydvor.ru", "password": "bench-password-1"}
    )
    assert response.status_code == 302, response.status_code
    return client


if __name__ == "__main__":
    main()
