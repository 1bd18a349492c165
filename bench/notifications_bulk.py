"""Figure: time to queue the notifications of 10,000 order status changes (one settings query, one INSERT).

Runs against DATABASE_URL (migrated), inside one transaction that is rolled back: nothing stays behind.
    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1/printshop python bench/notifications_bulk.py
"""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

from app import create_shop_app  # noqa: E402
from app.extensions import db  # noqa: E402
from app.models import Customer, DeliveryMethod, Order, OrderStatus, PaymentMethod  # noqa: E402
from app.services.messaging import notifications

# noqa: E402

N = 10_000
CUSTOMERS = 2_000


def main() -> None:
    app = create_shop_app()
    with app.app_context():
        session = db.session
        tag = uuid.uuid4().hex[:8]
        session.execute(
            sa.insert(Customer),
            [
                {"email": f"bench-{tag}-{i}@example.ru", "fs_uniquifier": f"{tag}-{i}", "active": True}
                for i in range(CUSTOMERS)
            ],
        )
        ids = session.scalars(sa.select(Customer.id).where(Customer.email.like(f"bench-{tag}-%"))).all()
        session.execute(
            sa.insert(Order),
            [
                {
                    "number": f"B{tag}-{i}",
                    "customer_id": ids[i % len(ids)],
                    "payment_method": PaymentMethod.on_receipt,
                    "delivery_method": DeliveryMethod.pickup,
                    "contact_name": "Покупатель",
                    "contact_email": f"bench-{tag}-{i % len(ids)}@example.ru",
                    "contact_phone": "+79990001122",
                }
                for i in range(N)
            ],
        )
        rows = session.execute(
            sa.select(Order.id, Order.number, Order.customer_id, Order.contact_email).where(
                Order.number.like(f"B{tag}-%")
            )
        ).all()
        changes = [
            notifications.StatusChange(
                oid, num, cid, email, DeliveryMethod.pickup, OrderStatus.new, OrderStatus.confirmed
            )
            for oid, num, cid, email in rows
        ]
        started = time.perf_counter()
        queued = notifications.order_status_changed(session, changes)
        session.flush()
        elapsed = time.perf_counter() - started
        session.rollback()
        print(f"{db.engine.dialect.name}: {queued} notifications for {len(changes)} status changes in {elapsed:.2f} s")


if __name__ == "__main__":
    main()
