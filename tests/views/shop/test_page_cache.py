"""Guests' storefront pages from memory: one statement per page, dropped in every app process as soon as what
they show changes (by any path), validators for browsers, per-visitor form tokens, fingerprinted static files."""

import re
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Banner, Product, PromoCode
from app.seed.demo import load_promo_codes
from tests.factories import load_catalog, login_customer, make_customer

PRODUCT = "/product/vizitki-standart"


@contextmanager
def statements():
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)


@pytest.fixture
def shops(app, shop_app_with, db_session):
    """Two storefront processes on one database, both caching guests' pages."""
    load_catalog(db_session)
    return shop_app_with(STOREFRONT_CACHE_SECONDS=600), shop_app_with(STOREFRONT_CACHE_SECONDS=600)


def _rename(app, name: str) -> None:
    with app.app_context():
        product = db.session.scalar(sa.select(Product).where(Product.slug == "vizitki-standart"))
        product.name = name
        db.session.commit()


def test_a_guest_page_costs_one_statement_once_cached(shops):
    shop, _ = shops
    client = shop.test_client()
    for path in ("/", PRODUCT, "/catalog/vizitki"):
        first = client.get(path)
        with statements() as seen:
            again = client.get(path)
        assert again.status_code == 200 and (again.get_data() == first.get_data() or "csrf_token" in first.text)
        assert len(seen) == 1 and "site_version" in seen[0], seen


def test_a_change_made_through_one_process_is_seen_at_once_by_the_other(shops):
    first, second = shops
    guest = second.test_client()
    assert "Визитки стандартные" in guest.get(PRODUCT).text
    assert "Визитки стандартные" in guest.get("/").text
    _rename(first, "Визитки премиум")
    assert "Визитки премиум" in guest.get(PRODUCT).text
    assert "Визитки премиум" in guest.get("/").text


def test_a_change_by_plain_sql_drops_the_pages_too(shops):
    shop, _ = shops
    guest = shop.test_client()
    assert "Визитки стандартные" in guest.get("/").text
    with shop.app_context():
        db.session.execute(sa.text("UPDATE product SET name = 'Визитки эконом' WHERE slug = 'vizitki-standart'"))
        db.session.commit()
    assert "Визитки эконом" in guest.get("/").text


def test_traffic_counters_do_not_drop_the_pages(shops):
    shop, _ = shops
    with shop.app_context():
        load_promo_codes(db.session)
        db.session.commit()
        before = db.session.execute(sa.text("SELECT token FROM site_version")).scalar()
        db.session.execute(sa.update(Banner).values(clicks=Banner.clicks + 1))
        db.session.execute(sa.update(PromoCode).values(times_used=PromoCode.times_used + 1))
        db.session.commit()
        assert db.session.execute(sa.text("SELECT token FROM site_version")).scalar() == before
        db.session.execute(sa.update(PromoCode).values(is_active=False))
        db.session.commit()
        assert db.session.execute(sa.text("SELECT token FROM site_version")).scalar() != before


def test_browsers_revalidate_with_etag_and_last_modified(shops):
    shop, other = shops
    guest = shop.test_client()
    page = guest.get("/")
    assert page.headers["Cache-Control"] == "no-cache" and page.headers["ETag"] and page.headers["Last-Modified"]
    assert "Cookie" in page.headers["Vary"]
    assert guest.get("/", headers={"If-None-Match": page.headers["ETag"]}).status_code == 304
    since = guest.get("/", headers={"If-Modified-Since": page.headers["Last-Modified"]})
    assert since.status_code == 304
    assert other.test_client().get("/").headers["ETag"] == page.headers["ETag"]  # same page, same tag everywhere
    _rename(shop, "Визитки премиум")
    assert guest.get("/", headers={"If-None-Match": page.headers["ETag"]}).status_code == 200


def test_each_guest_gets_a_form_token_of_their_own_and_can_add_to_cart(shops, db_session):
    shop, _ = shops
    shop.config["WTF_CSRF_ENABLED"] = True
    tokens = []
    for _ in range(2):
        guest = shop.test_client()
        page = guest.get(PRODUCT).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        tokens.append(token)
        assert "Last-Modified" not in guest.get(PRODUCT).headers  # a page with a form token: ETag only
        response = guest.post(PRODUCT, data={"csrf_token": token, "quantity": "100"})
        assert response.status_code in (302, 400), response.status_code
        assert "Форма устарела" not in response.text
    assert tokens[0] != tokens[1]


def test_customers_and_guests_with_a_cart_get_their_own_pages(shops, db_session):
    shop, _ = shops
    make_customer(db_session, email="cache@example.ru", full_name="Кэш Покупатель")
    guest = shop.test_client()
    guest.get("/")
    customer = shop.test_client()
    login_customer(customer, "cache@example.ru")
    with statements() as seen:
        page = customer.get("/").text
    assert "Кэш Покупатель" in page and len(seen) > 1


def test_static_files_are_fingerprinted_and_cached_for_a_year(shops):
    shop, _ = shops
    guest = shop.test_client()
    page = guest.get("/").text
    css = re.search(r'href="(/static/css/shop\.css\?v=[0-9a-f]+)"', page)
    assert css, "the stylesheet is linked with its fingerprint"
    response = guest.get(css.group(1))
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Cache-Control"] and "immutable" in response.headers["Cache-Control"]
    plain = guest.get("/static/css/shop.css")
    assert "immutable" not in plain.headers.get("Cache-Control", "")


def test_new_loyalty_rates_drop_the_cached_product_page(shops):
    """The product page says how many points an order earns: a change of the programme's rates is seen at once."""
    from app.services.actors import Actor
    from app.services.loyalty import rules

    shop, _ = shops
    guest = shop.test_client()
    assert "+23\u00a0балла за этот заказ" in guest.get(PRODUCT).text  # 3 % of 790 ₽
    with shop.app_context():
        rules.save(db.session, {**rules.DEFAULTS, "start_rate": "10"}, actor=Actor.system("test"))
        db.session.commit()
    assert "+79\u00a0баллов за этот заказ" in guest.get(PRODUCT).text


def test_a_customer_gets_the_catalog_parts_from_memory_and_sees_changes_at_once(shops, db_session):
    first, second = shops
    make_customer(db_session, email="cache@example.ru", full_name="Кэш Покупатель")
    customer = second.test_client()
    login_customer(customer, "cache@example.ru")
    customer.get("/")
    with statements() as seen:
        page = customer.get("/").text
    assert "Кэш Покупатель" in page and "Визитки стандартные" in page
    assert not [s for s in seen if "FROM product" in s or "FROM category" in s or "FROM content_page" in s], seen
    _rename(first, "Визитки премиум")
    assert "Визитки премиум" in customer.get("/").text
    assert "Визитки премиум" in customer.get("/catalog/vizitki").text


def test_a_process_trusting_its_version_for_a_while_still_sees_its_own_changes_at_once(app, shop_app_with, db_session):
    load_catalog(db_session)
    shop = shop_app_with(STOREFRONT_CACHE_SECONDS=600, STOREFRONT_VERSION_CHECK_SECONDS=600)
    guest = shop.test_client()
    guest.get("/")
    with statements() as seen:
        assert "Визитки стандартные" in guest.get("/").text
    assert seen == []  # the version read a moment ago is trusted: no SQL at all
    _rename(shop, "Визитки премиум")
    assert "Визитки премиум" in guest.get("/").text


def test_a_first_visit_is_answered_without_the_framework_with_the_same_page_and_a_fresh_nonce(
    app, shop_app_with, db_session
):
    from flask import request_started

    load_catalog(db_session)
    shop = shop_app_with(STOREFRONT_CACHE_SECONDS=600, STOREFRONT_VERSION_CHECK_SECONDS=600)
    handled: list[str] = []

    def count(sender, **extra):  # noqa: ANN001, ANN003
        handled.append("flask")

    request_started.connect(count, shop)
    try:
        first = shop.test_client().get("/")
        handled.clear()
        again = [shop.test_client().get("/") for _ in range(2)]
        assert handled == []  # neither reached the app
        assert all(r.status_code == 200 and r.get_data() == first.get_data() for r in again)
        assert again[0].headers["ETag"] == first.headers["ETag"] and again[0].headers["Last-Modified"]
        nonces = {re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1) for r in again}
        assert len(nonces) == 2 and again[0].headers["X-Frame-Options"] == "DENY"
        assert "Set-Cookie" not in again[0].headers and again[0].headers["Content-Type"].startswith("text/html")
        assert shop.test_client().get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
        assert handled == []
        visitor = shop.test_client()
        visitor.set_cookie("shop_session", "something")
        visitor.get("/")
        assert handled == ["flask"]  # someone with a session: the app decides
        _rename(shop, "Визитки премиум")  # a commit here: this process checks the version again
        assert "Визитки премиум" in shop.test_client().get("/").text
    finally:
        request_started.disconnect(count, shop)


def test_first_visitors_of_a_product_page_get_their_own_form_token_and_session_and_can_order(
    app, shop_app_with, db_session
):
    from flask import request_started

    load_catalog(db_session)
    shop = shop_app_with(STOREFRONT_CACHE_SECONDS=600, STOREFRONT_VERSION_CHECK_SECONDS=600, WTF_CSRF_ENABLED=True)
    shop.test_client().get(PRODUCT)
    handled: list[str] = []
    request_started.connect(lambda sender, **extra: handled.append("flask"), shop, weak=False)
    tokens = []
    for _ in range(2):
        guest = shop.test_client()
        handled.clear()
        page = guest.get(PRODUCT)
        assert handled == [] and "shop_session=" in page.headers["Set-Cookie"]
        assert "Last-Modified" not in page.headers
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        tokens.append(token)
        response = guest.post(PRODUCT, data={"csrf_token": token, "quantity": "100"})
        assert response.status_code in (302, 400) and "Форма устарела" not in response.text
        forged = guest.post(PRODUCT, data={"csrf_token": tokens[0] + "x", "quantity": "100"})
        assert forged.status_code == 400 and "Форма устарела" in forged.text
    assert tokens[0] != tokens[1]
