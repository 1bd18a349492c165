"""Senders at the same time on PostgreSQL: every message is delivered exactly once, locked rows are skipped."""

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Channel, DeliveryState, Notification
from app.services.messaging import notifications, outbox


@pytest.mark.postgres_only
def test_two_concurrent_senders_deliver_each_message_once(app, backend, db_session, smtp_server):
    total = 80
    notifications.queue_many(
        db_session,
        [
            {
                "channel": Channel.email,
                "event": notifications.ORDER_STATUS,
                "recipient": f"buyer{n}@example.ru",
                "payload": {"number": f"2026-{n:06d}", "old": "new", "new": "confirmed"},
            }
            for n in range(total)
        ],
    )
    db_session.commit()
    reports: list[outbox.DeliveryReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sender() -> None:
        with app.app_context():
            try:
                start.wait()
                reports.append(outbox.deliver_due(db.session, batch_size=5))
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    received = Counter(m["To"] for m in smtp_server.messages)
    assert len(received) == total and set(received.values()) == {1}
    assert sum(r.sent for r in reports) == total
    assert all(r.sent > 0 for r in reports), [r.sent for r in reports]  # both really worked
    db_session.expire_all()
    states = db_session.execute(sa.select(Notification.state, Notification.attempts)).all()
    assert set(states) == {(DeliveryState.sent, 1)}


@pytest.mark.postgres_only
def test_a_sender_skips_rows_another_sender_holds_instead_of_waiting(app, backend, db_session):
    """The lock is what a sender holds while it claims: another one takes the next rows at once."""
    notifications.queue_many(
        db_session,
        [
            {"channel": Channel.email, "event": notifications.ORDER_STATUS, "recipient": f"b{n}@example.ru"}
            for n in range(4)
        ],
    )
    db_session.commit()
    first_two = db_session.scalars(sa.select(Notification.id).order_by(Notification.id).limit(2)).all()
    with db.engine.connect() as holder:
        # Another sender in the middle of its claim: the two oldest rows are locked, not yet marked.
        holder.execute(sa.select(Notification.id).where(Notification.id.in_(first_two)).with_for_update())
        # Waiting for those locks would fail after 2 s instead of hanging the test.
        db_session.execute(sa.text("SET LOCAL lock_timeout = '2s'"))
        _, claimed = outbox.claim(db_session, limit=2)
        holder.rollback()
    all_ids = db_session.scalars(sa.select(Notification.id).order_by(Notification.id)).all()
    assert sorted(claimed) == all_ids[2:]
