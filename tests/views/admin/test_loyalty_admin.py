"""Back office for bonus points: who sees the ledger, balances, settings and the liability report; the manager's
adjustment with a reason (recorded with the staff member); the report's figures equal the ledger's sums."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import EntryKind, LoyaltyEntry, LoyaltySettings
from app.services.actors import Actor
from app.services.loyalty import ledger
from app.services.orders import lifecycle
from app.services.shoptime import shop_today
from app.views.admin.permissions import STAFF_ROLES
from tests.factories import login_staff, make_staff, place_order

SYSTEM = Actor.system("test")
URLS = {
    "LoyaltyEntryView": "/admin/loyaltyentryview/list/",
    "LoyaltyAccountView": "/admin/loyaltyaccountview/list/",
    "LoyaltySettingsView": "/admin/loyaltysettingsview/",
    "PointsLiabilityView": "/admin/pointsliabilityview/",
}
ALL = set(URLS)
CAN_LIST = {
    "Admin": ALL,
    "Manager": ALL,
    "Accountant": ALL,
    "Operator": {"LoyaltyEntryView", "LoyaltyAccountView"},
    "Support": {"LoyaltyEntryView", "LoyaltyAccountView"},
    "ContentEditor": set(),
}
CAN_ADJUST = {"Admin", "Manager"}
CAN_EDIT_SETTINGS = {"Admin", "Manager"}


def _allowed(response) -> bool:
    if response.status_code == 200:
        return True
    if response.status_code in (403, 404):
        return False
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    return "login" not in location and location.rstrip("/") not in ("/admin", "")


def give(session, customer, points):
    ledger.post(
        session,
        customer_id=customer.id,
        kind=EntryKind.adjust,
        key=f"adjust:{uuid.uuid4().hex}",
        actor=SYSTEM,
        available=points,
    )
    session.commit()


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_role_sees_and_changes_exactly_its_points_views(app, staff_client, db_session, customer, role):
    give(db_session, customer, 100)
    login_staff(staff_client, make_staff(app, role))
    for view, url in URLS.items():
        assert _allowed(staff_client.get(url)) == (view in CAN_LIST[role]), f"{role} {view}"
    response = staff_client.post(
        f"/admin/loyaltyaccountview/adjust/{customer.id}",
        data={"points": "25", "reason": "компенсация задержки", "form_key": uuid.uuid4().hex},
    )
    assert _allowed(response) == (role in CAN_ADJUST)
    db_session.expire_all()
    assert ledger.balance(db_session, customer.id).available == (125 if role in CAN_ADJUST else 100)
    response = staff_client.post("/admin/loyaltysettingsview/save", data={"start_rate": "4"})
    count = db_session.scalar(sa.select(sa.func.count()).select_from(LoyaltySettings))
    assert count == 0  # incomplete settings are refused (or not allowed at all)
    # the ledger is read-only for everyone
    entry_id = db_session.scalars(sa.select(LoyaltyEntry.id)).first()
    for url in (f"/admin/loyaltyentryview/edit/{entry_id}", f"/admin/loyaltyentryview/delete/{entry_id}"):
        assert not _allowed(staff_client.get(url))


def test_a_manager_adjusts_a_balance_with_a_reason_and_bad_input_changes_nothing(
    app, staff_client, db_session, customer
):
    login_staff(staff_client, make_staff(app, "Manager", email="manager-pts@pechatnydvor.ru"))
    page = staff_client.get(f"/admin/loyaltyaccountview/show/{customer.id}")
    assert page.status_code == 200 and 'data-testid="adjust-form"' in page.get_data(as_text=True)
    assert staff_client.get("/admin/loyaltyaccountview/show/999999").status_code == 404
    key = uuid.uuid4().hex
    for bad in ({"points": "12.5", "reason": "ошибка"}, {"points": "100", "reason": ""}):
        response = staff_client.post(
            f"/admin/loyaltyaccountview/adjust/{customer.id}", data={**bad, "form_key": key}, follow_redirects=True
        )
        text = response.get_data(as_text=True)
        assert "целое число" in text or "причину" in text
    assert db_session.scalar(sa.select(sa.func.count()).select_from(LoyaltyEntry)) == 0
    data = {"points": "-40", "reason": "ошибочное начисление", "form_key": key}
    staff_client.post(f"/admin/loyaltyaccountview/adjust/{customer.id}", data=data)
    repeated = staff_client.post(f"/admin/loyaltyaccountview/adjust/{customer.id}", data=data, follow_redirects=True)
    assert "уже проведена" in repeated.get_data(as_text=True)
    entry = db_session.scalars(sa.select(LoyaltyEntry)).one()
    assert (entry.available, entry.reason, entry.actor_name, entry.actor_staff_id is not None) == (
        -40,
        "ошибочное начисление",
        "Тестов Manager",
        True,
    )
    shown = staff_client.get(f"/admin/loyaltyaccountview/show/{customer.id}").get_data(as_text=True)
    assert "(долг)" in shown and "ошибочное начисление" in shown
    debts = staff_client.get("/admin/loyaltyaccountview/list/?_flt_0_available=1").get_data(as_text=True)
    assert customer.email in debts


def test_settings_are_saved_as_a_new_version_with_the_staff_member(app, staff_client, db_session):
    login_staff(staff_client, make_staff(app, "Manager"))
    from app.services.loyalty import rules

    values = {name: str(value) for name, value in rules.DEFAULTS.items()} | {"expiry_days": "180", "comment": "акция"}
    staff_client.post("/admin/loyaltysettingsview/save", data=values)
    bad = staff_client.post(
        "/admin/loyaltysettingsview/save", data=values | {"partner_cap": "120"}, follow_redirects=True
    )
    assert "от 0 до 100" in bad.get_data(as_text=True)
    rows = db_session.scalars(sa.select(LoyaltySettings)).all()
    assert [(r.expiry_days, r.created_by_name, r.comment) for r in rows] == [(180, "Тестов Manager", "акция")]
    page = staff_client.get("/admin/loyaltysettingsview/").get_data(as_text=True)
    assert 'value="180"' in page and "Тестов Manager" in page


def test_the_liability_report_equals_the_ledger_sums(app, staff_client, db_session, catalog, customer, other_customer):
    give(db_session, customer, 500)
    give(db_session, other_customer, 70)
    order = place_order(db_session, customer, catalog.cards)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    ledger.spend(db_session, customer_id=customer.id, points=120, key="spend:x", actor=SYSTEM)
    db_session.commit()
    lifecycle.change_status(db_session, order, "cancelled", actor=SYSTEM)
    db_session.commit()
    sums = db_session.execute(sa.select(sa.func.sum(LoyaltyEntry.available), sa.func.sum(LoyaltyEntry.pending))).one()
    earned = db_session.scalar(sa.select(LoyaltyEntry.pending).where(LoyaltyEntry.kind == EntryKind.earn_pending))
    login_staff(staff_client, make_staff(app, "Accountant"))
    today = shop_today()
    page = staff_client.get(
        f"/admin/pointsliabilityview/?start={(today - timedelta(days=3)).isoformat()}&end={today.isoformat()}"
    ).get_data(as_text=True)

    def cell(testid: str) -> int:
        return int(re.search(rf'data-testid="{testid}">(-?\d+)<', page).group(1))

    assert (cell("closing-available"), cell("closing-pending")) == (sums[0], sums[1]) == (450, 0)
    assert (cell("earned"), cell("spent"), cell("reversed"), cell("expired")) == (earned, 120, earned, 0)
    yesterday = staff_client.get(
        f"/admin/pointsliabilityview/?start={(today - timedelta(days=3)).isoformat()}"
        f"&end={(today - timedelta(days=1)).isoformat()}"
    ).get_data(as_text=True)
    assert 'data-testid="closing-total">0<' in yesterday
