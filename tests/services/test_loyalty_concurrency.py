"""Spending points at the same time on PostgreSQL: 100 checkouts of 10 points from a balance of 100, each in its own
session and thread — exactly 10 succeed, the rest are told the points are gone, the balance ends at 0 and equals
the ledger's sum."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import EntryKind, LoyaltyEntry
from app.services.actors import Actor
from app.services.loyalty import ledger

SYSTEM = Actor.system("test")


@pytest.mark.postgres_only
def test_a_hundred_concurrent_spends_of_ten_from_a_hundred_give_ten_successes(app, backend, db_session, customer):
    ledger.post(
        db_session, customer_id=customer.id, kind=EntryKind.adjust, key="adjust:start", actor=SYSTEM, available=100
    )
    db_session.commit()
    customer_id = customer.id
    outcomes: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(100, timeout=60)
    lock = threading.Lock()

    def checkout(n: int) -> None:
        with app.app_context():
            try:
                start.wait()
                ledger.spend(db.session, customer_id=customer_id, points=10, key=f"spend:race:{n}", actor=SYSTEM)
                db.session.commit()
                result = "ok"
            except ledger.NotEnoughPoints as exc:
                db.session.rollback()
                result = exc.message
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                errors.append(exc)
                return
            finally:
                db.session.remove()
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=checkout, args=(n,)) for n in range(100)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert outcomes.count("ok") == 10
    refusals = [o for o in outcomes if o != "ok"]
    assert len(refusals) == 90 and all("Баллов уже недостаточно" in o for o in refusals)
    db_session.expire_all()
    assert ledger.balance(db_session, customer_id) == ledger.Balance(0, 0)
    assert ledger.ledger_balance(db_session, customer_id) == ledger.Balance(0, 0)
    assert ledger.check_balances(db_session) == {}
    spends = db_session.scalar(
        sa.select(sa.func.count()).select_from(LoyaltyEntry).where(LoyaltyEntry.kind == EntryKind.spend)
    )
    assert spends == 10
