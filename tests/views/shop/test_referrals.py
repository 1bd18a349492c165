"""«Пригласить друга» pages: the link reveals only the referrer's first name and keeps the code in a cookie through
registration (the last link wins), the invite page shows the customer's own link, QR and friends only."""

from __future__ import annotations

import io

import segno
import sqlalchemy as sa
from PIL import Image

from app.extensions import db
from app.models import Customer, Referral, ReferralCode, ReferralState, ReferralVisit
from app.services.catalog.products import default_option_ids
from app.services.orders import cart as cart_service
from app.services.referrals import programme
from tests.factories import load_catalog, login_customer, make_customer

PASSWORD = "long-password-1"


def make_referrer(app, email="anna.petrova@example.ru", name="Анна Петрова", phone="+79161110000"):
    with app.app_context():
        customer = make_customer(db.session, email=email, full_name=name, phone=phone)
        code = programme.code_for(db.session, customer.id)
        db.session.commit()
        return customer.id, code


def register(client, email):
    return client.post(
        "/account/register",
        data={"email": email, "password": PASSWORD, "password_confirm": PASSWORD, "personal_data_consent": "y"},
    )


def referral_of(app, email):
    with app.app_context():
        friend = db.session.scalar(sa.select(Customer).where(Customer.email == email))
        return db.session.scalar(sa.select(Referral).where(Referral.friend_id == friend.id))


def test_the_link_shows_only_the_first_name_and_the_offer_and_sets_the_cookie(app, client):
    _, code = make_referrer(app)
    response = client.get(f"/r/{code}")
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Анна приглашает вас" in text and "скидка 10 % на первый заказ" in text
    assert "Петрова" not in text and "anna.petrova" not in text and "79161110000" not in text
    cookie = client.get_cookie("ref")
    assert cookie is not None and cookie.value == code and cookie.http_only
    assert response.headers["Cache-Control"] == "private, no-store"
    client.get(f"/r/{code}")  # a reload is not another visitor
    app.test_client().get(f"/r/{code}")  # another browser is
    with app.app_context():
        assert db.session.scalar(sa.select(ReferralCode.visits).where(ReferralCode.code == code)) == 2
        assert db.session.scalar(sa.select(ReferralVisit.visits).where(ReferralVisit.code == code)) == 2


def test_an_unknown_or_malformed_code_is_a_plain_404(app, client):
    make_referrer(app)
    for code in ("zzzzzzzz", "1", "abc%27--"):
        response = client.get(f"/r/{code}")
        assert response.status_code == 404
        assert "Ссылка недействительна" in response.get_data(as_text=True)
        assert client.get_cookie("ref") is None


def test_attribution_survives_registration_and_the_last_link_wins(app, client):
    _, first = make_referrer(app)
    second_id, second = make_referrer(app, email="boris@example.ru", name="Борис", phone="+79162220000")
    client.get(f"/r/{first}")
    client.get("/")  # browsing in between
    client.get(f"/r/{second}")
    response = register(client, "friend@example.ru")
    assert response.status_code in (200, 302)
    referral = referral_of(app, "friend@example.ru")
    assert referral.referrer_id == second_id and referral.state == ReferralState.registered
    assert referral.code == second


def test_registration_without_the_cookie_is_no_referral(app, client):
    make_referrer(app)
    register(client, "nobody@example.ru")
    assert referral_of(app, "nobody@example.ru") is None


def test_the_friends_checkout_has_the_personal_discount_code_filled_in(app, client):
    _, code = make_referrer(app)
    client.get(f"/r/{code}")
    register(client, "friend@example.ru")
    with app.app_context():
        friend = db.session.scalar(sa.select(Customer).where(Customer.email == "friend@example.ru"))
        welcome = programme.welcome_code(db.session, friend.id)
    assert welcome
    with app.app_context():
        catalog = load_catalog(db.session)
        cart = cart_service.get_or_create_cart(db.session, token=None, customer_id=friend.id)
        ids = default_option_ids(catalog.flyers)
        cart_service.add_item(
            db.session, cart, product=catalog.flyers, quantity=1000, option_value_ids=ids, layout=None
        )
        db.session.commit()
    login_customer(client, "friend@example.ru", PASSWORD)
    page = client.get("/checkout/").get_data(as_text=True)
    assert welcome in page


def test_invite_page_shows_own_link_qr_and_only_own_friends(app, client):
    referrer_id, code = make_referrer(app)
    other_id, other_code = make_referrer(app, email="vera@example.ru", name="Вера", phone="+79163330000")
    with app.app_context():
        mine = make_customer(db.session, email="gleb@example.ru", full_name="Глеб Иванов", phone="")
        theirs = make_customer(db.session, email="dina@example.ru", full_name="Дина Секретова", phone="")
        programme.attach(db.session, friend=mine, code=code)
        programme.attach(db.session, friend=theirs, code=other_code)
        db.session.commit()
    assert client.get("/account/invite").status_code in (302, 401)
    assert client.get("/account/invite/qr.png").status_code in (302, 401)
    login_customer(client, "anna.petrova@example.ru")
    page = client.get("/account/invite").get_data(as_text=True)
    assert f"/r/{code}" in page and other_code not in page
    assert "Глеб" in page and "Иванов" not in page and "Дина" not in page
    assert "Зарегистрировался" in page
    assert "t.me/share/url" in page and "wa.me" in page and "vk.com/share.php" in page and "mailto:" in page
    assert '<script src="http' not in page  # no third-party scripts
    svg = client.get("/account/invite/qr.svg")
    assert svg.mimetype == "image/svg+xml" and b"<svg" in svg.data
    png = client.get("/account/invite/qr.png?download=1")
    assert png.mimetype == "image/png" and "attachment" in png.headers["Content-Disposition"]
    image = Image.open(io.BytesIO(png.data))
    expected = segno.make_qr(f"http://localhost/r/{code}", error="m")
    assert image.size == tuple(s * 10 for s in expected.symbol_size(border=2))
    out = io.BytesIO()
    expected.save(out, kind="png", scale=10, border=2)
    assert png.data == out.getvalue()  # the QR encodes the customer's own link
    assert client.get("/account/invite/qr.gif").status_code == 404
    assert other_id != referrer_id


def test_the_registration_page_reminds_the_visitor_of_the_reward(app, client):
    _, code = make_referrer(app)
    assert "referral-reminder" not in client.get("/account/register").get_data(as_text=True)
    client.get(f"/r/{code}")
    page = client.get("/account/register").get_data(as_text=True)
    assert 'data-testid="referral-reminder"' in page and "Анна приглашает вас" in page
    assert "скидка 10 % на первый заказ" in page and "Петрова" not in page


def test_opening_links_is_rate_limited(app, shop_app_with):
    _, code = make_referrer(app)
    shop = shop_app_with(RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", REFERRAL_RATE_LIMIT="3 per minute")
    guesser = shop.test_client()
    codes = ["aaaaaaaa", "bbbbbbbb", code, "cccccccc"]
    statuses = [guesser.get(f"/r/{c}").status_code for c in codes]
    assert statuses == [404, 404, 200, 429]
