"""Customer accounts: registration, password reset by email, confirmation, rate limits, CSRF, headers."""

import re

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Customer
from tests.factories import PASSWORD, login_customer


def test_registration_validates_in_russian(client):
    response = client.post(
        "/account/register",
        data={
            "email": "not-an-email",
            "password": "123",
            "password_confirm": "456",
            "personal_data_consent": "y",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Неверный Email" in text
    assert "Пароль должен содержать не менее 8 символов" in text
    assert "Пароли не совпадают" in text


def test_password_is_stored_as_argon2(app, client):
    client.post(
        "/account/register",
        data={
            "email": "hash@example.ru",
            "password": "long-password-1",
            "password_confirm": "long-password-1",
            "personal_data_consent": "y",
        },
    )
    with app.app_context():
        customer = db.session.scalar(sa.select(Customer).where(Customer.email == "hash@example.ru"))
        assert customer.password.startswith("$argon2")
        assert customer.created_at.tzinfo is not None


def test_password_reset_by_email(app, client, customer, smtp_server):
    response = client.post("/account/reset", data={"email": customer.email})
    assert response.status_code in (200, 302)
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"] == customer.email
    text = smtp_server.mailbox.body(message)
    link = re.search(r"http://\S+/account/reset/\S+", text).group(0)
    path = link.split("localhost", 1)[-1] if "localhost" in link else "/" + link.split("/", 3)[3]
    response = client.post(
        path,
        data={"password": "brand-new-pass-9", "password_confirm": "brand-new-pass-9", "personal_data_consent": "y"},
    )
    assert response.status_code == 302
    client.post("/account/logout")
    login_customer(client, customer.email, "brand-new-pass-9")
    fresh = app.test_client()
    response = fresh.post("/account/login", data={"email": customer.email, "password": PASSWORD})
    assert response.status_code == 200  # the old password no longer works


def test_confirmation_can_be_required(smtp_server, shop_app_with):
    """SECURITY_CONFIRMABLE=true: the welcome email carries a link; no login before it is followed."""
    client = shop_app_with(SECURITY_CONFIRMABLE=True, SECURITY_SEND_REGISTER_EMAIL=True).test_client()
    client.post(
        "/account/register",
        data={
            "email": "confirm.me@example.ru",
            "password": "long-password-1",
            "password_confirm": "long-password-1",
            "personal_data_consent": "y",
        },
    )
    message = next(m for m in smtp_server.messages if m["To"] == "confirm.me@example.ru")
    response = client.post("/account/login", data={"email": "confirm.me@example.ru", "password": "long-password-1"})
    assert response.status_code == 200  # not confirmed yet: no login
    assert client.get("/account/orders").status_code == 302
    link = re.search(r"http://\S+/account/confirm/\S+", smtp_server.mailbox.body(message)).group(0)
    client.get("/" + link.split("/", 3)[3])
    login_customer(client, "confirm.me@example.ru", "long-password-1")
    assert client.get("/account/orders").status_code == 200


def test_logout_is_post_only_and_works(client, customer):
    login_customer(client, customer.email)
    assert client.get("/account/orders").status_code == 200
    client.post("/account/logout")
    assert client.get("/account/orders").status_code == 302


def test_login_is_rate_limited(customer, shop_app_with):
    client = shop_app_with(RATELIMIT_ENABLED=True).test_client()
    statuses = [
        client.post("/account/login", data={"email": customer.email, "password": "wrong"}).status_code
        for _ in range(12)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429
    assert "Слишком много попыток" in client.post("/account/login", data={"email": customer.email}).get_data(
        as_text=True
    )


def test_forms_need_a_csrf_token_when_enabled(app, client, catalog, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/cart/items/1/delete")
    assert response.status_code == 400
    assert "Форма устарела" in response.get_data(as_text=True)


def test_security_headers_on_both_apps(client):
    shop = client.get("/")
    csp = shop.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert shop.headers["X-Frame-Options"] == "DENY"
    assert shop.headers["X-Content-Type-Options"] == "nosniff"
    admin = client.get("/admin/login/")
    assert "nonce-" in admin.headers["Content-Security-Policy"]
    nonce = re.search(r"nonce-([^']+)'", admin.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script[^>]*>", admin.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts)


def test_too_large_request_gets_a_russian_page(app, client, catalog, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 100)
    response = client.post("/product/vizitki-standart", data={"x": "y" * 500})
    assert response.status_code == 413
    assert "Файл слишком большой" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ENV_NAME": "production", "SECRET_KEY": None}, "SECRET_KEY must be set"),
        ({"UPLOAD_MAX_BYTES": 0}, "UPLOAD_MAX_BYTES must be positive"),
    ],
)
def test_bad_configuration_is_refused_at_start(overrides, message):
    from config import ConfigError, load_config

    with pytest.raises(ConfigError, match=message):
        load_config("development", overrides)


def test_bad_environment_values_are_refused(monkeypatch):
    from config import ConfigError, env_bool, load_config

    monkeypatch.setenv("MAIL_USE_TLS", "maybe")
    with pytest.raises(ValueError, match="MAIL_USE_TLS must be a boolean"):
        env_bool("MAIL_USE_TLS", False)
    with pytest.raises(ConfigError, match="PRINTSHOP_ENV must be one of"):
        load_config("staging")


def _latin_words(text: str) -> list[str]:
    """Latin words of a message once links and addresses are taken out: none in a Russian email."""
    text = re.sub(r"https?://\S+|[\w.+-]+@[\w.-]+", " ", text)
    return re.findall(r"[A-Za-z]{3,}", re.sub(r"<[^>]+>", " ", text))


def test_every_account_email_is_russian_in_text_and_html(client, smtp_server, shop_app_with, customer):
    client.post("/account/reset", data={"email": customer.email})
    reset = smtp_server.messages[-1]
    link = re.search(r"http://\S+/account/reset/\S+", smtp_server.mailbox.body(reset)).group(0)
    new_password = {
        "password": "brand-new-pass-9",
        "password_confirm": "brand-new-pass-9",
        "personal_data_consent": "y",
    }
    client.post("/" + link.split("/", 3)[3], data=new_password)
    client = shop_app_with(SECURITY_CONFIRMABLE=True, SECURITY_SEND_REGISTER_EMAIL=True).test_client()
    client.post(
        "/account/register",
        data={
            "email": "novyj@example.ru",
            "password": "long-password-1",
            "password_confirm": "long-password-1",
            "personal_data_consent": "y",
        },
    )
    client.post("/account/confirm", data={"email": "novyj@example.ru"})
    subjects = [m["Subject"] for m in smtp_server.messages]
    assert subjects == [
        "Восстановление пароля",
        "Пароль изменён",
        "Добро пожаловать в «Печатный двор»",
        "Подтвердите адрес электронной почты",
    ]
    for message in smtp_server.messages:
        for part in ("plain", "html"):
            body = smtp_server.mailbox.body(message, part)
            assert "Здравствуйте" in body, (message["Subject"], part)
            assert _latin_words(body) == [], (message["Subject"], part, body)
