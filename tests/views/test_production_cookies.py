"""The production configuration: every cookie of both apps is Secure, HttpOnly and SameSite=Lax."""

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from app import create_wsgi_app
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD, make_staff

SECRETS = {
    "SECRET_KEY": "production-test-secret-key",
    "SECURITY_PASSWORD_SALT": "test-password-salt",
}  # the salt the test customers were hashed with


@pytest.fixture
def production_app(app: Flask) -> Iterator[Flask]:
    """The combined app built by the production profile, on the test database and folders."""
    from app.extensions import db

    keys = ("SQLALCHEMY_DATABASE_URI", "INSTANCE_DIR", "UPLOAD_DIR")
    built = create_wsgi_app({k: app.config[k] for k in keys} | SECRETS, profile="production")
    built.test_client_class = IsolatedClient
    assert built.config["ENV_NAME"] == "production" and not built.testing
    yield built
    for flask_app in (built, built.extensions["admin_app"]):
        with flask_app.app_context():
            db.engine.dispose()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def _set_cookies(response) -> list[str]:  # noqa: ANN001
    return response.headers.getlist("Set-Cookie")


def _assert_hardened(headers: list[str]) -> dict[str, str]:
    cookies = {}
    for header in headers:
        name = header.split("=", 1)[0]
        attributes = {part.strip().split("=")[0].lower(): part.strip() for part in header.split(";")[1:]}
        assert "secure" in attributes, header
        assert "httponly" in attributes, header
        assert attributes.get("samesite") == "SameSite=Lax", header
        cookies[name] = header
    return cookies


def test_shop_cookies_after_a_login_with_remember_me_are_secure_httponly_and_lax(production_app, customer):
    client = production_app.test_client()
    page = client.get("/account/login", base_url="https://shop.example")
    seen = _set_cookies(page)
    response = client.post(
        "/account/login",
        base_url="https://shop.example",
        headers={"Referer": "https://shop.example/account/login"},  # CSRF over HTTPS checks the referrer
        data={"email": customer.email, "password": PASSWORD, "remember": "y", "csrf_token": _csrf(page.text)},
    )
    assert response.status_code == 302, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))[-1500:]
    seen += _set_cookies(response)
    cookies = _assert_hardened(seen)
    assert {"shop_session", "shop_remember"} <= set(cookies)
    assert client.get("/account/orders", base_url="https://shop.example").status_code == 200


def test_back_office_cookies_after_a_login_are_secure_httponly_and_lax(app, production_app):
    login = make_staff(app, "Operator")
    client = production_app.test_client()
    page = client.get("/admin/login/", base_url="https://shop.example")
    seen = _set_cookies(page)
    response = client.post(
        "/admin/login/",
        base_url="https://shop.example",
        headers={"Referer": "https://shop.example/admin/login/"},
        data={"username": login, "password": PASSWORD, "csrf_token": _csrf(page.text)},
    )
    assert response.status_code == 302 and "/login" not in response.headers["Location"], response.text[:300]
    seen += _set_cookies(response)
    cookies = _assert_hardened(seen)
    assert "admin_session" in cookies and "Path=/admin" in cookies["admin_session"]
    # The back office signs staff in without "remember me"; were it ever set, its cookie is hardened too.
    admin = production_app.extensions["admin_app"].config
    assert (admin["REMEMBER_COOKIE_SECURE"], admin["REMEMBER_COOKIE_HTTPONLY"], admin["REMEMBER_COOKIE_SAMESITE"]) == (
        True,
        True,
        "Lax",
    )
    assert client.get("/admin/orderview/list/", base_url="https://shop.example").status_code == 200
