"""Back-office pages at a real shop's size: the order list, its common filters, a deep page, the quick search by
each kind of query, an order page, the customers list, and a regular customer's «Мои заказы».

Run on a database filled by the bulk generator (`flask seed demo && flask seed bulk --customers 100000
--orders 1000000`), given by --database-url (PostgreSQL). Each page is requested in-process through the real
app (Flask, Flask-AppBuilder, templates) 5 times after a warm-up; prints the median, the SQL statements per
request, the page size and what the list shows as its count. Goals: ≤ 150 ms for a list, a filter or a
search; ≤ 50 ms for «Мои заказы»; a fixed number of statements per list page whatever its size.
A staff user is created for the run and removed afterwards.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402

RUNS = 5
COUNT = re.compile(r"<strong>[^<]*:</strong>\s*([^<\n]+)")


class Statements:
    """Counts the SQL statements every engine runs while switched on."""

    def __init__(self) -> None:
        self.count = 0
        self.on = False
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        if self.on:
            self.count += 1


def measure(client, url: str, statements: Statements, *, follow: bool = False) -> dict:  # noqa: ANN001
    client.get(url, follow_redirects=follow)  # warm-up: caches, plans, permission lookups
    times = []
    for _ in range(RUNS):
        statements.count, statements.on = 0, True
        started = time.perf_counter()
        response = client.get(url, follow_redirects=follow)
        times.append(time.perf_counter() - started)
        statements.on = False
    body = response.get_data(as_text=True)
    shown = COUNT.search(body)
    return {
        "ms": statistics.median(times) * 1000,
        "status": response.status_code,
        "statements": statements.count,
        "kb": len(response.get_data()) / 1024,
        "count": " ".join(shown.group(1).split()) if shown else "",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL with bulk data")
    args = parser.parse_args()
    if not args.database_url:
        print("skipped: needs a database filled by the bulk generator (--database-url or DATABASE_URL)")
        return

    from app import create_wsgi_app
    from app.extensions import db
    from app.models import Customer, Order
    from app.seed.demo import DEMO_PASSWORD
    from app.services import staff
    from app.services.shoptime import shop_today

    app = create_wsgi_app(
        {"SQLALCHEMY_DATABASE_URI": args.database_url, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False},
        profile="development",
    )
    admin = app.extensions["admin_app"]
    login = f"bench-office-{secrets.token_hex(3)}@example.ru"
    password = secrets.token_urlsafe(12)
    with admin.app_context():
        staff.create_staff(email=login, role="Operator", password=password, first_name="Бен", last_name="Замеров")
        db.session.remove()
    statements = Statements()
    try:
        with app.app_context():
            session = db.session
            total = session.scalar(sa.select(sa.func.count()).select_from(Order))
            sample = session.execute(
                sa.select(Order.id, Order.number, Order.contact_email, Order.contact_phone, Order.contact_name)
                .order_by(Order.id)
                .offset(total // 2)
                .limit(1)
            ).one()
            regular = session.execute(
                sa.select(Customer.email, sa.func.count(Order.id).label("orders"))
                .join(Order, Order.customer_id == Customer.id)
                .group_by(Customer.email)
                .order_by(sa.desc("orders"))
                .limit(1)
            ).one()
            customers = session.scalar(sa.select(sa.func.count()).select_from(Customer))
            session.remove()
        surname = sample.contact_name.split()[-1]
        local = sample.contact_email.split("@")[0]
        month_ago = (shop_today() - timedelta(days=30)).isoformat()
        print(f"database: {sa.engine.make_url(args.database_url).render_as_string(hide_password=True)}")
        print(f"{total:,} orders, {customers:,} customers; p50 of {RUNS} in-process requests\n")

        client = app.test_client()
        response = client.post("/admin/login/", data={"username": login, "password": password})
        assert response.status_code == 302, "staff login failed"
        orders = "/admin/orderview/list/"
        cases: list[tuple[str, str, bool]] = [
            ("order list, page 1", orders, False),
            ("order list, 100 rows a page", orders + "?psize_OrderView=100", False),
            ("filter «Завершён»", orders + "?_flt_0_status=completed", False),
            ("filter «Новый»", orders + "?_flt_0_status=new", False),
            ("filter not paid", orders + "?_flt_0_payment_status=unpaid", False),
            ("filter courier", orders + "?_flt_0_delivery_method=courier", False),
            ("filter last 30 days", orders + f"?_flt_0_created_at={month_ago}", False),
            ("deep page (the last reachable)", orders + "?page_OrderView=199", False),
            ("deep page asked past the bound", orders + "?page_OrderView=20000", False),
            ("search: number (opens the order)", f"/admin/orderview/find?q={sample.number}", True),
            ("search: number prefix", f"/admin/orderview/find?q={sample.number[:8]}", True),
            ("search: email", f"/admin/orderview/find?q={sample.contact_email}", True),
            ("search: email fragment", f"/admin/orderview/find?q={local}", True),
            ("search: phone", f"/admin/orderview/find?q={sample.contact_phone}", True),
            ("search: phone fragment", f"/admin/orderview/find?q={sample.contact_phone[-7:-2]}", True),
            ("search: common surname", f"/admin/orderview/find?q={surname}", True),
            ("order page", f"/admin/orderview/show/{sample.id}", False),
            ("customers list", "/admin/customerview/list/", False),
            ("customers: email contains", f"/admin/customerview/list/?_flt_2_email={local}", False),
        ]
        results: list[tuple[str, dict]] = []
        for name, url, follow in cases:
            results.append((name, measure(client, url, statements, follow=follow)))

        shop = app.test_client()
        shop.post("/account/login", data={"email": regular.email, "password": DEMO_PASSWORD})
        results.append((f"«Мои заказы» ({regular.orders:,} orders)", measure(shop, "/account/orders", statements)))
        results.append(("«Мои заказы», page 10", measure(shop, "/account/orders?page=10", statements)))
    finally:
        with admin.app_context():
            sm = admin.appbuilder.sm
            user = sm.find_user(email=login)
            if user is not None:
                db.session.delete(user)
                db.session.commit()
            db.engine.dispose()
        with app.app_context():
            db.engine.dispose()

    width = max(len(name) for name, _ in results)
    print(f"{'page':<{width}}  {'p50 ms':>8}  {'SQL':>4}  {'KB':>6}  count shown")
    for name, found in results:
        flag = "" if found["status"] == 200 else f"  (HTTP {found['status']})"
        print(
            f"{name:<{width}}  {found['ms']:8.1f}  {found['statements']:4d}  {found['kb']:6.1f}  {found['count']}{flag}"
        )


if __name__ == "__main__":
    main()
