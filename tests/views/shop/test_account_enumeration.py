"""Login, password reset and registration never tell whether an email address has an account."""

import re

import sqlalchemy as sa

from app.extensions import db
from app.models import Customer, Notification
from app.services.messaging import outbox
from tests.factories import PASSWORD

GENERIC_LOGIN = "Неверный email или пароль."
RESET_SENT = "Если адрес {email} зарегистрирован, на него отправлено письмо со ссылкой для восстановления пароля."
CHECK_MAIL = "Проверьте почту"


def _page(response) -> str:  # noqa: ANN001
    """The visible text, without the form's echo of the typed address."""
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", text)


def test_login_says_the_same_for_an_unknown_address_and_a_wrong_password(app, customer):
    unknown = app.test_client().post("/account/login", data={"email": "nobody@example.ru", "password": PASSWORD})
    wrong = app.test_client().post("/account/login", data={"email": customer.email, "password": "wrong-pass-123"})
    assert unknown.status_code == wrong.status_code == 200
    for response in (unknown, wrong):
        text = _page(response)
        assert GENERIC_LOGIN in text
        assert "Неверный пароль" not in text and "не существует" not in text
    assert _page(unknown).replace("nobody@example.ru", "X") == _page(wrong).replace(customer.email, "X")


def test_password_reset_answers_the_same_whether_the_address_has_an_account(app, customer, smtp_server):
    known = app.test_client().post("/account/reset", data={"email": customer.email}, follow_redirects=True)
    unknown = app.test_client().post("/account/reset", data={"email": "nobody@example.ru"}, follow_redirects=True)
    assert known.status_code == unknown.status_code == 200
    assert RESET_SENT.format(email=customer.email) in _page(known)
    assert RESET_SENT.format(email="nobody@example.ru") in _page(unknown)
    assert "не существует" not in _page(unknown)
    assert [m["To"] for m in smtp_server.messages] == [customer.email]  # only the real account gets a link


def test_registering_a_taken_address_says_check_your_mail_and_tells_its_owner(app, client, customer, smtp_server):
    response = client.post(
        "/account/register",
        data={
            "email": customer.email,
            "password": "other-pass-123",
            "password_confirm": "other-pass-123",
            "personal_data_consent": "y",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/login")
    page = _page(client.get(response.headers["Location"]))
    assert CHECK_MAIL in page and "уже" not in page
    assert client.get("/account/orders").status_code == 302  # nobody was signed in
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Customer)) == 1
        # Again at once: one notice an hour, however often it is tried.
        client.post(
            "/account/register",
            data={
                "email": customer.email,
                "password": "other-pass-123",
                "password_confirm": "other-pass-123",
                "personal_data_consent": "y",
            },
        )
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 1
        report = outbox.deliver_due(db.session)
        db.session.commit()
    assert report.sent == 1
    (message,) = smtp_server.messages
    assert message["To"] == customer.email and message["Subject"] == "Попытка регистрации с вашим адресом"
    body = smtp_server.mailbox.body(message)
    assert "У вас уже есть учётная запись" in body and "/account/reset" in body
    # The password the visitor typed changed nothing.
    login = app.test_client().post("/account/login", data={"email": customer.email, "password": PASSWORD})
    assert login.status_code == 302


def test_registering_a_new_address_still_works_and_mail_errors_are_still_shown(app, client):
    response = client.post(
        "/account/register",
        data={
            "email": "new.one@example.ru",
            "password": "long-password-1",
            "password_confirm": "long-password-1",
            "personal_data_consent": "y",
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/orders")
    assert client.get("/account/orders").status_code == 200
    bad = app.test_client().post(
        "/account/register",
        data={
            "email": "not-an-email",
            "password": "long-password-1",
            "password_confirm": "x",
            "personal_data_consent": "y",
        },
    )
    assert "Неверный Email" in _page(bad) and "Пароли не совпадают" in _page(bad)


def test_with_email_confirmation_both_registrations_get_the_same_answer(customer, smtp_server, shop_app_with):
    """SECURITY_CONFIRMABLE: a new account is not signed in either, so the two answers are the very same page."""
    shop = shop_app_with(SECURITY_CONFIRMABLE=True, SECURITY_SEND_REGISTER_EMAIL=True)
    answers = []
    for email in (customer.email, "fresh@example.ru"):
        client = shop.test_client()
        response = client.post(
            "/account/register",
            data={
                "email": email,
                "password": "long-password-1",
                "password_confirm": "long-password-1",
                "personal_data_consent": "y",
            },
            follow_redirects=True,
        )
        answers.append(_page(response).replace(email, "X"))
    assert answers[0] == answers[1]
    assert "подтвер" in answers[0].lower()
