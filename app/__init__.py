"""App factories: the storefront, the back office, and the WSGI app that serves both (shop at /, office at /admin)."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from config import BASE_DIR, load_config

MIGRATIONS_DIR = str(BASE_DIR / "migrations")


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:  # noqa: ANN001
    """SQLite enforces foreign keys only when asked, and waits for locks instead of failing at once.

    Its built-in lower() (and so ILIKE) folds ASCII only; Python's folds Cyrillic too.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function("lower", 1, _lower, deterministic=True)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()


def _lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _base_app(import_name: str, settings: dict, **kwargs) -> Flask:
    app = Flask(import_name, instance_path=settings["INSTANCE_DIR"], **kwargs)
    app.config.update(settings)
    app.extensions["printshop_settings"] = settings
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from app.extensions import db, migrate
    from app.services import (
        accounting,  # noqa: F401  (the sales journal's effects on the order state machine)
        documents,  # noqa: F401  (closing documents issued on realisation; outbox messages)
    )

    # Effects of order status changes and payments that live in their own domains register on import.
    from app.services.loyalty import effects as _loyalty_effects  # noqa: F401
    from app.services.loyalty import notices as _loyalty_notices  # noqa: F401  (points in order messages)

    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True, compare_type=True)
    return app


def create_shop_app(config: dict | None = None, profile: str | None = None) -> Flask:
    """The storefront: catalog, cart, checkout and customer accounts (Flask-Security-Too)."""
    settings = load_config(profile, config)
    app = _base_app("app", settings, template_folder="templates", static_folder="static")
    from app.views.shop import init_shop

    init_shop(app)
    from app.cli import register_commands

    register_commands(app)
    return app


def create_admin_app(config: dict | None = None, profile: str | None = None) -> Flask:
    """The back office: Flask-AppBuilder views, staff users and roles."""
    settings = load_config(profile, config)
    app = _base_app("app", settings, template_folder="templates", static_folder=None)
    from app.views.admin import init_admin

    init_admin(app)
    return app


def admin_app_for(app: Flask) -> Flask:
    """The back office on the same settings as `app` (the mounted one when there is one)."""
    if "admin_app" not in app.extensions:
        app.extensions["admin_app"] = create_admin_app(app.extensions["printshop_settings"])
    return app.extensions["admin_app"]


def create_wsgi_app(config: dict | None = None, profile: str | None = None) -> Flask:
    """The shop with the back office mounted under /admin (two Flask apps: one login manager each)."""
    shop = create_shop_app(config, profile)
    admin = create_admin_app(config, profile)
    shop.wsgi_app = DispatcherMiddleware(shop.wsgi_app, {"/admin": admin})  # type: ignore[method-assign]
    shop.extensions["admin_app"] = admin
    return shop
