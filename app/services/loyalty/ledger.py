"""The points ledger: the one place entries are written, and balances as its sums.

`post` appends an entry and moves the customer's cached balance (`loyalty_account`) in the same statement
sequence, so the two never differ (`check_balances` proves it). Every entry has a key the database keeps unique:
posting the same key twice does nothing the second time. `spend` takes points with an UPDATE guarded by the
balance (`available >= n`), which PostgreSQL re-checks after a concurrent spend commits: two checkouts spending
the same points give one success and one «баллов уже недостаточно», never a negative balance from spending.
Operations that compute an amount from the ledger first `lock` the account row (SELECT … FOR UPDATE).
Nothing here updates or deletes an entry; the database refuses it too (triggers).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import EntryKind, LoyaltyAccount, LoyaltyEntry
from app.services.actors import Actor
from app.services.errors import DomainError, ValidationError
from app.services.shoptime import now

MAX_ADJUSTMENT = 1_000_000


class NotEnoughPoints(DomainError):
    """A spend the balance no longer covers (someone spent them a moment ago)."""


def _insert(session: Session, model: type) -> Any:  # noqa: ANN401 - a dialect's INSERT (with ON CONFLICT)
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)


def ensure_account(session: Session, customer_id: int) -> None:
    """Create the customer's account row if it is missing (concurrent creators are fine)."""
    session.execute(
        _insert(session, LoyaltyAccount)
        .values(customer_id=customer_id, available=0, pending=0, tier="start", tier_turnover=0, updated_at=now())
        .on_conflict_do_nothing(index_elements=["customer_id"])
    )


def lock(session: Session, customer_id: int) -> LoyaltyAccount:
    """The customer's account row, locked until the transaction ends (FOR UPDATE on PostgreSQL; SQLite has one
    writer at a time, taken by the UPDATE that touches the row)."""
    ensure_account(session, customer_id)
    session.execute(
        sa.update(LoyaltyAccount)
        .where(LoyaltyAccount.customer_id == customer_id)
        .values(updated_at=now())
        .execution_options(synchronize_session=False)
    )
    account = session.scalars(
        sa.select(LoyaltyAccount)
        .where(LoyaltyAccount.customer_id == customer_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    return account


def entry_key(session: Session, kind: EntryKind, order_id: int) -> str:
    """The next key of an order's entries of a kind: `reverse:123:1`, then `reverse:123:2` after an undo."""
    count = session.scalar(
        sa.select(sa.func.count()).where(LoyaltyEntry.order_id == order_id, LoyaltyEntry.kind == kind)
    )
    return f"{kind.value}:{order_id}:{(count or 0) + 1}"


def post(
    session: Session,
    *,
    customer_id: int,
    kind: EntryKind,
    key: str,
    actor: Actor,
    available: int = 0,
    pending: int = 0,
    order_id: int | None = None,
    reason: str = "",
    moment: datetime | None = None,
) -> int | None:
    """Append one entry and move the cached balances; returns the entry id, or None when the key was already
    used (the operation had been done) or the entry would move nothing. The general way to write the ledger:
    earnings, referrals and corrections all come through here."""
    if available == 0 and pending == 0:
        return None
    ensure_account(session, customer_id)
    entry_id = session.execute(
        _insert(session, LoyaltyEntry)
        .values(
            customer_id=customer_id,
            kind=kind,
            available=int(available),
            pending=int(pending),
            order_id=order_id,
            key=key[:120],
            reason=reason[:500],
            actor_kind=actor.kind,
            actor_staff_id=actor.staff_id,
            actor_customer_id=actor.customer_id,
            actor_name=actor.name[:200],
            created_at=moment or now(),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(LoyaltyEntry.id)
    ).scalar()
    if entry_id is None:
        return None
    session.execute(
        sa.update(LoyaltyAccount)
        .where(LoyaltyAccount.customer_id == customer_id)
        .values(
            available=LoyaltyAccount.available + int(available),
            pending=LoyaltyAccount.pending + int(pending),
            updated_at=now(),
        )
        .execution_options(synchronize_session=False)
    )
    return entry_id


def spend(
    session: Session,
    *,
    customer_id: int,
    points: int,
    key: str,
    actor: Actor,
    order_id: int | None = None,
    reason: str = "",
) -> int | None:
    """Take `points` from the available balance if it still covers them, else NotEnoughPoints (the caller rolls
    back). Idempotent on `key`: a repeated spend takes nothing."""
    if points <= 0:
        raise ValidationError("Укажите число баллов больше нуля.", field="points")
    ensure_account(session, customer_id)
    taken = session.execute(
        sa.update(LoyaltyAccount)
        .where(LoyaltyAccount.customer_id == customer_id, LoyaltyAccount.available >= points)
        .values(available=LoyaltyAccount.available - points, updated_at=now())
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if not taken:
        left = session.scalar(sa.select(LoyaltyAccount.available).where(LoyaltyAccount.customer_id == customer_id))
        raise NotEnoughPoints(
            f"Баллов уже недостаточно: доступно {max(left or 0, 0)}, а нужно {points}. Обновите страницу.",
            field="points",
        )
    entry_id = session.execute(
        _insert(session, LoyaltyEntry)
        .values(
            customer_id=customer_id,
            kind=EntryKind.spend,
            available=-points,
            pending=0,
            order_id=order_id,
            key=key[:120],
            reason=reason[:500],
            actor_kind=actor.kind,
            actor_staff_id=actor.staff_id,
            actor_customer_id=actor.customer_id,
            actor_name=actor.name[:200],
            created_at=now(),
        )
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(LoyaltyEntry.id)
    ).scalar()
    if entry_id is None:  # spent before under this key: give the points back
        session.execute(
            sa.update(LoyaltyAccount)
            .where(LoyaltyAccount.customer_id == customer_id)
            .values(available=LoyaltyAccount.available + points)
            .execution_options(synchronize_session=False)
        )
    return entry_id


def adjust(session: Session, *, customer_id: int, points: int | str, reason: str, actor: Actor, key: str) -> int:
    """A staff member's correction (either sign) with a reason; the entry names the staff member."""
    try:
        amount = int(str(points).strip().replace(" ", "").replace("+", ""))
    except ValueError:
        raise ValidationError("Укажите целое число баллов, например 500 или -200.", field="points") from None
    if amount == 0 or abs(amount) > MAX_ADJUSTMENT:
        raise ValidationError("Корректировка — от 1 до 1 000 000 баллов, со знаком минус для списания.", field="points")
    if len(reason.strip()) < 5:
        raise ValidationError("Укажите причину корректировки (не короче 5 символов).", field="reason")
    if not key or len(key) > 64:
        raise ValidationError("Форма устарела — обновите страницу.")
    lock(session, customer_id)
    entry_id = post(
        session,
        customer_id=customer_id,
        kind=EntryKind.adjust,
        key=f"adjust:{key}",
        actor=actor,
        available=amount,
        reason=reason.strip(),
    )
    if entry_id is None:
        raise ValidationError("Эта корректировка уже проведена.")
    return entry_id


@dataclass(frozen=True)
class Balance:
    available: int
    pending: int


def ledger_balance(session: Session, customer_id: int, *, at: datetime | None = None) -> Balance:
    """The sums of the customer's entries (up to `at`): the definition of the balance."""
    query = sa.select(
        sa.func.coalesce(sa.func.sum(LoyaltyEntry.available), 0), sa.func.coalesce(sa.func.sum(LoyaltyEntry.pending), 0)
    ).where(LoyaltyEntry.customer_id == customer_id)
    if at is not None:
        query = query.where(LoyaltyEntry.created_at <= at)
    available, pending = session.execute(query).one()
    return Balance(int(available), int(pending))


def balance(session: Session, customer_id: int) -> Balance:
    """The cached balance (equal to the ledger's sums; see check_balances)."""
    row = session.execute(
        sa.select(LoyaltyAccount.available, LoyaltyAccount.pending).where(LoyaltyAccount.customer_id == customer_id)
    ).first()
    return Balance(int(row.available), int(row.pending)) if row else Balance(0, 0)


def check_balances(session: Session, customer_ids: Iterable[int] | None = None) -> dict[int, tuple[Balance, Balance]]:
    """Accounts whose cached balance differs from the ledger's sums: {customer: (cached, ledger)}; empty is good."""
    sums = (
        sa.select(
            LoyaltyEntry.customer_id.label("customer_id"),
            sa.func.sum(LoyaltyEntry.available).label("available"),
            sa.func.sum(LoyaltyEntry.pending).label("pending"),
        )
        .group_by(LoyaltyEntry.customer_id)
        .subquery()
    )
    query = sa.select(
        LoyaltyAccount.customer_id,
        LoyaltyAccount.available,
        LoyaltyAccount.pending,
        sa.func.coalesce(sums.c.available, 0),
        sa.func.coalesce(sums.c.pending, 0),
    ).outerjoin(sums, sums.c.customer_id == LoyaltyAccount.customer_id)
    if customer_ids is not None:
        query = query.where(LoyaltyAccount.customer_id.in_(list(customer_ids)))
    wrong: dict[int, tuple[Balance, Balance]] = {}
    for customer_id, available, pending, ledger_available, ledger_pending in session.execute(query):
        if (available, pending) != (int(ledger_available), int(ledger_pending)):
            wrong[customer_id] = (Balance(available, pending), Balance(int(ledger_available), int(ledger_pending)))
    orphans = sa.select(LoyaltyEntry.customer_id).where(
        ~sa.exists().where(LoyaltyAccount.customer_id == LoyaltyEntry.customer_id)
    )
    for customer_id in session.scalars(orphans.distinct()):
        wrong[customer_id] = (Balance(0, 0), ledger_balance(session, customer_id))
    return wrong


def entries(session: Session, customer_id: int, *, limit: int = 200) -> list[LoyaltyEntry]:
    return list(
        session.scalars(
            sa.select(LoyaltyEntry)
            .where(LoyaltyEntry.customer_id == customer_id)
            .order_by(LoyaltyEntry.created_at.desc(), LoyaltyEntry.id.desc())
            .limit(limit)
        )
    )
