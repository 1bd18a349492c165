"""Referral programme: attribution at sign-up, the friend's first order judged once (granted, held, refused), the
rewards on the points ledger's pending → available path, reversal on cancel/refund, staff review, settings with
history, idempotency of the job and of repeated payments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from app.models import (
    EntryKind,
    LoyaltyEntry,
    Notification,
    OrderStatus,
    PromoCode,
    Referral,
    ReferralSettings,
    ReferralState,
    TelegramLink,
)
from app.models.base import AppendOnlyRowChanged
from app.services.actors import Actor
from app.services.errors import DomainError, ValidationError
from app.services.loyalty import ledger
from app.services.orders import lifecycle
from app.services.referrals import figures, programme
from app.services.referrals import settings as referral_settings
from app.services.shoptime import shop_today
from tests.factories import advance, make_company, make_customer, place_order

S = OrderStatus
R = ReferralState
SYSTEM = Actor.system("test")
REALISE = (S.confirmed, S.in_production, S.ready, S.handed_over)
PAST_WINDOW = timedelta(days=14, minutes=5)


def configure(session, **changes):
    values = {k: (v.value if hasattr(v, "value") else v) for k, v in referral_settings.DEFAULTS.items()}
    values["enabled"] = "1"
    values.update({k: str(v) for k, v in changes.items()})
    referral_settings.save(session, values, actor=SYSTEM)
    session.commit()


@pytest.fixture
def referrer(db_session):
    return make_customer(db_session, email="anna.petrova@gmail.com", full_name="Анна Петрова", phone="+79161110000")


def new_friend(session, email="boris@example.ru", phone="", name="Борис Смирнов"):
    return make_customer(session, email=email, full_name=name, phone=phone)


def invite(session, referrer, friend, ip="10.0.0.1"):
    code = programme.code_for(session, referrer.id)
    referral = programme.attach(session, friend=friend, code=code, ip=ip)
    session.commit()
    return referral


def first_order(session, friend, product, *, pay=True, **kwargs):
    """The friend's order, with a phone of their own (the factories' checkout types one phone for everybody)."""
    kwargs.setdefault("contact_phone", f"+7926{friend.id:07d}")
    order = place_order(session, friend, product, quantity=product.price_tiers[-1].quantity, **kwargs)
    if pay:
        lifecycle.mark_paid(session, order, actor=SYSTEM)
        session.commit()
    return order


def bal(session, customer):
    return ledger.balance(session, customer.id)


def state(session, referral):
    session.expire_all()
    return session.get(Referral, referral.id)


@pytest.fixture(autouse=True)
def _programme(db_session):
    configure(db_session, min_order_total="100", referrer_points="500", friend_reward="points", friend_points="300")


# --- codes and sign-up ------------------------------------------------------------------------------------------


def test_code_is_random_short_stable_and_not_the_customer_id(db_session, referrer, other_customer):
    code = programme.code_for(db_session, referrer.id)
    assert code == programme.code_for(db_session, referrer.id)
    assert code != programme.code_for(db_session, other_customer.id)
    assert len(code) == 8 and str(referrer.id) != code
    assert programme.find_code(db_session, code.upper()).customer_id == referrer.id
    assert programme.find_code(db_session, "../admin") is None
    assert programme.find_code(db_session, "zzzzzzzz") is None


def test_signup_through_a_link_records_one_referral_for_the_friend(db_session, referrer):
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    assert referral.state == R.registered and referral.referrer_id == referrer.id
    other = make_customer(db_session, email="vera@example.ru", full_name="Вера", phone="+79161112233")
    assert programme.attach(db_session, friend=friend, code=programme.code_for(db_session, other.id)) is None
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Referral)) == 1


@pytest.mark.parametrize(
    "email",
    ["anna.petrova@gmail.com", "AnnaPetrova+print@gmail.com", "a.n.n.a.petrova@googlemail.com"],
)
def test_self_referral_by_the_same_gmail_mailbox_is_refused(db_session, referrer, email):
    friend = new_friend(db_session, email=email if email != referrer.email else "x" + email)
    if email == referrer.email:
        referral = programme.attach(db_session, friend=referrer, code=programme.code_for(db_session, referrer.id))
    else:
        referral = invite(db_session, referrer, friend)
    assert referral.state == R.rejected
    assert referral.reason == programme.NOT_ELIGIBLE
    assert "самого себя" in referral.signals


def test_dots_make_another_mailbox_outside_gmail(db_session):
    referrer = make_customer(db_session, email="anna.petrova@example.ru", full_name="Анна", phone="")
    friend = new_friend(db_session, email="annapetrova@example.ru")
    assert invite(db_session, referrer, friend).state == R.registered
    assert programme.mailbox("Anna.Petrova+x@Example.ru") == "anna.petrova@example.ru"


def test_self_referral_by_the_same_phone_is_refused(db_session, referrer):
    friend = new_friend(db_session, phone="8 (916) 111-00-00")
    referral = invite(db_session, referrer, friend)
    assert referral.state == R.rejected and referral.reason == programme.NOT_ELIGIBLE


def test_a_friend_with_an_earlier_order_or_account_is_not_new(db_session, catalog, referrer):
    old = make_customer(db_session, email="gleb+old@example.ru", full_name="Глеб", phone="+79162223344")
    place_order(db_session, old, catalog.cards)
    friend = new_friend(db_session, email="gleb@example.ru")
    referral = invite(db_session, referrer, friend)
    assert referral.state == R.rejected and referral.reason == programme.NOT_NEW


def test_a_blocked_referrer_link_does_nothing(db_session, referrer):
    code = programme.code_for(db_session, referrer.id)
    referrer.active = False
    db_session.commit()
    assert programme.attach(db_session, friend=new_friend(db_session), code=code) is None


def test_a_second_account_of_a_referred_friend_is_refused(db_session, referrer):
    invite(db_session, referrer, new_friend(db_session, email="dina@example.ru"))
    again = new_friend(db_session, email="dina+2@example.ru", name="Дина")
    other = make_customer(db_session, email="egor@example.ru", full_name="Егор", phone="+79163334455")
    referral = invite(db_session, other, again)
    assert referral.state == R.rejected and referral.reason in (programme.ALREADY, programme.NOT_NEW)


# --- the first order: granted, pending → available ------------------------------------------------------------


def test_reward_pending_on_first_paid_order_available_after_completion_and_window(db_session, catalog, referrer):
    db_session.add(TelegramLink(customer_id=referrer.id, chat_id=4242))  # «points credited» goes by Telegram
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    order = first_order(db_session, friend, catalog.cards)
    assert state(db_session, referral).state == R.pending
    assert bal(db_session, referrer) == ledger.Balance(0, 500)
    assert bal(db_session, friend).pending >= 300
    with time_machine.travel(datetime.now(UTC) + timedelta(days=400), tick=False):
        assert programme.activate_due(db_session) == 0  # paid, never completed
    advance(db_session, order, *REALISE, S.completed)
    with time_machine.travel(datetime.now(UTC) + timedelta(days=13), tick=False):
        assert programme.activate_due(db_session) == 0
    with time_machine.travel(datetime.now(UTC) + PAST_WINDOW, tick=False):
        assert programme.activate_due(db_session) == 1
        db_session.commit()
        assert programme.activate_due(db_session) == 0  # the job run twice
        db_session.commit()
    assert bal(db_session, referrer) == ledger.Balance(500, 0)
    assert state(db_session, referral).state == R.rewarded
    told = db_session.scalars(
        sa.select(Notification).where(Notification.customer_id == referrer.id, Notification.event == "points_credited")
    ).all()
    assert told and {n.payload["points"] for n in told} == {500}
    assert all("приглашённого друга" in n.payload["reason"] for n in told)
    welcome = db_session.scalars(
        sa.select(LoyaltyEntry).where(LoyaltyEntry.kind == EntryKind.referral_welcome, LoyaltyEntry.available > 0)
    ).all()
    assert [e.available for e in welcome] == [300]
    assert ledger.check_balances(db_session) == {}


def test_only_the_first_order_counts_and_a_repeated_payment_grants_nothing_more(db_session, catalog, referrer):
    friend = new_friend(db_session)
    invite(db_session, referrer, friend)
    order = first_order(db_session, friend, catalog.cards)
    first_order(db_session, friend, catalog.flyers)
    programme.judge_first_orders(db_session, [(order.id, friend.id)], SYSTEM)  # a retried payment effect
    db_session.commit()
    assert bal(db_session, referrer) == ledger.Balance(0, 500)
    rewards = db_session.scalars(sa.select(LoyaltyEntry).where(LoyaltyEntry.kind == EntryKind.referral_reward)).all()
    assert len(rewards) == 1


def test_a_first_order_below_the_minimum_is_refused(db_session, catalog, referrer):
    configure(db_session, min_order_total="1000000", friend_reward="points")
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    first_order(db_session, friend, catalog.cards)
    got = state(db_session, referral)
    assert got.state == R.rejected and got.reason.startswith("сумма первого заказа меньше 1000000")
    assert bal(db_session, referrer) == ledger.Balance(0, 0)


def test_the_referrers_phone_typed_at_checkout_is_self_referral(db_session, catalog):
    referrer = make_customer(db_session, email="ivan@example.ru", full_name="Иван", phone="+79990001122")
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    assert referral.state == R.registered
    first_order(db_session, friend, catalog.cards, contact_phone="8 999 000 11 22")
    assert state(db_session, referral).state == R.rejected
    assert bal(db_session, referrer) == ledger.Balance(0, 0)


def test_a_referrer_blocked_before_the_reward_is_due_gets_nothing_the_friend_keeps_theirs(
    db_session, catalog, referrer
):
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    order = first_order(db_session, friend, catalog.cards)
    advance(db_session, order, *REALISE, S.completed)
    referrer.active = False
    db_session.commit()
    welcome = bal(db_session, friend).pending
    with time_machine.travel(datetime.now(UTC) + PAST_WINDOW, tick=False):
        programme.activate_due(db_session)
        programme.activate_due(db_session)
        db_session.commit()
    assert bal(db_session, referrer) == ledger.Balance(0, 0)
    got = state(db_session, referral)
    assert got.state == R.rejected and got.reason == programme.BLOCKED
    friend_welcome = db_session.scalar(
        sa.select(sa.func.sum(LoyaltyEntry.available)).where(LoyaltyEntry.kind == EntryKind.referral_welcome)
    )
    assert friend_welcome == 300 and welcome >= 300
    assert ledger.check_balances(db_session) == {}


# --- reversal -------------------------------------------------------------------------------------------------


def test_cancel_before_the_reward_is_available_reverses_the_pending_reward(db_session, catalog, referrer):
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    order = first_order(db_session, friend, catalog.cards)
    advance(db_session, order, S.cancelled)
    assert bal(db_session, referrer) == ledger.Balance(0, 0)
    got = state(db_session, referral)
    assert got.state == R.reversed and got.reason == programme.CANCELLED
    advance(db_session, order, S.refunded)  # later changes take nothing twice
    assert bal(db_session, referrer) == ledger.Balance(0, 0)
    assert ledger.check_balances(db_session) == {}


def test_refund_after_the_reward_is_available_takes_the_points_back(db_session, catalog, referrer):
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    order = first_order(db_session, friend, catalog.cards)
    advance(db_session, order, *REALISE, S.completed)
    with time_machine.travel(datetime.now(UTC) + PAST_WINDOW, tick=False):
        programme.activate_due(db_session)
        db_session.commit()
    assert bal(db_session, referrer) == ledger.Balance(500, 0)
    advance(db_session, order, S.refunded)
    assert bal(db_session, referrer) == ledger.Balance(0, 0)
    assert state(db_session, referral).reason == programme.REFUNDED
    assert ledger.check_balances(db_session) == {}


# --- held for review ------------------------------------------------------------------------------------------


def test_same_delivery_address_as_the_referrer_is_held_not_paid(db_session, catalog, referrer):
    place_order(
        db_session,
        referrer,
        catalog.cards,
        delivery="courier",
        address="Москва, ул. Ленина, д. 1, кв. 5",
        contact_phone="+79161110000",
    )
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    first_order(db_session, friend, catalog.cards, delivery="courier", address="москва ул ленина д 1 кв 5")
    got = state(db_session, referral)
    assert got.state == R.held and got.flagged and "адрес" in got.signals
    assert bal(db_session, referrer) == ledger.Balance(0, 0)


def test_same_company_inn_is_held(db_session, catalog, referrer):
    company = make_company(db_session, referrer)
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    from tests.factories import add_member

    add_member(db_session, company, friend, "buyer")
    first_order(db_session, friend, catalog.cards)
    got = state(db_session, referral)
    assert got.state == R.held and "ИНН" in got.signals


def test_too_many_signups_from_one_ip_a_day_are_held(db_session, catalog, referrer):
    configure(db_session, signups_per_ip_day="2", min_order_total="100", friend_reward="points")
    friends = [new_friend(db_session, email=f"f{i}@example.ru", name=f"Друг{i}") for i in range(3)]
    referrals = [invite(db_session, referrer, f, ip="10.9.9.9") for f in friends]
    assert [r.flagged for r in referrals] == [False, False, True]
    first_order(db_session, friends[2], catalog.cards)
    assert state(db_session, referrals[2]).state == R.held
    first_order(db_session, friends[0], catalog.cards)
    assert state(db_session, referrals[0]).state == R.pending


def test_more_rewards_a_month_than_the_limit_are_held(db_session, catalog, referrer):
    configure(db_session, rewards_per_month="1", min_order_total="100", friend_reward="points")
    one, two = new_friend(db_session, email="one@example.ru"), new_friend(db_session, email="two@example.ru")
    first, second = invite(db_session, referrer, one), invite(db_session, referrer, two)
    first_order(db_session, one, catalog.cards)
    first_order(db_session, two, catalog.cards)
    assert state(db_session, first).state == R.pending
    assert state(db_session, second).state == R.held


def test_staff_approve_grants_reject_needs_a_reason_and_decisions_happen_once(db_session, catalog, referrer):
    configure(db_session, rewards_per_month="1", min_order_total="100", friend_reward="points")
    friends = [new_friend(db_session, email=f"r{i}@example.ru") for i in range(3)]
    referrals = [invite(db_session, referrer, f) for f in friends]
    for friend in friends:
        first_order(db_session, friend, catalog.cards)
    held = [r.id for r in referrals if state(db_session, r).state == R.held]
    assert len(held) == 2
    staff = Actor.system("Менеджер")
    with pytest.raises(ValidationError):
        programme.review(db_session, held[1:], approve=False, actor=staff, comment="")
    programme.review(db_session, held[:1], approve=True, actor=staff)
    programme.review(db_session, held[1:], approve=False, actor=staff, comment="один и тот же человек")
    db_session.commit()
    assert bal(db_session, referrer) == ledger.Balance(0, 1000)
    with pytest.raises(DomainError):
        programme.review(db_session, held, approve=True, actor=staff)
    db_session.rollback()
    rejected = db_session.get(Referral, held[1])
    assert rejected.state == R.rejected and rejected.reason == programme.REVIEWED
    assert "один и тот же" in rejected.signals
    assert bal(db_session, referrer) == ledger.Balance(0, 1000)


# --- the friend's discount ------------------------------------------------------------------------------------


def test_discount_mode_gives_the_friend_a_one_use_code_for_the_first_order_only(db_session, catalog, referrer):
    configure(db_session, friend_reward="discount", friend_discount="10", min_order_total="100")
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    code = programme.welcome_code(db_session, friend.id)
    assert code and code.startswith("DRUG-")
    assert programme.welcome_code(db_session, referrer.id) is None
    order = first_order(db_session, friend, catalog.cards, promo_code=code)
    goods = order.goods_total
    assert order.discount_total == (goods * Decimal("0.10")).quantize(Decimal("0.01"))
    assert programme.welcome_code(db_session, friend.id) is None
    with pytest.raises(DomainError):
        place_order(db_session, friend, catalog.flyers, promo_code=code)
    db_session.rollback()
    got = state(db_session, referral)
    assert got.state == R.pending and got.welcome_points == 0
    assert db_session.scalar(sa.select(PromoCode.times_used).where(PromoCode.code == code)) == 1


# --- settings and figures -------------------------------------------------------------------------------------


def test_settings_are_checked_and_kept_as_history(db_session):
    before = len(referral_settings.history(db_session))
    with pytest.raises(ValidationError) as error:
        configure(db_session, referrer_points="-5")
    assert "Баллы пригласившему" in error.value.message
    db_session.rollback()
    with pytest.raises(ValidationError):
        configure(db_session, friend_reward="cash")
    db_session.rollback()
    configure(db_session, referrer_points="700")
    assert referral_settings.current(db_session).referrer_points == 700
    assert len(referral_settings.history(db_session)) == before + 1
    row = db_session.scalars(sa.select(ReferralSettings)).first()
    row.referrer_points = 1
    with pytest.raises(AppendOnlyRowChanged):
        db_session.flush()
    db_session.rollback()


def test_figures_for_a_period(db_session, catalog, referrer):
    friend, other = new_friend(db_session), new_friend(db_session, email="olga@example.ru", name="Ольга")
    programme.count_visit(db_session, programme.find_code(db_session, programme.code_for(db_session, referrer.id)))
    invite(db_session, referrer, friend)
    invite(db_session, referrer, other)
    invite(db_session, referrer, new_friend(db_session, email="x@example.ru", phone="+79161110000"))  # self
    order = first_order(db_session, friend, catalog.cards)
    today = shop_today()
    got = figures.figures(db_session, today - timedelta(days=1), today + timedelta(days=1))
    assert got.visits == 1
    assert got.registered == 3
    assert got.first_orders == 1
    assert got.revenue == order.total
    assert got.rewards_points == 500 + 300 and got.rewarded == 1  # the referrer's and the welcome points
    assert got.rejected == {programme.NOT_ELIGIBLE: 1}
    earlier = figures.figures(db_session, today - timedelta(days=30), today - timedelta(days=2))
    assert (earlier.visits, earlier.registered, earlier.first_orders, earlier.revenue) == (0, 0, 0, 0)


def test_unique_key_per_referral_side_keeps_the_ledger_idempotent(db_session, catalog, referrer):
    friend = new_friend(db_session)
    referral = invite(db_session, referrer, friend)
    first_order(db_session, friend, catalog.cards)
    got = state(db_session, referral)
    programme.grant(db_session, got, SYSTEM)  # asked again: the keys are taken
    db_session.commit()
    assert bal(db_session, referrer) == ledger.Balance(0, 500)
    keys = db_session.scalars(sa.select(LoyaltyEntry.key).where(LoyaltyEntry.key.like("referral:%"))).all()
    assert sorted(keys) == sorted([f"referral:{referral.id}:reward", f"referral:{referral.id}:welcome"])
