"""Storefront under load: the shop's home and product pages (a guest, a logged-in customer) against a bare Flask
hello-world, both served by gunicorn with the same settings (gunicorn.conf.py, `make serve`) in the same run,
loaded by wrk (50 connections over loopback).

Prints req/s, p50 and p99 for each page, the ratio to the hello-world, the SQL statements a page costs,
and each gunicorn worker's memory (RSS) after warm-up. Needs wrk (`apt-get install wrk`) and a PostgreSQL
database with the catalog (`flask seed demo`, and `flask seed bulk` for a real size): --database-url.
Goals: a guest ≥ 50 % of the hello-world, a logged-in customer ≥ 25 %, p99 ≤ 100 ms; workers ≤ 120 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LATENCY = re.compile(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(app: str, port: int, env: dict, workers: int, threads: int) -> subprocess.Popen:
    command = [
        sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--threads", str(threads),
        "--max-requests", "0", app,
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    for _ in range(300):
        try:
            if requests.get(f"http://127.0.0.1:{port}/", timeout=5).status_code < 500:
                return process
        except requests.RequestException:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"{app} did not start: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")


def stop(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def worker_rss_mb(process: subprocess.Popen) -> list[float]:
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        sizes.append(int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024)
    return sizes


def wrk(url: str, seconds: int, connections: int, cookie: str = "") -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {p: float(v) * UNITS[u] for p, v, u in LATENCY.findall(out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    return {
        "rps": rate,
        "p50": latency.get("50", 0.0),
        "p99": latency.get("99", 0.0),
        "errors": int(errors.group(1)) if errors else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
    }


def login(base: str, email: str, password: str) -> str:
    """A logged-in customer's session cookie (the CSRF-protected login form, as a browser posts it)."""
    web = requests.Session()
    page = web.get(f"{base}/account/login", timeout=10).text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    response = web.post(
        f"{base}/account/login",
        data={"email": email, "password": password, "csrf_token": token.group(1) if token else ""},
        allow_redirects=False,
        timeout=10,
    )
    cookie = response.cookies.get("shop_session")
    if response.status_code not in (302, 303) or not cookie:
        raise SystemExit(f"customer login failed: HTTP {response.status_code}")
    return f"shop_session={cookie}"


def statements_per_page(url: str, paths: list[str]) -> dict[str, int]:
    """SQL statements of one guest request of each page (after a first one), counted in-process."""
    import sqlalchemy as sa

    from app import create_shop_app

    app = create_shop_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False}, profile="development")
    seen: list[str] = []
    sa.event.listen(sa.engine.Engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    client = app.test_client()
    found = {}
    for path in paths:
        client.get(path)
        seen.clear()
        client.get(path)
        found[path] = len(seen)
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"), help="PostgreSQL with bulk data")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per page (default 10)")
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers for both apps (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker for both apps (default 4)")
    parser.add_argument("--product", default="vizitki-standart", help="slug of the product page")
    parser.add_argument("--customer", default="ivan.petrov@example.ru", help="a customer to log in as (demo password)")
    args = parser.parse_args()
    if not args.database_url:
        print("skipped: needs a database filled by the bulk generator (--database-url or DATABASE_URL)")
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    from app.seed.demo import DEMO_PASSWORD
    from config import DevelopmentConfig

    env = os.environ | {
        "DATABASE_URL": args.database_url,
        "PRINTSHOP_ENV": "production",
        "SECRET_KEY": secrets.token_hex(16),
        # The customers' passwords were hashed by the generator's profile: verify them with its salt.
        "SECURITY_PASSWORD_SALT": os.environ.get("SECURITY_PASSWORD_SALT") or DevelopmentConfig.SECURITY_PASSWORD_SALT,
        "SESSION_COOKIE_SECURE": "false",
        "MAIL_SERVER": "",
    }
    pages = {"home": "/", "product": f"/product/{args.product}"}
    counts = statements_per_page(args.database_url, list(pages.values()))
    results: list[tuple[str, dict]] = []
    rss: dict[str, list[float]] = {}
    hello_port, shop_port = free_port(), free_port()

    hello = start("bench.support.hello:app", hello_port, env, args.workers, args.threads)
    try:
        wrk(f"http://127.0.0.1:{hello_port}/", 2, args.connections)
        rss["hello-world"] = worker_rss_mb(hello)
        results.append(("hello-world", wrk(f"http://127.0.0.1:{hello_port}/", args.seconds, args.connections)))
    finally:
        stop(hello)

    shop = start("run:app", shop_port, env, args.workers, args.threads)
    base = f"http://127.0.0.1:{shop_port}"
    try:
        cookie = login(base, args.customer, DEMO_PASSWORD)
        for path in pages.values():  # warm-up: imports, caches, connection pools of every worker
            wrk(base + path, 2, args.connections)
            wrk(base + path, 2, args.connections, cookie)
        rss["shop"] = worker_rss_mb(shop)
        for name, path in pages.items():
            results.append((f"{name}, guest", wrk(base + path, args.seconds, args.connections)))
            results.append((f"{name}, logged in", wrk(base + path, args.seconds, args.connections, cookie)))
        rss["shop after the run"] = worker_rss_mb(shop)
    finally:
        stop(shop)

    hello_rps = results[0][1]["rps"]
    print(f"gunicorn: {args.workers} workers × {args.threads} threads (gthread); wrk: {args.connections} connections, "
          f"{args.seconds} s per page; {os.cpu_count()} cores shared with wrk and PostgreSQL")  # fmt: skip
    print(f"{'page':<20} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs hello':>9}  non-2xx/3xx, timeouts")
    for name, found in results:
        ratio = found["rps"] / hello_rps if hello_rps else 0
        problems = f"{found['errors']}, {found['timeouts']}"
        print(f"{name:<20} {found['rps']:8.0f} {found['p50']:8.1f} {found['p99']:8.1f} {ratio:8.0%}  {problems}")
    print("SQL statements per guest request: " + ", ".join(f"{name} {counts[path]}" for name, path in pages.items()))
    for name, sizes in rss.items():
        print(f"worker RSS, {name}: " + ", ".join(f"{size:.0f} MB" for size in sizes))


if __name__ == "__main__":
    main()
