"""Test fixtures: the whole suite runs on SQLite and on PostgreSQL, each test on clean tables.

The database of each backend is built once per session by the Alembic migrations (so every run also
checks that they work), then every test starts from empty tables. Where PostgreSQL is required (CI sets
`TEST_DATABASE_URL` or `CI=true`), a server that cannot be reached or logged into stops the run, and no
test may be skipped except a `postgres_only` one on SQLite; elsewhere the run falls back to SQLite and
says so in its header.
"""

from __future__ import annotations

import contextvars
import os
import tempfile
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from tests import factories

ALL_BACKENDS = ("sqlite", "postgresql")
DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL


def pg_login_problem(url: str) -> str | None:
    """Why PostgreSQL at `url` cannot be used (not reachable, login refused), or None when it answers."""
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return " ".join(str(exc).split()) or type(exc).__name__
    return None


def pg_must_answer(environ: Mapping[str, str]) -> bool:
    """CI, or anyone who names a database or asks for PostgreSQL by name, gets it or a failure."""
    return (
        bool(environ.get("TEST_DATABASE_URL"))
        or environ.get("CI", "").strip().lower() in ("true", "1", "yes")
        or "postgresql" in environ.get("TEST_BACKENDS", "").split(",")
    )


@dataclass(frozen=True)
class BackendPlan:
    backends: list[str]
    header: str
    error: str | None = None


def plan_backends(environ: Mapping[str, str], pg_problem: Callable[[str], str | None]) -> BackendPlan:
    """The backends this run uses, the report header saying so, or the reason the run must not start."""
    requested = [b.strip() for b in environ.get("TEST_BACKENDS", "").split(",") if b.strip()] or list(ALL_BACKENDS)
    unknown = [b for b in requested if b not in ALL_BACKENDS]
    if unknown:
        return BackendPlan([], "", f"TEST_BACKENDS names unknown backends {unknown}; known: {', '.join(ALL_BACKENDS)}")
    chosen = "" if "TEST_BACKENDS" not in environ else " (TEST_BACKENDS)"
    if "postgresql" not in requested:
        return BackendPlan(requested, f"database backends: {', '.join(requested)}{chosen}")
    url = environ.get("TEST_DATABASE_URL") or DEFAULT_PG_URL
    shown = sa.engine.make_url(url).render_as_string(hide_password=True)
    problem = pg_problem(url)
    if problem is None:
        return BackendPlan(requested, f"database backends: {', '.join(requested)}{chosen}")
    if pg_must_answer(environ):
        return BackendPlan(
            [],
            "",
            f"PostgreSQL at {shown} cannot be used: {problem}. The tests must run on PostgreSQL here "
            "(TEST_DATABASE_URL, CI or TEST_BACKENDS asks for it): start it or correct TEST_DATABASE_URL.",
        )
    rest = [b for b in requested if b != "postgresql"]
    return BackendPlan(
        rest,
        f"database backends: {', '.join(rest)} only: PostgreSQL at {shown} cannot be used ({problem}); "
        "set TEST_DATABASE_URL or CI=true to make that a failure",
    )


STRICT = pg_must_answer(os.environ)
PLAN = plan_backends(os.environ, pg_login_problem)
BACKENDS = PLAN.backends


def pytest_configure(config: pytest.Config) -> None:
    if PLAN.error:
        raise pytest.UsageError(PLAN.error)


def pytest_report_header(config: pytest.Config) -> str:
    return PLAN.header


def _backend_of(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return callspec.params.get("backend") if callspec else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A `postgres_only` test runs on the PostgreSQL parametrisation and is skipped on the others."""
    for item in items:
        if item.get_closest_marker("postgres_only") is None:
            continue
        backend = _backend_of(item)
        if backend is None:
            raise pytest.UsageError(f"{item.nodeid} is marked postgres_only but uses no database backend")
        if backend != "postgresql":
            item.add_marker(pytest.mark.skip(reason="PostgreSQL only"))


def skip_allowed(item: pytest.Item, strict: bool) -> bool:
    """Off CI anything may skip (a missing tool); on CI only a postgres_only test on another backend."""
    return not strict or (item.get_closest_marker("postgres_only") is not None and _backend_of(item) != "postgresql")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator:
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and not skip_allowed(item, STRICT):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason.removeprefix("Skipped: ")
        report.outcome = "failed"
        report.longrepr = f"skipped where the suite must run completely (CI): {reason}"
    return report


def _worker() -> str:
    """Unique per test process, so parallel runs on one server never drop each other's databases."""
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{os.getpid()}"


def _create_pg_database(name: str) -> str:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        # A test database is thrown away: its commits (and the TRUNCATE before every test) need not wait for the
        # disk. Durability is the only thing this changes; every statement behaves the same.
        conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    base = sa.engine.make_url(PG_ADMIN_URL)
    return base.set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def session_tmp() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="printshop-tests-") as tmp:
        yield Path(tmp)


def build_database_url(backend: str, tmp: Path, label: str = "") -> tuple[str, str | None]:
    """A fresh empty database of the backend: (url, pg database name to drop later)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp / f'test-{label or uuid.uuid4().hex}.db'}", None
    name = f"printshop_test_{_worker()}_{label or uuid.uuid4().hex[:8]}"
    return _create_pg_database(name), name


def test_settings(url: str, tmp: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "INSTANCE_DIR": str(tmp / "instance"),
        "UPLOAD_DIR": str(tmp / "uploads"),
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
    }


class IsolatedClient(FlaskClient):
    """Each request runs in fresh context variables, as in a real server.

    Without this a request reuses the test's own app context (and its `g`, where Flask-Login keeps
    the current user), so one request's login would leak into the next.
    """

    def open(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def _wsgi_app(backend: str, session_tmp: Path) -> Iterator[Flask]:
    """The combined app on a database built by the migrations, once per backend."""
    from flask_migrate import upgrade

    from app import create_wsgi_app

    tmp = session_tmp / backend
    tmp.mkdir(exist_ok=True)
    url, pg_name = build_database_url(backend, tmp, "main")
    app = create_wsgi_app(test_settings(url, tmp), profile="testing")
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    yield app
    from app.extensions import db

    with app.app_context():
        db.engine.dispose()
    with app.extensions["admin_app"].app_context():
        db.engine.dispose()
    if pg_name:
        _drop_pg_database(pg_name)


def truncate_all(app: Flask) -> None:
    from app.extensions import db

    tables = [t.name for t in db.metadata.sorted_tables]
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            return
        with engine.connect() as conn:
            # SQLite ignores PRAGMA foreign_keys inside a transaction: switch it between transactions.
            conn.execute(sa.text("PRAGMA foreign_keys=OFF"))
            conn.commit()
            # Append-only tables refuse DELETE by trigger: lift the triggers while emptying, then restore them.
            triggers = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type='trigger'")).all()
            for trigger, _ in triggers:
                conn.execute(sa.text(f'DROP TRIGGER "{trigger}"'))
            for name in reversed(tables):
                conn.execute(sa.text(f'DELETE FROM "{name}"'))
            if conn.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")).first():
                conn.execute(sa.text("DELETE FROM sqlite_sequence"))
            for _, sql in triggers:
                conn.execute(sa.text(sql))
            conn.commit()
            conn.execute(sa.text("PRAGMA foreign_keys=ON"))
            conn.commit()
            assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


@pytest.fixture
def app(_wsgi_app: Flask) -> Iterator[Flask]:
    """The storefront app (the back office is mounted at /admin), on clean tables with VAT rates loaded."""
    from app.extensions import db

    truncate_all(_wsgi_app)
    with _wsgi_app.app_context():
        factories.load_reference_data()
        db.session.commit()
        db.session.remove()
    yield _wsgi_app
    with _wsgi_app.app_context():
        db.session.remove()


@pytest.fixture
def admin_app(app: Flask) -> Flask:
    return app.extensions["admin_app"]


@pytest.fixture
def db_session(app: Flask) -> Iterator[sa.orm.Session]:
    """A session inside the shop app's context, for calling services directly."""
    from app.extensions import db

    with app.app_context():
        yield db.session
        db.session.rollback()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def staff_client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def catalog(db_session) -> factories.Catalog:  # noqa: ANN001
    return factories.load_catalog(db_session)


@pytest.fixture
def customer(db_session):  # noqa: ANN001, ANN201
    return factories.make_customer(db_session, email="buyer@example.ru", full_name="Покупатель Первый")


@pytest.fixture
def other_customer(db_session):  # noqa: ANN001, ANN201
    return factories.make_customer(db_session, email="other@example.ru", full_name="Покупатель Второй")


@pytest.fixture
def smtp_server(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator:
    """A real SMTP server on loopback; both apps send their mail to it during the test."""
    from tests.mailbox import SmtpServer

    server = SmtpServer()
    server.start()
    for flask_app in (app, app.extensions["admin_app"]):
        monkeypatch.setitem(flask_app.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(flask_app.config, "MAIL_PORT", server.port)
    yield server
    server.stop()


@pytest.fixture
def shop_app_with(app: Flask) -> Iterator:
    """Build another storefront app on the same database with some settings changed (features fixed at start)."""
    from app import create_shop_app
    from app.extensions import db

    built: list[Flask] = []
    keys = ("SQLALCHEMY_DATABASE_URI", "INSTANCE_DIR", "UPLOAD_DIR", "WTF_CSRF_ENABLED", "MAIL_SERVER", "MAIL_PORT")

    def build(**overrides: object) -> Flask:
        other = create_shop_app({k: app.config[k] for k in keys} | overrides, profile="testing")
        other.test_client_class = IsolatedClient
        built.append(other)
        return other

    yield build
    for other in built:
        with other.app_context():
            db.engine.dispose()
