"""Moderation figures for the manager: reviews per period, how long reviews wait for a moderator, rejection
reasons, and the average rating of each product (published reviews, as the product pages show them)."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import ActorKind, Product
from app.models.reviews import RejectReason, Review, ReviewEvent, ReviewState
from app.services.shoptime import shop_tz, to_shop

GROUPINGS = {"day": "по дням", "week": "по неделям", "month": "по месяцам"}
MONTHS = ("янв", "фев", "мар", "апр", "май", "июн", "июл", "авг", "сен", "окт", "ноя", "дек")


@dataclass(frozen=True)
class PeriodRow:
    label: str
    start: date
    written: int
    published: int
    rejected: int
    pending: int


@dataclass(frozen=True)
class ProductRow:
    product: str
    count: int
    average: Decimal
    low: int  # 1 and 2 stars: the figure a manager should not lose sight of


@dataclass
class ReviewFigures:
    start: date
    end: date
    grouping: str
    periods: list[PeriodRow] = field(default_factory=list)
    decisions: int = 0  # first decisions by staff on reviews that were waiting
    average_wait: timedelta | None = None
    longest_wait: timedelta | None = None
    reasons: list[tuple[str, int]] = field(default_factory=list)
    products: list[ProductRow] = field(default_factory=list)
    pending_now: int = 0

    @property
    def written(self) -> int:
        return sum(row.written for row in self.periods)


def bucket_start(day: date, grouping: str) -> date:
    if grouping == "week":
        return day - timedelta(days=day.weekday())
    if grouping == "month":
        return day.replace(day=1)
    return day


def bucket_label(start: date, grouping: str) -> str:
    if grouping == "week":
        end = start + timedelta(days=6)
        return f"{start:%d.%m} – {end:%d.%m.%Y}"
    if grouping == "month":
        return f"{MONTHS[start.month - 1]} {start.year}"
    return f"{start:%d.%m.%Y}"


def _next(start: date, grouping: str) -> date:
    if grouping == "week":
        return start + timedelta(days=7)
    if grouping == "month":
        return (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start + timedelta(days=1)


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Shop-local days [start, end] as aware moments."""
    tz = shop_tz()
    return datetime.combine(start, time.min, tzinfo=tz), datetime.combine(end + timedelta(days=1), time.min, tzinfo=tz)


def format_wait(value: timedelta | None) -> str:
    """«2 ч 15 мин», «3 дн 4 ч», «40 мин»."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days} дн {hours} ч"
    if hours:
        return f"{hours} ч {minutes} мин"
    return f"{minutes} мин"


def _periods(session: Session, start: date, end: date, grouping: str) -> list[PeriodRow]:
    since, until = _bounds(start, end)
    rows = session.execute(
        sa.select(Review.created_at, Review.state).where(Review.created_at >= since, Review.created_at < until)
    ).all()
    counts: dict[date, Counter] = defaultdict(Counter)
    for created_at, state in rows:
        bucket = bucket_start(to_shop(created_at).date(), grouping)
        counts[bucket]["written"] += 1
        counts[bucket][ReviewState(state).value] += 1
    result = []
    bucket = bucket_start(start, grouping)
    while bucket <= end:
        c = counts.get(bucket, Counter())
        result.append(
            PeriodRow(
                bucket_label(bucket, grouping),
                bucket,
                c["written"],
                c[ReviewState.published.value],
                c[ReviewState.rejected.value],
                c[ReviewState.pending.value],
            )
        )
        bucket = _next(bucket, grouping)
    return result


def _waits(session: Session, since: datetime, until: datetime) -> list[timedelta]:
    """For each staff decision on a waiting review in the period: the time since the author last sent it."""
    decided = (
        sa.select(ReviewEvent.review_id)
        .where(
            ReviewEvent.field == "state",
            ReviewEvent.actor_kind == ActorKind.staff,
            ReviewEvent.created_at >= since,
            ReviewEvent.created_at < until,
        )
        .distinct()
    )
    events = session.execute(
        sa.select(
            ReviewEvent.review_id,
            ReviewEvent.field,
            ReviewEvent.actor_kind,
            ReviewEvent.old_value,
            ReviewEvent.created_at,
        )
        .where(ReviewEvent.review_id.in_(decided), ReviewEvent.field.in_(("created", "edited", "state")))
        .order_by(ReviewEvent.review_id, ReviewEvent.id)
    ).all()
    waits = []
    sent_at: dict[int, datetime] = {}
    for review_id, field_name, actor_kind, old_value, created_at in events:
        if field_name in ("created", "edited"):
            sent_at[review_id] = created_at
        elif (
            actor_kind == ActorKind.staff
            and old_value == ReviewState.pending.value
            and since <= created_at < until
            and review_id in sent_at
        ):
            waits.append(created_at - sent_at[review_id])
    return waits


def review_figures(session: Session, *, start: date, end: date, grouping: str = "week") -> ReviewFigures:
    grouping = grouping if grouping in GROUPINGS else "week"
    figures = ReviewFigures(start=start, end=end, grouping=grouping)
    figures.periods = _periods(session, start, end, grouping)
    since, until = _bounds(start, end)
    waits = _waits(session, since, until)
    figures.decisions = len(waits)
    if waits:
        figures.average_wait = sum(waits, timedelta()) / len(waits)
        figures.longest_wait = max(waits)
    reasons = dict(
        session.execute(
            sa.select(Review.reject_reason, sa.func.count())
            .where(Review.state == ReviewState.rejected, Review.moderated_at >= since, Review.moderated_at < until)
            .group_by(Review.reject_reason)
        ).all()
    )
    figures.reasons = [(reason.label, reasons.get(reason, 0)) for reason in RejectReason]
    figures.products = [
        ProductRow(
            name,
            int(count),
            (Decimal(int(total)) / Decimal(int(count))).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP),
            int(low or 0),
        )
        for name, count, total, low in session.execute(
            sa.select(
                Product.name,
                sa.func.count(Review.id),
                sa.func.sum(Review.rating),
                sa.func.sum(sa.case((Review.rating <= 2, 1), else_=0)),
            )
            .join(Product, Product.id == Review.product_id)
            .where(Review.state == ReviewState.published)
            .group_by(Product.id, Product.name)
            .order_by(Product.name)
        ).all()
    ]
    figures.pending_now = (
        session.scalar(sa.select(sa.func.count()).select_from(Review).where(Review.state == ReviewState.pending)) or 0
    )
    return figures
