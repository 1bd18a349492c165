"""Concurrent spending of bonus points: S checkouts (threads, each with its own session) spend P points each from a
balance of B at the same moment (defaults 100 × 10 from 100). Exactly B // P must succeed, the others be told the
points are gone, the balance end at B − successes × P (never below zero), and every cached balance equal its
ledger sum. Prints `succeeded=10 failed=90 balance=0` and exits 1 when a check fails.

Runs against DATABASE_URL / --database-url (a customer «bench-points-…» is added there), a scratch PostgreSQL
database (--scratch-postgres ADMIN_URL: created and dropped), or a scratch SQLite file. SQLite has one writer at a
time, so there the threads mostly queue; PostgreSQL is where the row lock is tested.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.support import make_app, scratch_database  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spenders", type=int, default=100)
    parser.add_argument("--points", type=int, default=10, help="points each spender takes")
    parser.add_argument("--balance", type=int, default=100)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--scratch-postgres", metavar="ADMIN_URL", help="create (and drop) a scratch database here")
    args = parser.parse_args()

    from app.extensions import db
    from app.models import Customer, EntryKind
    from app.services.actors import Actor
    from app.services.loyalty import ledger

    actor = Actor.system("замер")
    with scratch_database(args.database_url, args.scratch_postgres) as (url, where):
        app = make_app(url)
        token = secrets.token_hex(4)
        with app.app_context():
            customer = Customer(
                email=f"bench-points-{token}@example.ru", fs_uniquifier=secrets.token_hex(16), full_name="Замер Баллов"
            )
            db.session.add(customer)
            db.session.flush()
            customer_id = customer.id
            ledger.post(
                db.session,
                customer_id=customer_id,
                kind=EntryKind.adjust,
                key=f"adjust:bench:{token}",
                actor=actor,
                available=args.balance,
                reason="замер",
            )
            db.session.commit()
            db.session.remove()

        outcomes: list[str] = []
        errors: list[BaseException] = []
        lock = threading.Lock()
        start = threading.Barrier(args.spenders, timeout=120)

        def spend(n: int) -> None:
            with app.app_context():
                try:
                    start.wait()
                    ledger.spend(
                        db.session,
                        customer_id=customer_id,
                        points=args.points,
                        key=f"spend:bench:{token}:{n}",
                        actor=actor,
                    )
                    db.session.commit()
                    result = "ok"
                except ledger.NotEnoughPoints:
                    db.session.rollback()
                    result = "refused"
                except BaseException as exc:  # noqa: BLE001 - counted as a failure of the run
                    db.session.rollback()
                    with lock:
                        errors.append(exc)
                    return
                finally:
                    db.session.remove()
                with lock:
                    outcomes.append(result)

        threads = [threading.Thread(target=spend, args=(n,)) for n in range(args.spenders)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        took = time.perf_counter() - began

        with app.app_context():
            balance = ledger.balance(db.session, customer_id)
            sums = ledger.ledger_balance(db.session, customer_id)
            mismatched = ledger.check_balances(db.session, [customer_id])
            db.session.remove()
        succeeded = outcomes.count("ok")
        failed = outcomes.count("refused") + len(errors)
        print(f"database: {where}; {args.spenders} spenders × {args.points} from {args.balance} in {took:.2f} s")
        print(f"succeeded={succeeded} failed={failed} balance={balance.available}")
        expected = min(args.balance // args.points, args.spenders)
        problems = []
        if errors:
            problems.append(f"{len(errors)} spenders failed unexpectedly: {errors[0]!r}")
        if succeeded != expected:
            problems.append(f"expected {expected} successes")
        if balance.available != args.balance - succeeded * args.points or balance.available < 0:
            problems.append("the balance is wrong")
        if mismatched or sums != balance:
            problems.append(f"cached balance {balance} differs from the ledger {sums}")
        for problem in problems:
            print(f"FAIL: {problem}")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
