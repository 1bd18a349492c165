"""Mass status change: the set-based service the back office uses vs a per-order loop, same run.

Builds 3×N orders (default N = 10,000) on the configured database (DATABASE_URL), a scratch PostgreSQL
database (--scratch-postgres ADMIN_URL: created and dropped) or a scratch SQLite file, then moves each third
«Принят» → «В печати»:
  * set-based: app.services.orders.batches.change_status (history and notifications included, one transaction);
  * fair loop (the baseline): load each order and call lifecycle.change_status, all in ONE transaction;
  * commit per order: the same loop committing after every order (what a naive script does).
Each side must write the same rows: every order moved, one history entry and the same outbox messages each
(compared field by field, batch id aside). Goal: ≤ 1.5 s for 10,000 orders on PostgreSQL, ≥ 30× the fair loop.

--by-filter: the back office's «выбрать все N заказов по фильтру» instead: N orders (e.g. 100,000) moved by
the filter's SELECT (batches.change_status(matching=…)), then the undo of that batch; no naive loop.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from app.services.orders import batches, lifecycle  # noqa: E402
from bench.support import bench_staff, build_orders, make_app, scratch_database  # noqa: E402


def written_rows(session, ids: list[int], since_history: int, since_message: int) -> Counter:  # noqa: ANN001
    """What the run wrote for these orders, each order's rows as one shape (ids, numbers, batch aside)."""
    from app.models import Notification, Order, OrderHistory

    shapes: dict[int, list] = {i: [] for i in ids}
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        for row in session.execute(
            sa.select(
                OrderHistory.order_id,
                OrderHistory.field,
                OrderHistory.old_value,
                OrderHistory.new_value,
                OrderHistory.comment,
                OrderHistory.actor_name,
                OrderHistory.actor_kind,
            ).where(OrderHistory.order_id.in_(chunk), OrderHistory.id > since_history)
        ):
            shapes[row.order_id].append(("history", *row[1:]))
        for row in session.execute(
            sa.select(
                Notification.order_id,
                Notification.channel,
                Notification.event,
                Notification.recipient == Order.contact_email,
                Notification.payload,
                Notification.state,
            )
            .join(Order, Order.id == Notification.order_id)
            .where(Notification.order_id.in_(chunk), Notification.id > since_message)
        ):
            payload = dict(row.payload)
            payload.pop("number", None)
            shapes[row.order_id].append(("message", row[1], row[2], row[3], tuple(sorted(payload.items())), row[5]))
        for order_id, status in session.execute(sa.select(Order.id, Order.status).where(Order.id.in_(chunk))):
            shapes[order_id].append(("status", status))
    return Counter(tuple(sorted(map(str, rows))) for rows in shapes.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=10_000, help="orders per path (default 10,000)")
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--scratch-postgres", metavar="ADMIN_URL", help="create (and drop) a scratch database here")
    parser.add_argument(
        "--loop-orders", type=int, help="time the loops on this many orders only and scale them up to --orders"
    )
    parser.add_argument("--by-filter", action="store_true", help="time the change by a filter and its undo")
    args = parser.parse_args()
    if args.by_filter:
        by_filter(args)
        return

    from app.extensions import db
    from app.models import ActorKind, Notification, OrderHistory, OrderStatus
    from app.services.actors import Actor

    n = args.orders
    with scratch_database(args.database_url, args.scratch_postgres) as (url, where):
        app = make_app(url)
        with app.app_context():
            session = db.session
            started = time.perf_counter()
            staff_id = bench_staff(session)
            fast_ids = build_orders(session, n)
            fair_ids = build_orders(session, args.loop_orders or n)
            naive_ids = build_orders(session, args.loop_orders or n)
            session.commit()
            print(f"database: {where}")
            built = len(fast_ids) + len(fair_ids) + len(naive_ids)
            print(f"built {built:,} orders in {time.perf_counter() - started:.1f} s")
            actor = Actor(ActorKind.staff, "Замеров Бен", staff_id=staff_id)
            last_history = session.scalar(sa.select(sa.func.max(OrderHistory.id))) or 0
            last_message = session.scalar(sa.select(sa.func.max(Notification.id))) or 0
            session.remove()

            db.session.execute(sa.select(1))  # the connection is open before the clock starts, as in a view
            started = time.perf_counter()
            report = batches.change_status(
                db.session, order_ids=fast_ids, target=OrderStatus.in_production, actor=actor, comment="замер"
            )
            db.session.commit()
            fast = time.perf_counter() - started
            assert len(report.changed) == n, report.summary(3)
            db.session.remove()

            from app.models import Order

            started = time.perf_counter()
            for order_id in fair_ids:
                order = db.session.get(Order, order_id)
                lifecycle.change_status(db.session, order, OrderStatus.in_production, actor=actor, comment="замер")
            db.session.commit()
            fair = (time.perf_counter() - started) * n / len(fair_ids)
            db.session.remove()

            started = time.perf_counter()
            for order_id in naive_ids:
                order = db.session.get(Order, order_id)
                lifecycle.change_status(db.session, order, OrderStatus.in_production, actor=actor, comment="замер")
                db.session.commit()
            naive = (time.perf_counter() - started) * n / len(naive_ids)
            db.session.remove()

            shapes = {
                name: written_rows(db.session, ids, last_history, last_message)
                for name, ids in (("set-based", fast_ids), ("fair loop", fair_ids), ("commit per order", naive_ids))
            }
            kinds = {name: set(found) for name, found in shapes.items()}
            assert len(kinds["set-based"]) == 1, f"orders of one kind got different rows: {kinds['set-based']}"
            assert kinds["set-based"] == kinds["fair loop"] == kinds["commit per order"], kinds
            (shape,) = kinds["set-based"]
            db.session.remove()
        with app.app_context():
            db.engine.dispose()

    note = "" if not args.loop_orders else f" (measured on {args.loop_orders:,}, scaled)"
    print(f"mass status, set-based service : {n:,} orders in {fast:6.2f} s ({n / fast:,.0f} orders/s)")
    print(f"fair loop, one transaction     : {n:,} orders in {fair:6.2f} s ({n / fair:,.0f} orders/s){note}")
    print(f"loop committing every order    : {n:,} orders in {naive:6.2f} s ({n / naive:,.0f} orders/s){note}")
    print(f"ratio to the fair loop         : {fair / fast:.1f}× faster (goal ≥ 30×; ≤ 1.5 s)")
    print(f"ratio to commit per order      : {naive / fast:.1f}× faster")
    print(f"same rows on every side: each order {len(shape)} rows: " + "; ".join(shape))


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
