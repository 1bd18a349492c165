"""Newsletter double opt-in over a real SMTP server: subscribing sends a confirmation link, the subscription
starts only when it is confirmed, the consent log keeps IP, browser and consent text version; unsubscribe links
survive a SECRET_KEY rotation."""

import re
from datetime import timedelta

import sqlalchemy as sa
import time_machine

from app.models import ConsentSource, Customer, NewsletterConsent, NewsletterRequest, Notification
from app.services.messaging import outbox, subscriptions
from app.services.shoptime import now
from tests.factories import login_customer

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Test"


def _link(smtp_server) -> str:
    [message] = smtp_server.messages
    text = smtp_server.mailbox.body(message)
    return re.search(r"https?://\S+/newsletter/confirm/\S+", text).group(0)


def _path(url: str) -> str:
    return "/" + url.split("/", 3)[3]


def test_subscribing_in_the_profile_starts_only_after_the_emailed_link_is_confirmed(
    client, db_session, customer, smtp_server
):
    login_customer(client, customer.email)
    response = client.post(
        "/account/profile/newsletter",
        data={"subscribed": "1"},
        headers={"Accept": "application/json", "User-Agent": BROWSER},
        environ_base={"REMOTE_ADDR": "203.0.113.7"},
    )
    assert response.json["subscribed"] is False and response.json["pending"] is True
    assert "подписка начнётся, когда вы подтвердите её по ссылке" in response.json["message"]
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is False
    assert subscriptions.history(db_session, customer.id) == []  # no consent yet
    assert "Ждём подтверждения" in client.get("/account/profile").get_data(as_text=True)

    # A second click at once sends no second email.
    client.post("/account/profile/newsletter", data={"subscribed": "1"})
    assert outbox.deliver_due(db_session).sent == 1
    [message] = smtp_server.messages
    assert message["To"] == customer.email and message["Subject"] == "Подтвердите подписку на новости Печатный двор"
    assert "List-Unsubscribe" not in message
    assert "Подтвердить подписку" in smtp_server.mailbox.body(message, "html")
    link = _path(_link(smtp_server))

    # Opening the link (a mail scanner does it too) only asks.
    anonymous = client.application.test_client()
    page = anonymous.get(link).get_data(as_text=True)
    assert "Подтвердите подписку" in page and customer.email in page and subscriptions.CONSENT_TEXT in page
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is False
    page = anonymous.post(
        link, headers={"User-Agent": BROWSER}, environ_base={"REMOTE_ADDR": "198.51.100.24"}
    ).get_data(as_text=True)
    assert "Подписка подтверждена" in page
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is True
    [entry] = subscriptions.history(db_session, customer.id)
    assert (entry.subscribed, entry.source, entry.ip, entry.user_agent, entry.consent_version) == (
        True,
        ConsentSource.profile,
        "198.51.100.24",
        BROWSER,
        subscriptions.CONSENT_VERSION,
    )
    request = db_session.scalar(sa.select(NewsletterRequest))
    assert entry.requested_at == request.created_at and request.ip == "203.0.113.7"
    # Confirmed twice: nothing new.
    assert anonymous.post(link).status_code == 200
    assert db_session.scalar(sa.select(sa.func.count()).select_from(NewsletterConsent)) == 1


def test_registration_with_the_box_ticked_asks_for_confirmation(app, db_session, smtp_server):
    for email, ticked in (("yes@example.ru", True), ("no@example.ru", False)):
        form = {
            "email": email,
            "password": "long-password-1",
            "password_confirm": "long-password-1",
            "personal_data_consent": "y",
        }
        if ticked:
            form["newsletter_subscribed"] = "y"
        app.test_client().post("/account/register", data=form, headers={"User-Agent": BROWSER})
    db_session.expire_all()
    yes = db_session.scalar(sa.select(Customer).where(Customer.email == "yes@example.ru"))
    no = db_session.scalar(sa.select(Customer).where(Customer.email == "no@example.ru"))
    assert not yes.newsletter_subscribed and not no.newsletter_subscribed
    asked = subscriptions.pending_request(db_session, yes.id)
    assert asked.source == ConsentSource.registration and asked.user_agent == BROWSER
    assert subscriptions.pending_request(db_session, no.id) is None
    outbox.deliver_due(db_session)
    assert [m["To"] for m in smtp_server.messages] == ["yes@example.ru"]
    app.test_client().post(_path(_link(smtp_server)))
    db_session.expire_all()
    [entry] = subscriptions.history(db_session, yes.id)
    assert entry.source == ConsentSource.registration and entry.requested_at == asked.created_at
    assert subscriptions.CONSENT_TEXT in app.test_client().get("/account/register").get_data(as_text=True)


def test_an_expired_or_forged_link_changes_nothing(client, db_session, customer):
    found = subscriptions.request_subscription(db_session, customer, source=ConsentSource.profile)
    db_session.commit()
    assert client.post("/newsletter/confirm/forged-token").status_code == 404
    with time_machine.travel(now() + timedelta(days=8)):
        response = client.post(f"/newsletter/confirm/{found.token}")
    assert response.status_code == 400 and "Ссылка подтверждения устарела" in response.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is False


def test_saying_no_before_confirming_cancels_the_link(client, db_session, customer):
    login_customer(client, customer.email)
    client.post("/account/profile/newsletter", data={"subscribed": "1"})
    token = db_session.scalar(sa.select(NewsletterRequest.token))
    subscriptions.set_subscription(db_session, customer, subscribed=True, source=ConsentSource.profile)
    db_session.commit()
    client.post("/account/profile/newsletter", data={})  # unsubscribes
    assert client.post(f"/newsletter/confirm/{token}").status_code == 404
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is False


def test_unsubscribe_links_survive_a_secret_key_rotation(app, db_session, customer, shop_app_with):
    subscriptions.set_subscription(db_session, customer, subscribed=True, source=ConsentSource.profile)
    url = subscriptions.unsubscribe_url(db_session, customer)
    db_session.commit()
    rotated = shop_app_with(SECRET_KEY="a-completely-new-secret-key-after-rotation")
    response = rotated.test_client().post(_path(url), data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200 and response.get_data(as_text=True) == "Вы отписались от рассылки."
    db_session.expire_all()
    assert db_session.get(Customer, customer.id).newsletter_subscribed is False
    assert subscriptions.history(db_session, customer.id)[0].source == ConsentSource.unsubscribe_link


def test_the_confirmation_email_is_never_held_by_quiet_hours(client, db_session, customer, smtp_server):
    from app.services.messaging import notifications

    notifications.save_preferences(
        db_session, customer_id=customer.id, channels={}, order_statuses=[], quiet_hours=True, quiet_from=0, quiet_to=23
    )
    subscriptions.request_subscription(db_session, customer, source=ConsentSource.profile)
    db_session.commit()
    assert outbox.deliver_due(db_session).sent == 1
    assert db_session.scalar(sa.select(Notification.event)) == subscriptions.NEWSLETTER_CONFIRM
