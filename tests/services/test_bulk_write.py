"""Many rows in one go (COPY on PostgreSQL): values read back as an INSERT would store them, in the transaction."""

from datetime import UTC, datetime

import sqlalchemy as sa

from app.models import Channel, DeliveryState, Notification
from app.services.bulk_write import insert_rows

MOMENT = datetime(2026, 11, 26, 9, 30, 15, 123456, tzinfo=UTC)


def message(n: int, **extra) -> dict:
    return {
        "channel": Channel.email if n % 2 else Channel.telegram,
        "event": "order_status",
        "recipient": f"покупатель{n}@example.ru" if n % 2 else "",
        "payload": {"number": f"2026-{n:06d}", "текст": "Готов\tк выдаче\n«вход со двора»", "n": n, "x": None},
        "created_at": MOMENT,
        "next_attempt_at": MOMENT,
    } | extra


def stored(session) -> list[Notification]:
    session.expire_all()
    return session.scalars(sa.select(Notification).order_by(Notification.id)).all()


def test_rows_read_back_as_given_with_constant_defaults_filled(db_session):
    assert insert_rows(db_session, Notification.__table__, [message(n) for n in range(1, 301)]) == 300
    db_session.commit()
    rows = stored(db_session)
    assert len(rows) == 300
    first, second = rows[0], rows[1]
    assert (first.channel, first.recipient, second.channel, second.recipient) == (
        Channel.email,
        "покупатель1@example.ru",
        Channel.telegram,
        "",
    )
    assert first.payload == {"number": "2026-000001", "текст": "Готов\tк выдаче\n«вход со двора»", "n": 1, "x": None}
    assert first.created_at == MOMENT and first.next_attempt_at == MOMENT
    # Columns no row named: their model defaults, as an INSERT gives them.
    assert (first.state, first.attempts, first.last_error, first.sent_at) == (DeliveryState.pending, 0, "", None)


def test_rows_roll_back_with_the_transaction(db_session):
    insert_rows(db_session, Notification.__table__, [message(n) for n in range(5)])
    db_session.rollback()
    assert stored(db_session) == []


def test_a_row_leaving_out_a_computed_default_still_gets_it(db_session):
    before = datetime.now(UTC)
    rows = [message(1), {k: v for k, v in message(2).items() if k != "created_at"}]
    assert insert_rows(db_session, Notification.__table__, rows) == 2
    db_session.commit()
    first, second = stored(db_session)
    assert first.created_at == MOMENT and second.created_at >= before.replace(microsecond=0)


def test_nothing_to_write_writes_nothing(db_session):
    assert insert_rows(db_session, Notification.__table__, []) == 0
    assert stored(db_session) == []
