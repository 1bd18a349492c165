"""What the product page shows: the rating summary of published reviews (average, count, distribution), the
reviews sorted and filtered, «полезно» votes (one per customer), and the schema.org AggregateRating data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from app.models import Customer, Product
from app.models.reviews import Review, ReviewPhoto, ReviewState, ReviewVote
from app.services.errors import NotFound, PermissionDenied, ValidationError

PAGE_SIZE = 10
SORTS = {
    "new": "Сначала новые",
    "helpful": "Сначала полезные",
    "rating_high": "Сначала с высокой оценкой",
    "rating_low": "Сначала с низкой оценкой",
}
DEFAULT_SORT = "new"
STARS = (5, 4, 3, 2, 1)


@dataclass(frozen=True)
class RatingSummary:
    """The published reviews of a product: how many of each star, and from that the count and the average."""

    distribution: dict[int, int] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(self.distribution.values())

    @property
    def average(self) -> Decimal | None:
        """The mean rating to one decimal (ROUND_HALF_UP); None without reviews."""
        if not self.count:
            return None
        total = sum(star * n for star, n in self.distribution.items())
        return (Decimal(total) / Decimal(self.count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)

    @property
    def average_label(self) -> str:
        return str(self.average).replace(".", ",") if self.average is not None else ""

    def of(self, star: int) -> int:
        return self.distribution.get(star, 0)

    def rows(self) -> list[tuple[int, int]]:
        return [(star, self.of(star)) for star in STARS]


def rating_summary(session: Session, product_id: int) -> RatingSummary:
    rows = session.execute(
        sa.select(Review.rating, sa.func.count())
        .where(Review.product_id == product_id, Review.state == ReviewState.published)
        .group_by(Review.rating)
    ).all()
    return RatingSummary({int(rating): int(n) for rating, n in rows})


def reviews_word(count: int) -> str:
    """«1 отзыв», «3 отзыва», «5 отзывов»."""
    if count % 10 == 1 and count % 100 != 11:
        return f"{count} отзыв"
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return f"{count} отзыва"
    return f"{count} отзывов"


@dataclass(frozen=True)
class ReviewPage:
    reviews: list[Review]
    total: int
    page: int
    pages: int
    sort: str
    with_photos: bool


def _order(sort: str) -> list:
    newest = [Review.created_at.desc(), Review.id.desc()]
    if sort == "helpful":
        return [Review.helpful_count.desc(), *newest]
    if sort == "rating_high":
        return [Review.rating.desc(), *newest]
    if sort == "rating_low":
        return [Review.rating.asc(), *newest]
    # Pinned first only in the default order: a customer who sorts by rating gets exactly that.
    return [Review.pinned.desc(), *newest]


def product_reviews(
    session: Session, *, product_id: int, sort: str = DEFAULT_SORT, with_photos: bool = False, page: int = 1
) -> ReviewPage:
    """One page of the product's published reviews, sorted; `with_photos` keeps those with a visible photo."""
    sort = sort if sort in SORTS else DEFAULT_SORT
    condition = sa.and_(Review.product_id == product_id, Review.state == ReviewState.published)
    if with_photos:
        condition = sa.and_(condition, Review.photos.any(ReviewPhoto.hidden.is_(False)))
    total = session.scalar(sa.select(sa.func.count()).select_from(Review).where(condition)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    reviews = list(
        session.scalars(
            sa.select(Review)
            .where(condition)
            .order_by(*_order(sort))
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
            .options(selectinload(Review.photos))
        )
    )
    return ReviewPage(reviews, total, page, pages, sort, with_photos)


def voted_ids(session: Session, customer_id: int | None, review_ids: Iterable[int]) -> set[int]:
    ids = list(review_ids)
    if customer_id is None or not ids:
        return set()
    return set(
        session.scalars(
            sa.select(ReviewVote.review_id).where(ReviewVote.customer_id == customer_id, ReviewVote.review_id.in_(ids))
        )
    )


def vote_helpful(session: Session, *, customer: Customer, review_id: int) -> Review:
    """«Полезно» from a customer: once per review, not for one's own, only for a published review."""
    if not customer.active:
        raise PermissionDenied("Ваш аккаунт заблокирован.")
    review = session.get(Review, review_id)
    if review is None or review.state != ReviewState.published:
        raise NotFound("Отзыв не найден.")
    if review.customer_id == customer.id:
        raise ValidationError("Свой отзыв отметить полезным нельзя.")
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(ReviewVote)
    added = session.execute(
        insert.values(review_id=review.id, customer_id=customer.id)
        .on_conflict_do_nothing(index_elements=["review_id", "customer_id"])
        .returning(ReviewVote.review_id)
    ).scalar_one_or_none()
    if added is None:
        raise ValidationError("Вы уже отметили этот отзыв как полезный.")
    session.execute(
        sa.update(Review)
        .where(Review.id == review.id)
        .values(helpful_count=Review.helpful_count + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(review, ["helpful_count"])
    return review


def product_json_ld(product: Product, summary: RatingSummary, url: str) -> dict | None:
    """schema.org Product with its AggregateRating (published reviews only); None without reviews."""
    if not summary.count:
        return None
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product.name,
        "description": product.summary or product.name,
        "url": url,
        "aggregateRating": {
            "@type": "AggregateRating",
            "ratingValue": str(summary.average),
            "reviewCount": summary.count,
            "bestRating": 5,
            "worstRating": 1,
        },
    }
