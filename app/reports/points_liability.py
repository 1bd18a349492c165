"""The points liability for the accountant: points outstanding (pending and available; 1 point = 1 ₽) at the
end of a day, and the movements of a period by kind — all sums of the ledger, days in the shop's time zone."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import EntryKind, LoyaltyAccount, LoyaltyEntry
from app.services.shoptime import shop_tz


def day_end(day: date) -> datetime:
    """The first moment after `day` ends in the shop's time zone (aware)."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=shop_tz())


@dataclass(frozen=True)
class Outstanding:
    available: int
    pending: int

    @property
    def total(self) -> int:
        return self.available + self.pending


@dataclass
class Liability:
    start: date
    end: date
    opening: Outstanding  # at the end of the day before `start`
    closing: Outstanding  # at the end of `end`
    movements: dict[EntryKind, tuple[int, int]] = field(default_factory=dict)  # kind → (available, pending)
    debts: int = 0  # customers with a negative available balance now
    debt_points: int = 0

    @property
    def earned(self) -> int:
        return self.movements.get(EntryKind.earn_pending, (0, 0))[1]

    @property
    def spent(self) -> int:
        return -self.movements.get(EntryKind.spend, (0, 0))[0]

    @property
    def expired(self) -> int:
        return -self.movements.get(EntryKind.expire, (0, 0))[0]

    @property
    def reversed(self) -> int:
        available, pending = self.movements.get(EntryKind.reverse, (0, 0))
        return -(available + pending)

    @property
    def change(self) -> int:
        return sum(a + p for a, p in self.movements.values())


def outstanding(session: Session, day: date) -> Outstanding:
    """Points outstanding at the end of `day`: the sums of every entry made before it ended."""
    available, pending = session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(LoyaltyEntry.available), 0),
            sa.func.coalesce(sa.func.sum(LoyaltyEntry.pending), 0),
        ).where(LoyaltyEntry.created_at < day_end(day))
    ).one()
    return Outstanding(int(available), int(pending))


def liability(session: Session, *, start: date, end: date) -> Liability:
    """Outstanding at both ends of the period and the movements between them (opening + movements = closing)."""
    rows = session.execute(
        sa.select(LoyaltyEntry.kind, sa.func.sum(LoyaltyEntry.available), sa.func.sum(LoyaltyEntry.pending))
        .where(LoyaltyEntry.created_at >= day_end(start - timedelta(days=1)), LoyaltyEntry.created_at < day_end(end))
        .group_by(LoyaltyEntry.kind)
    ).all()
    debts, debt_points = session.execute(
        sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(LoyaltyAccount.available), 0)).where(
            LoyaltyAccount.available < 0
        )
    ).one()
    return Liability(
        start=start,
        end=end,
        opening=outstanding(session, start - timedelta(days=1)),
        closing=outstanding(session, end),
        movements={EntryKind(kind): (int(a or 0), int(p or 0)) for kind, a, p in rows},
        debts=int(debts),
        debt_points=-int(debt_points),
    )
