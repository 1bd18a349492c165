"""The migrations build the schema the models describe, from an empty database and from one built by the
first versions of edited revisions, on every backend — CHECK constraints and append-only triggers included."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from app.extensions import db
from app.models.base import built_on
from tests import conftest

# Revisions edited after databases had been built from them, as first committed (64b919b, c3316b5).
ORIGINAL_MIGRATIONS = Path(__file__).parent / "data" / "original_migrations"
# The revision that brings such databases up to date.
REPAIR_REVISION = "b0a169d5edbb"
EDITED_CHECKS = {
    ("orders", "ck_orders_total_consistent"),
    ("orders", "ck_orders_amount_due_consistent"),
    ("order_line", "ck_order_line_total_consistent"),
    ("order_line", "ck_order_line_vat_consistent"),
}

CHECK = re.compile(r'(?:CONSTRAINT\s+("?)(\w+)\1\s+)?CHECK\s*\(', re.IGNORECASE)


def _parenthesised(sql: str, start: int) -> str:
    """The text from `start` to the parenthesis that closes the one just before it (quotes respected)."""
    depth, quote, i = 1, "", start
    while depth:
        char = sql[i]
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "()":
            depth += 1 if char == "(" else -1
        i += 1
    return sql[start : i - 1]


def check_constraints(conn: sa.Connection) -> dict[tuple[str, str | None], str]:
    """{(table, name): the CHECK's text as the database keeps it} (sqlite_master / pg_get_constraintdef)."""
    found: dict[tuple[str, str | None], str] = {}
    if conn.dialect.name == "sqlite":
        tables = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL"))
        for table, sql in tables:
            for match in CHECK.finditer(sql):
                found[(table, match.group(2))] = " ".join(_parenthesised(sql, match.end()).split())
        return found
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, k.conname, pg_get_constraintdef(k.oid) FROM pg_constraint k "
            "JOIN pg_class c ON c.oid = k.conrelid WHERE k.contype = 'c' "
            "AND k.connamespace = 'public'::regnamespace"
        )
    )
    return {(table, name): definition for table, name, definition in rows}


def triggers(conn: sa.Connection) -> dict[tuple[str, str], str]:
    """{(table, trigger): its definition}, with the functions PostgreSQL triggers run."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(sa.text("SELECT tbl_name, name, sql FROM sqlite_master WHERE type = 'trigger'"))
        return {(table, name): " ".join(sql.split()) for table, name, sql in rows}
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), pg_get_functiondef(t.tgfoid) FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal"
        )
    )
    return {(table, name): f"{definition}\n{function}" for table, name, definition, function in rows}


def snapshot(conn: sa.Connection) -> dict:
    return {"checks": check_constraints(conn), "triggers": triggers(conn)}


def model_differences(conn: sa.Connection) -> list:
    def include_object(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
        return not (type_ == "index" and not reflected and not built_on(obj, conn.dialect.name))

    context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
    return compare_metadata(context, db.metadata)


def indexes(conn: sa.Connection, table: str) -> dict[str, str]:
    """{index name: its definition} of a table (PostgreSQL's pg_indexes, SQLite's sqlite_master)."""
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"), {"t": table}
        )
    else:
        rows = conn.execute(sa.text("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"), {"t": table})
    return {name: sql or "" for name, sql in rows}


@pytest.fixture
def new_database(backend: str, tmp_path: Path) -> Iterator:
    """Makes storefront apps on fresh empty databases of the backend; drops them afterwards."""
    made: list[tuple[Flask, str | None]] = []

    def make(label: str) -> Flask:
        url, pg_name = conftest.build_database_url(backend, tmp_path, label)
        app = _shop_app(url, tmp_path)
        made.append((app, pg_name))
        return app

    yield make
    for app, pg_name in made:
        with app.app_context():
            db.engine.dispose()
        if pg_name:
            conftest._drop_pg_database(pg_name)


def _shop_app(url: str, tmp: Path) -> Flask:
    from app import create_shop_app

    return create_shop_app(conftest.test_settings(url, tmp), profile="testing")


def test_migrated_schema_matches_models(app):
    with app.app_context(), db.engine.connect() as conn:
        assert model_differences(conn) == []


SEARCH_INDEXES = {
    "orders": {"ix_order_contact_email_trgm", "ix_order_contact_name_trgm", "ix_order_contact_phone_trgm"},
    "customer": {"ix_customer_email_trgm", "ix_customer_full_name_trgm", "ix_customer_phone_trgm"},
}


def test_trigram_search_indexes_are_built_on_postgresql_only(app, backend):
    with app.app_context(), db.engine.connect() as conn:
        found = {table: indexes(conn, table) for table in SEARCH_INDEXES}
        if backend == "postgresql":
            assert conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).scalar() == 1
    for table, names in SEARCH_INDEXES.items():
        if backend == "postgresql":
            for name in names:
                assert "USING gin" in found[table][name] and "gin_trgm_ops" in found[table][name], found[table][name]
        else:
            assert not names & found[table].keys()
    if backend == "postgresql":
        assert "varchar_pattern_ops" in found["orders"]["ix_order_number_prefix"]
    else:
        assert "ix_order_number_prefix" not in found["orders"]


def test_migrated_check_constraints_match_the_models(app, new_database):
    """compare_metadata does not look at CHECK constraints: the models' own DDL is the reference."""
    with app.app_context(), db.engine.connect() as conn:
        migrated = check_constraints(conn)
    reference = new_database("models")
    with reference.app_context():
        db.metadata.create_all(db.engine)
        with db.engine.connect() as conn:
            expected = check_constraints(conn)
    assert migrated == expected
    assert EDITED_CHECKS <= set(expected)


def _original_migrations(tmp: Path) -> Path:
    """The migrations directory with the edited revisions as they were first committed."""
    from app import MIGRATIONS_DIR

    directory = tmp / "original_migrations"
    shutil.copytree(MIGRATIONS_DIR, directory, ignore=shutil.ignore_patterns("__pycache__"))
    for original in ORIGINAL_MIGRATIONS.glob("*.py"):
        shutil.copy(original, directory / "versions" / original.name)
    return directory


OLD_ORDER = {
    "number": "2026-000001",
    "customer_id": 1,
    "status": "new",
    "payment_status": "unpaid",
    "payment_method": "on_receipt",
    "delivery_method": "pickup",
    "contact_name": "Покупатель",
    "contact_email": "old@example.ru",
    "contact_phone": "+79001234567",
    "delivery_address": "",
    "comment": "",
    "promo_code_text": "",
    "goods_total": "100.10",
    "discount_total": "0.00",
    "total": "100.10",
    "vat_total": "16.68",
    "points_paid": "0.00",
    "amount_due": "100.10",
    "created_at": "2026-11-26 04:00:00",
    "updated_at": "2026-11-26 04:00:00",
}
OLD_LINE = {
    "order_id": 1,
    "position": 1,
    "kind": "product",
    "product_name": "Визитки",
    "options": "[]",
    "quantity": 100,
    "unit_price": "1.00",
    "gross_amount": "100.10",
    "discount": "0.00",
    "total": "100.10",
    "vat_amount": "16.68",
    "net_amount": "83.42",
}
OLD_HISTORY = {
    "order_id": 1,
    "created_at": "2026-11-26 04:00:00",
    "actor_kind": "customer",
    "actor_name": "Покупатель",
    "field": "created",
    "new_value": "new",
    "comment": "",
}


def _insert(conn: sa.Connection, table: str, row: dict) -> None:
    columns = ", ".join(row)
    conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in row)})"), row)


def _store_an_order(conn: sa.Connection) -> None:
    """An order with a line and its history, written as the application of that time would have."""
    _insert(
        conn,
        "customer",
        {
            "id": 1,
            "email": "old@example.ru",
            "active": True,
            "fs_uniquifier": "old-customer",
            "full_name": "Покупатель",
            "phone": "",
            "blocked_reason": "",
            "created_at": "2026-11-26 04:00:00",
        },
    )
    _insert(conn, "orders", OLD_ORDER)
    _insert(conn, "order_line", OLD_LINE)
    _insert(conn, "order_history", OLD_HISTORY)


def test_a_database_built_by_the_first_foundation_is_brought_to_the_models(app, new_database, tmp_path):
    from flask_migrate import upgrade

    with app.app_context(), db.engine.connect() as conn:
        fresh = snapshot(conn)
    as_landed = new_database("as-landed")
    with as_landed.app_context():
        upgrade(revision=f"{REPAIR_REVISION}-1")
        with db.engine.connect() as conn:
            landed = snapshot(conn)
    old = new_database("original")
    with old.app_context():
        upgrade(directory=str(_original_migrations(tmp_path)), revision=f"{REPAIR_REVISION}-1")
        with db.engine.begin() as conn:
            before = snapshot(conn)
            missing = model_differences(conn)
            _store_an_order(conn)
        # The test data is what it claims: the first foundation's CHECKs, no newsletter flag (compared with
        # the same revisions as they stand today).
        assert {k for k in landed["checks"] if before["checks"].get(k) != landed["checks"][k]} == EDITED_CHECKS
        assert ("add_column", None, "customer") in {d[:3] for d in missing if isinstance(d, tuple)}

        upgrade()

        with db.engine.connect() as conn:
            assert model_differences(conn) == []
            assert snapshot(conn) == fresh
            assert conn.execute(sa.text("SELECT count(*) FROM order_line")).scalar() == 1
            assert conn.execute(sa.text("SELECT count(*) FROM order_history")).scalar() == 1
            amount_due = conn.execute(sa.text("SELECT amount_due FROM orders")).scalar()
            subscribed = conn.execute(sa.text("SELECT newsletter_subscribed FROM customer")).scalar()
            assert (round(float(amount_due), 2), bool(subscribed)) == (100.10, False)
            if conn.dialect.name == "sqlite":
                assert conn.execute(sa.text("PRAGMA foreign_key_check")).all() == []


def _physical_checks(conn: sa.Connection) -> list:
    """What a rebuilt table or a recreated constraint would change: SQLite's table SQL, PostgreSQL's oids."""
    if conn.dialect.name == "sqlite":
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name"
    else:
        query = "SELECT conname, oid FROM pg_constraint WHERE contype = 'c' ORDER BY conname"
    return conn.execute(sa.text(query)).all()


def test_the_repair_revision_leaves_a_current_database_untouched(new_database):
    from flask_migrate import upgrade

    current = new_database("current")
    with current.app_context():
        upgrade(revision=f"{REPAIR_REVISION}-1")
        with db.engine.connect() as conn:
            before = _physical_checks(conn)
        upgrade(revision=REPAIR_REVISION)
        with db.engine.connect() as conn:
            assert _physical_checks(conn) == before


def test_upgrading_keeps_every_row_that_references_a_rebuilt_table(new_database):
    """SQLite alters a table by rebuilding it; the catalogue that references `product` must survive the rebuild
    (with foreign keys on, dropping the old copy would cascade-delete price tiers and options)."""
    from flask_migrate import upgrade

    landed = new_database("landed-catalogue")
    with landed.app_context():
        upgrade(revision="0331f2c903a6")  # the head that landed before the sales journal rebuilt `product`
        with db.engine.begin() as conn:
            now = "2026-11-26 04:00:00"
            _insert(
                conn,
                "category",
                {
                    "id": 1,
                    "slug": "cards",
                    "name": "Визитки",
                    "description": "",
                    "position": 1,
                    "is_active": True,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            _insert(
                conn,
                "product",
                {
                    "id": 1,
                    "category_id": 1,
                    "slug": "cards",
                    "name": "Визитки",
                    "summary": "",
                    "description": "",
                    "is_active": True,
                    "position": 1,
                    "vat_category": "standard",
                    "bleed_mm": 2,
                    "max_sides": 2,
                    "production_days": 2,
                    "requires_layout": True,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            _insert(conn, "price_tier", {"id": 1, "product_id": 1, "quantity": 100, "price": "990.00"})
            _insert(conn, "price_tier", {"id": 2, "product_id": 1, "quantity": 500, "price": "2490.00"})
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM price_tier")).scalar() == 2
            assert conn.execute(sa.text("SELECT count(*) FROM product")).scalar() == 1
            if conn.dialect.name == "sqlite":
                assert conn.execute(sa.text("PRAGMA foreign_key_check")).all() == []
                assert conn.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1  # switched back on
