"""The referral programme's rules.

A customer's link carries a random code (`code_for`). A visitor who opens it keeps the code in a cookie; when they
register, `attach` records one referral for them (the last link before registration wins; a friend is referred
once). Refused at once: self-referral (same account, the same mailbox — `+tags` and, for Gmail-like domains, dots
do not make a new one — or the same phone), a friend who is not a new customer (an earlier account or order with
the same email or phone), a friend already referred, a blocked referrer. Sign-ups through one link from one IP
beyond the day's limit are flagged.

The friend's first paid order (`judge_first_orders`, a payment effect) is judged again with what the order adds
(its contact email and phone, delivery address, company): refusals as above plus a first order below the minimum;
held for staff review when the delivery address or the company's ИНН is the referrer's, when the sign-up was
flagged, or when the referrer already had the month's number of rewards; otherwise the rewards are granted as
pending points (`grant`). `activate_due` (a daily job) makes them available once the order is completed and the
loyalty programme's return window has passed — the path of earned points (a referrer blocked by then gets nothing;
the friend keeps their welcome points). A cancel or refund of the first order
takes the rewards back (`reverse`), pending or available. Every ledger entry has a key made of the referral's id,
so whatever repeats (a double-run job, a retried payment), a reward is granted, activated and reversed once.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.models import (
    Address,
    Company,
    CompanyMember,
    Customer,
    EntryKind,
    FriendReward,
    LoyaltyEntry,
    Order,
    OrderStatus,
    PaymentStatus,
    PromoCode,
    PromoKind,
    Referral,
    ReferralCode,
    ReferralState,
    ReferralVisit,
)
from app.services.actors import Actor
from app.services.customers.addresses import address_one_line
from app.services.errors import DomainError, ValidationError
from app.services.loyalty import ledger
from app.services.loyalty import rules as loyalty_rules
from app.services.messaging import notifications
from app.services.referrals import settings as referral_settings
from app.services.shoptime import from_shop_local, now, shop_today

JOB = Actor.system("реферальная программа")
R = ReferralState
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: readable from a business card
CODE_LENGTH = 8
CODE_PATTERN = re.compile(r"^[a-z0-9]{4,16}$")
GMAIL_LIKE = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}
YANDEX = {"yandex.ru", "ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua"}

# What the customer reads (plain words, no fraud details).
NOT_NEW = "друг уже был клиентом типографии"
ALREADY = "друга уже пригласили раньше"
NOT_ELIGIBLE = "приглашение не соответствует условиям программы"
BLOCKED = "приглашение больше не действует"
CANCELLED = "первый заказ отменён"
REFUNDED = "первый заказ возвращён"
REVIEWED = "отклонено после проверки"


def below_minimum(minimum: Decimal) -> str:
    return f"сумма первого заказа меньше {minimum.normalize():f} ₽"


# --- codes -------------------------------------------------------------------------------------------------


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def code_for(session: Session, customer_id: int) -> str:
    """The customer's link code, made on first use (random: 31⁸ ≈ 8.5·10¹¹ codes, not the customer id)."""
    existing = session.scalar(sa.select(ReferralCode.code).where(ReferralCode.customer_id == customer_id))
    if existing:
        return existing
    while True:
        code = _new_code()
        if session.scalar(sa.select(ReferralCode.customer_id).where(ReferralCode.code == code)) is None:
            break
    session.add(ReferralCode(customer_id=customer_id, code=code))
    session.flush()
    return code


def find_code(session: Session, code: str) -> ReferralCode | None:
    """The code's row if it is well-formed and exists, for a referrer who may still invite (active)."""
    code = (code or "").strip().lower()
    if not CODE_PATTERN.match(code):
        return None
    row = session.scalars(sa.select(ReferralCode).where(ReferralCode.code == code)).first()
    if row is None or not row.customer.active:
        return None
    return row


def count_visit(session: Session, row: ReferralCode) -> None:
    """One more opening of the link: its total and today's (shop day) count."""
    session.execute(
        sa.update(ReferralCode)
        .where(ReferralCode.customer_id == row.customer_id)
        .values(visits=ReferralCode.visits + 1)
        .execution_options(synchronize_session=False)
    )
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert)(ReferralVisit)
    session.execute(
        insert.values(code=row.code, day=shop_today(), visits=1).on_conflict_do_update(
            index_elements=["code", "day"], set_={"visits": ReferralVisit.visits + 1}
        )
    )


def first_name(customer: Customer) -> str:
    """What a link shows of its owner: the first word of their name (nothing else)."""
    words = (customer.full_name or "").split()
    return words[0] if words else ""


# --- identity ----------------------------------------------------------------------------------------------


def mailbox(email: str) -> str:
    """One form per mailbox: lower case, no `+tag`; Gmail ignores dots and is also googlemail.com."""
    local, _, domain = (email or "").strip().lower().rpartition("@")
    if not local:
        return (email or "").strip().lower()
    local = local.split("+", 1)[0]
    if domain in GMAIL_LIKE:
        domain = GMAIL_LIKE[domain]
        local = local.replace(".", "")
    elif domain in YANDEX:
        domain = "yandex.ru"
        local = local.replace(".", "-")
    return f"{local}@{domain}"


def _same_mailbox(column: InstrumentedAttribute[str], email: str) -> sa.ColumnElement[bool]:
    """SQL: the column's address is the same mailbox as `email` (as `mailbox` sees it)."""
    box = mailbox(email)
    local, _, domain = box.rpartition("@")
    lowered = sa.func.lower(column)
    if domain == "gmail.com":
        dotless = sa.func.replace(sa.func.replace(lowered, "googlemail.com", "gmail.com"), ".", "")
        plain = f"{local}@gmailcom"
        return sa.or_(dotless == plain, dotless.like(f"{_like(local)}+%@gmailcom", escape="\\"))
    return sa.or_(lowered == box, lowered.like(f"{_like(local)}+%@{_like(domain)}", escape="\\"))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _phone(value: str | None) -> str:
    digits = re.sub(r"\D+", "", value or "")
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    return "+7" + digits if len(digits) == 10 else ""


def _address_key(text: str | None) -> str:
    return re.sub(r"[^0-9a-zа-яё]+", "", (text or "").lower())


def _is_known(session: Session, *, friend_id: int, emails: Sequence[str], phones: Sequence[str]) -> bool:
    """An earlier account or order (of anyone but the friend) with one of these emails or phones."""
    emails = [e for e in emails if e]
    phones = [p for p in phones if p]
    customer_match = [_same_mailbox(Customer.email, e) for e in emails] + [Customer.phone.in_(phones)]
    if session.scalar(sa.select(sa.exists().where(Customer.id != friend_id, sa.or_(*customer_match)))):
        return True
    order_match = [_same_mailbox(Order.contact_email, e) for e in emails] + [Order.contact_phone.in_(phones)]
    return bool(session.scalar(sa.select(sa.exists().where(Order.customer_id != friend_id, sa.or_(*order_match)))))


def _already_referred(session: Session, *, friend_id: int, emails: Sequence[str], phones: Sequence[str]) -> bool:
    """Another referral's friend with the same mailbox or phone (a second account of a referred friend)."""
    friends = sa.select(Referral.friend_id).where(Referral.friend_id != friend_id)
    match = [_same_mailbox(Customer.email, e) for e in emails if e] + [Customer.phone.in_([p for p in phones if p])]
    return bool(session.scalar(sa.select(sa.exists().where(Customer.id.in_(friends), sa.or_(*match)))))


def _is_self(referrer: Customer, *, emails: Sequence[str], phones: Sequence[str]) -> bool:
    boxes = {mailbox(e) for e in emails if e}
    own_phone = _phone(referrer.phone)
    return mailbox(referrer.email) in boxes or bool(own_phone and own_phone in {_phone(p) for p in phones})


# --- sign-up -----------------------------------------------------------------------------------------------


def attach(session: Session, *, friend: Customer, code: str, ip: str = "") -> Referral | None:
    """Record the friend's referral after registration through a link (None: no valid code, or the friend has one
    already). A refused referral is recorded too (state «отклонён» with its reason), so it cannot be retried."""
    rules = referral_settings.current(session)
    row = find_code(session, code)
    if not rules.enabled or row is None:
        return None
    if session.scalar(sa.select(Referral.id).where(Referral.friend_id == friend.id)) is not None:
        return None
    referrer = row.customer
    emails, phones = [friend.email], [_phone(friend.phone)]
    referral = Referral(referrer_id=referrer.id, friend_id=friend.id, code=row.code, signup_ip=(ip or "")[:64])
    moment = now()
    referral.created_at = moment
    refusal = _refusal(session, referral, referrer=referrer, friend=friend, emails=emails, phones=phones)
    if refusal:
        _reject(referral, *refusal, moment=moment)
    elif ip:
        day_start = from_shop_local(datetime.combine(shop_today(moment), datetime.min.time()))
        same_ip = session.scalar(
            sa.select(sa.func.count()).where(
                Referral.code == row.code, Referral.signup_ip == ip[:64], Referral.created_at >= day_start
            )
        )
        if (same_ip or 0) >= rules.signups_per_ip_day:
            referral.flagged = True
            referral.signals = f"более {rules.signups_per_ip_day} регистраций по ссылке с IP {ip} за день"
    session.add(referral)
    session.flush()
    if referral.state == R.registered and rules.friend_reward == FriendReward.discount:
        referral.promo_code_id = _welcome_promo(session, referral, rules.friend_discount).id
    return referral


def _refusal(
    session: Session,
    referral: Referral,
    *,
    referrer: Customer,
    friend: Customer,
    emails: Sequence[str],
    phones: Sequence[str],
) -> tuple[str, str] | None:
    """(what the customer reads, what staff read) for a rule that refuses the referral, or None."""
    if referrer.id == friend.id or _is_self(referrer, emails=emails, phones=phones):
        return NOT_ELIGIBLE, "приглашение самого себя (тот же аккаунт, почтовый ящик или телефон)"
    if not referrer.active:
        return BLOCKED, "пригласивший заблокирован"
    if _already_referred(session, friend_id=friend.id, emails=emails, phones=phones):
        return ALREADY, "этот почтовый ящик или телефон уже приглашали"
    if _is_known(session, friend_id=friend.id, emails=emails, phones=phones):
        return NOT_NEW, "есть более ранний аккаунт или заказ с той же почтой или телефоном"
    return None


def _reject(referral: Referral, public: str, internal: str, *, moment: datetime) -> None:
    referral.state = R.rejected
    referral.reason = public
    referral.signals = "; ".join(s for s in (referral.signals, internal) if s)[:500]
    referral.decided_at = moment


def _welcome_promo(session: Session, referral: Referral, percent: Decimal) -> PromoCode:
    """A one-use personal code for the friend's first order (shown on the checkout page, filled in for them)."""
    while True:
        code = "DRUG-" + _new_code().upper()
        if session.scalar(sa.select(PromoCode.id).where(PromoCode.code == code)) is None:
            break
    promo = PromoCode(
        code=code,
        description=f"Скидка другу по приглашению #{referral.id}",
        kind=PromoKind.percent,
        value=percent,
        usage_limit=1,
        per_customer_limit=1,
        valid_from=shop_today(),
        valid_until=shop_today() + timedelta(days=90),
        is_active=True,
    )
    session.add(promo)
    session.flush()
    return promo


def welcome_code(session: Session, customer_id: int) -> str | None:
    """The friend's personal discount code while it can still be used on their first order."""
    row = session.execute(
        sa.select(PromoCode.code, PromoCode.is_active, PromoCode.times_used, PromoCode.valid_until)
        .join(Referral, Referral.promo_code_id == PromoCode.id)
        .where(Referral.friend_id == customer_id, Referral.state == R.registered)
    ).first()
    if row is None or not row.is_active or row.times_used or (row.valid_until and row.valid_until < shop_today()):
        return None
    return str(row.code)


# --- the first order ---------------------------------------------------------------------------------------


def judge_first_orders(session: Session, orders: Sequence[tuple[int, int]], actor: Actor) -> list[Referral]:
    """Payments recorded for [(order id, customer id)]: judge each friend's first paid order (once)."""
    by_friend = {customer_id: order_id for order_id, customer_id in sorted(orders, reverse=True)}
    if not by_friend:
        return []
    referrals = list(
        session.scalars(
            sa.select(Referral)
            .where(Referral.friend_id.in_(list(by_friend)), Referral.state == R.registered)
            .order_by(Referral.referrer_id)
            .with_for_update()
        )
    )
    judged = []
    for referral in referrals:
        order = session.get(Order, by_friend[referral.friend_id], populate_existing=True)
        if order is None or order.payment_status != PaymentStatus.paid:
            continue
        earlier = session.scalar(
            sa.select(
                sa.exists().where(
                    Order.customer_id == referral.friend_id,
                    Order.id != order.id,
                    Order.payment_status == PaymentStatus.paid,
                )
            )
        )
        _judge(session, referral, order, actor, not_first=bool(earlier))
        judged.append(referral)
    return judged


def _judge(session: Session, referral: Referral, order: Order, actor: Actor, *, not_first: bool = False) -> None:
    rules = referral_settings.current(session)
    moment = now()
    referral.order_id = order.id
    referral.first_order_at = moment
    referrer, friend = referral.referrer, referral.friend
    emails = [friend.email, order.contact_email]
    phones = [_phone(friend.phone), _phone(order.contact_phone)]
    refusal = _refusal(session, referral, referrer=referrer, friend=friend, emails=emails, phones=phones)
    if refusal is None and not_first:
        refusal = NOT_NEW, "у друга уже был оплаченный заказ"
    if refusal is None and order.goods_total - order.discount_total < rules.min_order_total:
        refusal = below_minimum(rules.min_order_total), "первый заказ меньше минимальной суммы"
    if refusal:
        _reject(referral, *refusal, moment=moment)
        return
    signals = _signals(session, referral, order, rules.rewards_per_month)
    if referral.flagged or signals:
        referral.state = R.held
        referral.flagged = True
        referral.signals = "; ".join(s for s in [referral.signals, *signals] if s)[:500]
        return
    grant(session, referral, actor)


def _signals(session: Session, referral: Referral, order: Order, per_month: int) -> list[str]:
    """What sends a first order to staff review (never shown to customers)."""
    found = []
    referrer_id = referral.referrer_id
    key = _address_key(order.delivery_address)
    if key:
        theirs = set(
            session.scalars(
                sa.select(Order.delivery_address).where(Order.customer_id == referrer_id, Order.delivery_address != "")
            )
        )
        saved = session.scalars(sa.select(Address).where(Address.customer_id == referrer_id))
        theirs |= {address_one_line(a) for a in saved}
        if key in {_address_key(a) for a in theirs}:
            found.append("адрес доставки совпадает с адресом пригласившего")
    friend_inns = set(
        session.scalars(
            sa.select(Company.inn)
            .join(CompanyMember, CompanyMember.company_id == Company.id)
            .where(CompanyMember.customer_id == referral.friend_id)
        )
    )
    if order.company_id is not None:
        friend_inns.add(session.scalar(sa.select(Company.inn).where(Company.id == order.company_id)) or "")
    referrer_inns = set(
        session.scalars(
            sa.select(Company.inn)
            .join(CompanyMember, CompanyMember.company_id == Company.id)
            .where(CompanyMember.customer_id == referrer_id)
        )
    )
    if friend_inns & referrer_inns - {""}:
        found.append("ИНН компании совпадает с компанией пригласившего")
    month_start = from_shop_local(datetime.combine(shop_today().replace(day=1), datetime.min.time()))
    rewarded = session.scalar(
        sa.select(sa.func.count()).where(
            Referral.referrer_id == referrer_id,
            Referral.id != referral.id,
            Referral.state.in_([R.pending, R.rewarded]),
            Referral.decided_at >= month_start,
        )
    )
    if (rewarded or 0) >= per_month:
        found.append(f"у пригласившего уже {rewarded} наград в этом месяце (лимит {per_month})")
    return found


def grant(session: Session, referral: Referral, actor: Actor) -> None:
    """The rewards as pending points: the referrer's, and the friend's welcome points when that is the friend's
    reward. Amounts come from the settings in force and are recorded on the referral."""
    rules = referral_settings.current(session)
    referral.state = R.pending
    referral.decided_at = now()
    if not referral.reward_points:
        referral.reward_points = rules.referrer_points
    if rules.friend_reward == FriendReward.points and not referral.welcome_points and not referral.promo_code_id:
        referral.welcome_points = rules.friend_points
    friend_name = first_name(referral.friend) or "друг"
    sides = (
        (referral.referrer_id, EntryKind.referral_reward, referral.reward_points, "reward", f"Друг {friend_name}"),
        (referral.friend_id, EntryKind.referral_welcome, referral.welcome_points, "welcome", "Приветственные баллы"),
    )
    for customer_id, kind, points, role, why in sides:
        if points <= 0:
            continue
        ledger.lock(session, customer_id)
        ledger.post(
            session,
            customer_id=customer_id,
            kind=kind,
            key=f"referral:{referral.id}:{role}",
            actor=actor,
            pending=points,
            reason=f"{why}: первый заказ по приглашению (ожидает окончания срока возврата)",
        )


def _ledger_state(session: Session, referral: Referral, role: str) -> tuple[int, int]:
    """(pending, available) still held by the referral's entries of one side."""
    pending, available = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(LoyaltyEntry.pending), 0),
            sa.func.coalesce(sa.func.sum(LoyaltyEntry.available), 0),
        ).where(LoyaltyEntry.key.like(f"referral:{referral.id}:{role}%"))
    ).one()
    return int(pending), int(available)


def _sides(referral: Referral) -> list[tuple[int, EntryKind, str]]:
    return [
        (referral.referrer_id, EntryKind.referral_reward, "reward"),
        (referral.friend_id, EntryKind.referral_welcome, "welcome"),
    ]


def activate_due(session: Session) -> int:
    """Referrals whose first order is completed and past the return window: their pending points become
    available. Returns the number of referrals activated; a second run finds nothing left."""
    window = loyalty_rules.current(session).return_window_days
    cutoff = now() - timedelta(days=window)
    due = list(
        session.scalars(
            sa.select(Referral)
            .join(Order, Order.id == Referral.order_id)
            .where(
                Referral.state == R.pending,
                Order.status == OrderStatus.completed,
                Order.completed_at <= cutoff,
            )
            .order_by(Referral.id)
        )
    )
    done = 0
    for referral in due:
        blocked = not referral.referrer.active
        for customer_id, kind, role in _sides(referral):
            ledger.lock(session, customer_id)
            pending, _ = _ledger_state(session, referral, role)
            key = f"referral:{referral.id}:{role}:activate"
            if blocked and role == "reward":  # blocked before the reward was due: it is not paid
                ledger.post(
                    session,
                    customer_id=customer_id,
                    kind=kind,
                    key=f"referral:{referral.id}:{role}:reverse",
                    actor=JOB,
                    pending=-pending,
                    reason=f"Бонус за приглашение отменён: {BLOCKED}",
                )
                continue
            if pending > 0 and ledger.post(
                session,
                customer_id=customer_id,
                kind=kind,
                key=key,
                actor=JOB,
                available=pending,
                pending=-pending,
                reason="Бонус за приглашение: срок возврата прошёл",
            ):
                notifications.notify(
                    session,
                    customer_id=customer_id,
                    event=notifications.POINTS_CREDITED,
                    payload={
                        "points": pending,
                        "reason": "за приглашённого друга" if role == "reward" else "приветственные, по приглашению",
                        "balance": ledger.balance(session, customer_id).available,
                    },
                    dedupe_key=f"points_credited:{key}",
                )
        if blocked:
            _reject(referral, BLOCKED, "пригласивший заблокирован до того, как награда стала доступна", moment=now())
            continue
        referral.state = R.rewarded
        referral.rewarded_at = now()
        done += 1
    session.flush()
    return done


def reverse(session: Session, order_ids: Sequence[int], actor: Actor, why: str = CANCELLED) -> int:
    """The first orders were cancelled or refunded: take back the rewards (pending or available — the balance may
    go below zero, as with earned points); a referral not yet rewarded is refused. Returns referrals touched."""
    if not order_ids:
        return 0
    referrals = list(
        session.scalars(
            sa.select(Referral)
            .where(Referral.order_id.in_(list(order_ids)), Referral.state.in_([R.held, R.pending, R.rewarded]))
            .order_by(Referral.id)
        )
    )
    moment = now()
    for referral in referrals:
        if referral.state == R.held:
            _reject(referral, CANCELLED, "первый заказ отменён до проверки", moment=moment)
            continue
        for customer_id, kind, role in _sides(referral):
            ledger.lock(session, customer_id)
            pending, available = _ledger_state(session, referral, role)
            if pending or available:
                ledger.post(
                    session,
                    customer_id=customer_id,
                    kind=kind,
                    key=f"referral:{referral.id}:{role}:reverse",
                    actor=actor,
                    available=-available,
                    pending=-pending,
                    reason=f"Бонус за приглашение отменён: {why}",
                )
        referral.state = R.reversed
        referral.reason = why
        referral.decided_at = moment
    session.flush()
    return len(referrals)


# --- staff review ------------------------------------------------------------------------------------------


@dataclass
class ReviewOutcome:
    done: list[int]
    skipped: dict[int, str]


def review(session: Session, ids: Sequence[int], *, approve: bool, actor: Actor, comment: str = "") -> ReviewOutcome:
    """Approve (grant the rewards) or reject (with a reason, required) referrals held for review."""
    comment = (comment or "").strip()
    if not approve and len(comment) < 3:
        raise ValidationError("Укажите причину отклонения.", field="comment")
    if not ids:
        raise ValidationError("Выберите приглашения.")
    outcome = ReviewOutcome([], {})
    rows = {r.id: r for r in session.scalars(sa.select(Referral).where(Referral.id.in_(list(ids))).with_for_update())}
    moment = now()
    for referral_id in ids:
        referral = rows.get(referral_id)
        if referral is None:
            outcome.skipped[referral_id] = "не найдено"
            continue
        if referral.state != R.held:
            outcome.skipped[referral_id] = f"уже «{referral.state.label}»"
            continue
        referral.reviewed_by_name = actor.name[:200]
        referral.review_comment = comment[:500]
        if approve:
            order = session.get(Order, referral.order_id, populate_existing=True) if referral.order_id else None
            if order is None or order.status in (OrderStatus.cancelled, OrderStatus.refunded):
                outcome.skipped[referral_id] = "первый заказ отменён"
                continue
            grant(session, referral, actor)
        else:
            _reject(referral, REVIEWED, f"отклонено: {comment}", moment=moment)
        outcome.done.append(referral_id)
    session.flush()
    if not outcome.done and outcome.skipped:
        raise DomainError("Ничего не изменено: " + "; ".join(f"#{i} {w}" for i, w in outcome.skipped.items()))
    return outcome


# --- what the customer sees --------------------------------------------------------------------------------


@dataclass(frozen=True)
class InvitedFriend:
    name: str
    registered_on: datetime
    state: ReferralState
    state_text: str
    points: int


def invited_friends(session: Session, referrer_id: int) -> list[InvitedFriend]:
    """The referrer's friends: first name, date, state in plain words (no fraud details)."""
    rows = session.execute(
        sa.select(Referral, Customer.full_name)
        .join(Customer, Customer.id == Referral.friend_id)
        .where(Referral.referrer_id == referrer_id)
        .order_by(Referral.created_at.desc(), Referral.id.desc())
    ).all()
    found = []
    for referral, full_name in rows:
        words = (full_name or "").split()
        if referral.state == R.rejected:
            text = f"Отклонён: {referral.reason}"
        elif referral.state == R.reversed:
            text = f"Бонус отменён: {referral.reason}"
        elif referral.state in (R.held, R.pending):
            text = "Первый заказ — бонус ожидает окончания срока возврата"
        else:
            text = referral.state.label
        found.append(
            InvitedFriend(
                name=words[0] if words else "Без имени",
                registered_on=referral.created_at,
                state=referral.state,
                state_text=text,
                points=referral.reward_points if referral.state in (R.pending, R.rewarded) else 0,
            )
        )
    return found
