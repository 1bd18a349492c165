"""Back office for referrals: who sees the referrals, the review queue, the figures and the settings; approve and
reject as mass actions (reject only with a reason, a decision made once); settings saved as versions; filters."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import Referral, ReferralSettings, ReferralState
from app.services.actors import Actor
from app.services.loyalty import ledger
from app.services.orders import lifecycle
from app.services.referrals import programme
from app.services.referrals import settings as referral_settings
from app.views.admin.permissions import STAFF_ROLES
from tests.factories import login_staff, make_customer, make_staff, place_order

SYSTEM = Actor.system("test")
R = ReferralState
URLS = {
    "ReferralView": "/admin/referralview/list/",
    "ReferralReviewView": "/admin/referralreviewview/list/",
    "ReferralFiguresView": "/admin/referralfiguresview/",
    "ReferralSettingsView": "/admin/referralsettingsview/",
}
ALL = set(URLS)
CAN_LIST = {
    "Admin": ALL,
    "Manager": ALL,
    "Accountant": {"ReferralView", "ReferralFiguresView", "ReferralSettingsView"},
    "Operator": set(),
    "Support": {"ReferralView"},
    "ContentEditor": set(),
}
CAN_REVIEW = {"Admin", "Manager"}


def _allowed(response) -> bool:
    if response.status_code == 200:
        return True
    if response.status_code in (403, 404):
        return False
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    return "login" not in location and location.rstrip("/") not in ("/admin", "")


def held_referrals(session, catalog, count=2):
    """Referrals held for review: the friends' first orders go to the referrer's own delivery address."""
    values = {k: (v.value if hasattr(v, "value") else v) for k, v in referral_settings.DEFAULTS.items()}
    referral_settings.save(session, values | {"enabled": "1", "min_order_total": "100"}, actor=SYSTEM)
    referrer = make_customer(session, email="anna@example.ru", full_name="Анна Петрова", phone="+79161110000")
    address = "Москва, ул. Ленина, д. 1, кв. 5"
    place_order(session, referrer, catalog.cards, delivery="courier", address=address, contact_phone="+79161110000")
    code = programme.code_for(session, referrer.id)
    found = []
    for i in range(count):
        friend = make_customer(session, email=f"friend{i}@example.ru", full_name=f"Друг{i} Тестов", phone="")
        referral = programme.attach(session, friend=friend, code=code)
        session.commit()
        order = place_order(
            session, friend, catalog.cards, delivery="courier", address=address, contact_phone=f"+7926000000{i}"
        )
        lifecycle.mark_paid(session, order, actor=SYSTEM)
        session.commit()
        found.append(referral.id)
    assert {session.get(Referral, i).state for i in found} == {R.held}
    return referrer, found


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_role_sees_and_decides_exactly_its_referral_views(app, staff_client, db_session, catalog, role):
    referrer, ids = held_referrals(db_session, catalog, count=1)
    login_staff(staff_client, make_staff(app, role))
    for view, url in URLS.items():
        assert _allowed(staff_client.get(url)) == (view in CAN_LIST[role]), f"{role} {view}"
    staff_client.post("/admin/referralview/action_post", data={"action": "approve_action", "rowid": ids})
    db_session.expire_all()
    expected = R.pending if role in CAN_REVIEW else R.held
    assert db_session.get(Referral, ids[0]).state == expected
    assert ledger.balance(db_session, referrer.id).pending == (500 if role in CAN_REVIEW else 0)


def test_review_queue_approve_and_reject_with_a_reason(app, staff_client, db_session, catalog):
    referrer, (first, second) = held_referrals(db_session, catalog)
    login_staff(staff_client, make_staff(app, "Manager", email="manager-ref@pechatnydvor.ru"))
    queue = staff_client.get("/admin/referralreviewview/list/").get_data(as_text=True)
    assert "friend0@example.ru" in queue and "friend1@example.ru" in queue and "На проверке" in queue
    response = staff_client.post(
        "/admin/referralreviewview/action_post", data={"action": "reject_action", "rowid": [second]}
    )
    assert response.status_code == 302 and "/reject?ids=" in response.headers["Location"]
    form = staff_client.get(f"/admin/referralreviewview/reject?ids={second}").get_data(as_text=True)
    assert "адрес доставки совпадает" in form
    refused = staff_client.post("/admin/referralreviewview/reject", data={"ids": str(second), "comment": " "})
    assert refused.status_code == 400 and "Укажите причину" in refused.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.get(Referral, second).state == R.held
    staff_client.post("/admin/referralreviewview/reject", data={"ids": str(second), "comment": "одна семья"})
    staff_client.post("/admin/referralreviewview/action_post", data={"action": "approve_action", "rowid": [first]})
    again = staff_client.post(
        "/admin/referralview/action_post", data={"action": "approve_action", "rowid": [second]}, follow_redirects=True
    )
    assert "Ничего не изменено" in again.get_data(as_text=True)
    db_session.expire_all()
    rejected = db_session.get(Referral, second)
    assert rejected.state == R.rejected and rejected.review_comment == "одна семья"
    assert rejected.reviewed_by_name == "Тестов Manager"
    assert db_session.get(Referral, first).state == R.pending
    assert ledger.balance(db_session, referrer.id).pending == 500
    queue = staff_client.get("/admin/referralreviewview/list/").get_data(as_text=True)
    assert "friend0@example.ru" not in queue and "friend1@example.ru" not in queue


def test_referral_list_filters_by_state_flag_and_referrer(app, staff_client, db_session, catalog):
    held_referrals(db_session, catalog, count=1)
    other = make_customer(db_session, email="vera@example.ru", full_name="Вера", phone="+79163330000")
    friend = make_customer(db_session, email="plain@example.ru", full_name="Простой", phone="")
    programme.attach(db_session, friend=friend, code=programme.code_for(db_session, other.id))
    db_session.commit()
    login_staff(staff_client, make_staff(app, "Manager"))
    flagged = staff_client.get("/admin/referralview/list/?_flt_0_flagged=yes").get_data(as_text=True)
    assert "friend0@example.ru" in flagged and "plain@example.ru" not in flagged
    by_referrer = staff_client.get("/admin/referralview/list/?_flt_0_referrer_id=vera").get_data(as_text=True)
    assert "plain@example.ru" in by_referrer and "friend0@example.ru" not in by_referrer
    by_state = staff_client.get("/admin/referralview/list/?_flt_0_state=registered").get_data(as_text=True)
    assert "plain@example.ru" in by_state and "friend0@example.ru" not in by_state


def test_settings_saved_as_versions_and_bad_input_changes_nothing(app, staff_client, db_session):
    login_staff(staff_client, make_staff(app, "Manager"))
    values = {
        "enabled": "1",
        "referrer_points": "700",
        "friend_reward": "points",
        "friend_discount": "10",
        "friend_points": "200",
        "min_order_total": "1500",
        "signups_per_ip_day": "3",
        "rewards_per_month": "5",
        "cookie_days": "30",
        "comment": "акция весны",
    }
    bad = staff_client.post(
        "/admin/referralsettingsview/save", data=values | {"cookie_days": "0"}, follow_redirects=True
    )
    assert "Срок действия ссылки" in bad.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReferralSettings)) == 0
    staff_client.post("/admin/referralsettingsview/save", data=values)
    page = staff_client.get("/admin/referralsettingsview/").get_data(as_text=True)
    assert "акция весны" in page and "Тестов Manager" in page
    rules = referral_settings.current(db_session)
    assert (rules.referrer_points, rules.friend_points, rules.rewards_per_month) == (700, 200, 5)


def test_figures_page_shows_the_programme_for_a_period(app, staff_client, db_session, catalog):
    held_referrals(db_session, catalog, count=2)
    login_staff(staff_client, make_staff(app, "Accountant"))
    page = staff_client.get("/admin/referralfiguresview/").get_data(as_text=True)
    assert 'data-testid="registered">2<' in page
    assert 'data-testid="first-orders">2<' in page
    assert 'data-testid="held">2<' in page
    empty = staff_client.get("/admin/referralfiguresview/?start=2001-01-01&end=2001-01-31").get_data(as_text=True)
    assert 'data-testid="registered">0<' in empty
