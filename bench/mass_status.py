"""Mass status change: the set-based service the back office uses vs a naive per-order loop, same run.

Builds 2×N orders (default N = 10,000) on the configured database (DATABASE_URL), a scratch PostgreSQL
database (--scratch-postgres ADMIN_URL: created and dropped) or a scratch SQLite file, then moves N of
them «Принят» → «В печати» with app.services.orders.batches.change_status (history and notifications
included, one transaction), and the other N one by one (load, orders.change_status, commit).
Goal: ≤ 2 s for 10,000 orders on PostgreSQL and ≥ 10× faster than the loop.

--by-filter: the back office's «выбрать все N заказов по фильтру» instead: N orders (e.g. 100,000) moved by
the filter's SELECT (batches.change_status(matching=…)), then the undo of that batch; no naive loop.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from app.services.orders import batches, lifecycle
from bench.support import bench_staff, build_orders, make_app, scratch_database  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000, help="orders per path (default 10,000)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--scratch-postgres", metavar="ADMIN_URL", help="create (and drop) a scratch database here")
    parser.add_argument(
        "--naive-orders", type=int, help="time the naive loop on this many orders only and scale it up to --orders"
    )
    parser.add_argument("--by-filter", action="store_true", help="time the change by a filter and its undo")
    args = parser.parse_args()
    if args.by_filter:
        by_filter(args)
        return

    from app.extensions import db
    from app.models import ActorKind, Notification, Order, OrderHistory, OrderStatus
    from app.services.actors import Actor

    with scratch_database(args.database_url, args.scratch_postgres) as (url, where):
        app = make_app(url)
        with app.app_context():
            session = db.session
            started = time.perf_counter()
            staff_id = bench_staff(session)
            fast_ids = build_orders(session, args.orders)
            naive_ids = build_orders(session, args.naive_orders or args.orders)
            print(f"database: {where}")
            print(f"built {len(fast_ids) + len(naive_ids):,} orders in {time.perf_counter() - started:.1f} s")
            actor = Actor(ActorKind.staff, "Замеров Бен", staff_id=staff_id)
            history_before = session.scalar(sa.select(sa.func.count()).select_from(OrderHistory))
            messages_before = session.scalar(sa.select(sa.func.count()).select_from(Notification))

            started = time.perf_counter()
            report = batches.change_status(
                session, order_ids=fast_ids, target=OrderStatus.in_production, actor=actor, comment="замер"
            )
            session.commit()
            fast = time.perf_counter() - started
            moved = session.scalar(
                sa.select(sa.func.count()).where(Order.id.in_(fast_ids), Order.status == OrderStatus.in_production)
            )
            history = session.scalar(sa.select(sa.func.count()).select_from(OrderHistory)) - history_before
            messages = session.scalar(sa.select(sa.func.count()).select_from(Notification)) - messages_before
            assert len(report.changed) == moved == history == messages == len(fast_ids), (moved, history, messages)
            session.remove()

            started = time.perf_counter()
            for order_id in naive_ids:
                order = db.session.get(Order, order_id)
                lifecycle.change_status(db.session, order, OrderStatus.in_production, actor=actor, comment="замер")
                db.session.commit()
            naive = time.perf_counter() - started
            scaled = naive * args.orders / len(naive_ids)

        with app.app_context():
            db.engine.dispose()

    n = args.orders
    print(f"mass status, set-based service : {n:,} orders in {fast:6.2f} s ({n / fast:,.0f} orders/s)")
    note = "" if len(naive_ids) == n else f" (measured on {len(naive_ids):,}, scaled)"
    print(f"naive loop, commit per order   : {n:,} orders in {scaled:6.2f} s ({n / scaled:,.0f} orders/s){note}")
    print(f"ratio                          : {scaled / fast:.1f}× faster")
    print(f"each changed order: status + history entry + outbox message ({history:,} entries, {messages:,} messages)")


def by_filter(args: argparse.Namespace) -> None:
    from app.extensions import db
    from app.models import ActorKind, Notification, Order, OrderHistory, OrderStatus
    from app.services.actors import Actor

    with scratch_database(args.database_url, args.scratch_postgres) as (url, where):
        app = make_app(url)
        with app.app_context():
            session = db.session
            started = time.perf_counter()
            staff_id = bench_staff(session)
            ids = build_orders(session, args.orders)
            build_orders(session, max(args.orders // 10, 1), status="new")  # orders the filter leaves alone
            print(f"database: {where}")
            print(f"built {len(ids) + max(args.orders // 10, 1):,} orders in {time.perf_counter() - started:.1f} s")
            actor = Actor(ActorKind.staff, "Замеров Бен", staff_id=staff_id)
            messages_before = session.scalar(sa.select(sa.func.count()).select_from(Notification))
            matching = sa.select(Order.id).where(Order.status == OrderStatus.confirmed)

            started = time.perf_counter()
            report = batches.change_status(
                session, matching=matching, target=OrderStatus.in_production, actor=actor, comment="замер"
            )
            session.commit()
            forward = time.perf_counter() - started
            history = session.scalar(
                sa.select(sa.func.count()).select_from(OrderHistory).where(OrderHistory.batch_id == report.batch_id)
            )
            messages = session.scalar(sa.select(sa.func.count()).select_from(Notification)) - messages_before
            assert len(report.changed) == history == messages == len(ids), (len(report.changed), history, messages)

            started = time.perf_counter()
            undone = batches.undo(session, batch_id=report.batch_id, actor=actor)
            session.commit()
            back = time.perf_counter() - started
            left = session.scalar(sa.select(sa.func.count()).where(Order.status == OrderStatus.confirmed))
            assert len(undone.changed) == left == len(ids), (len(undone.changed), left)
            session.remove()
        with app.app_context():
            db.engine.dispose()
    n = len(ids)
    print(f"status by filter  : {n:,} orders in {forward:6.2f} s ({n / forward:,.0f} orders/s)")
    print(f"undo of that batch: {n:,} orders in {back:6.2f} s ({n / back:,.0f} orders/s)")
    print(f"each changed order: status + history entry + outbox message ({history:,} entries, {messages:,} messages)")


if __name__ == "__main__":
    main()
