"""Writing reviews: only the buyer of a realised order line may review what it bought, once per line; the author
edits before publication freely, after it without changing the rating (and the review goes back to moderation).

The text is plain text: it is stored as typed (control characters removed) and always shown escaped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload, selectinload

from app.models import Customer, LineKind, Order, OrderLine
from app.models.reviews import Review, ReviewEvent, ReviewState
from app.services.actors import Actor
from app.services.errors import NotFound, PermissionDenied, ValidationError
from app.services.orders.lifecycle import REALISED_STATUSES
from app.services.reviews import moderation, photos, rules
from app.services.reviews.photos import PhotoUpload
from app.services.shoptime import now

TEXT_MIN_CHARS = 10
TEXT_MAX_CHARS = 3000
DEFAULT_DAILY_LIMIT = 10
ANONYMOUS_NAME = "Покупатель"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
_BLANK_LINES = re.compile(r"\n{3,}")


@dataclass(frozen=True)
class ReviewInput:
    """What the review form sends."""

    rating: int | str | None
    text: str
    name_only: bool = False


def daily_limit() -> int:
    value = current_app.config.get("REVIEW_DAILY_LIMIT", DEFAULT_DAILY_LIMIT) if has_app_context() else None
    return int(value if value is not None else DEFAULT_DAILY_LIMIT)


def clean_text(value: str | None) -> str:
    """Plain text as typed: no control or direction-changing characters, line breaks kept (at most one blank line)."""
    text = _CONTROL.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.rstrip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def purchase_label(line: OrderLine) -> str:
    """«Мелованная 350 г/м², матовая ламинация, 500 шт» — what this line bought."""
    parts = [str(option.get("value", "")).strip() for option in line.options or []]
    parts.append(f"{line.quantity} шт")
    return ", ".join(p for p in parts if p)[:500]


def author_name(customer: Customer, name_only: bool) -> str:
    name = " ".join(clean_text(customer.full_name).split())
    if not name:
        return ANONYMOUS_NAME
    return (name.split()[0] if name_only else name)[:200]


def _parse_rating(value: int | str | None) -> int:
    try:
        rating = int(str(value).strip())
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise ValidationError("Поставьте оценку от 1 до 5 звёзд.", field="rating")
    return rating


def _clean(data: ReviewInput) -> tuple[int, str]:
    rating = _parse_rating(data.rating)
    text = clean_text(data.text)
    if len(text) < TEXT_MIN_CHARS:
        raise ValidationError(f"Напишите о товаре хотя бы {TEXT_MIN_CHARS} символов.", field="text")
    if len(text) > TEXT_MAX_CHARS:
        raise ValidationError(
            f"Отзыв слишком длинный: {len(text)} символов, можно не больше {TEXT_MAX_CHARS}.", field="text"
        )
    return rating, text


def check_can_write(session: Session, customer: Customer) -> None:
    """A blocked customer cannot review; nobody sends more than the daily limit of reviews and edits."""
    if not customer.active:
        raise PermissionDenied("Ваш аккаунт заблокирован: оставлять и менять отзывы нельзя.")
    limit = daily_limit()
    recent = session.scalar(
        sa.select(sa.func.count())
        .select_from(ReviewEvent)
        .where(
            ReviewEvent.actor_customer_id == customer.id,
            ReviewEvent.field.in_(("created", "edited")),
            ReviewEvent.created_at > now() - timedelta(days=1),
        )
    )
    if (recent or 0) >= limit:
        raise ValidationError(
            f"Слишком много отзывов и правок за сутки (можно {limit}). Попробуйте завтра.", field="rating"
        )


def _line(session: Session, line_id: int) -> OrderLine | None:
    return session.scalar(sa.select(OrderLine).where(OrderLine.id == line_id).options(joinedload(OrderLine.order)))


def reviewable_line(session: Session, *, customer_id: int, line_id: int) -> OrderLine:
    """The order line if this customer bought it in a realised order and has not reviewed it yet.

    Only the customer who placed the order is its buyer — for a company order, the member who ordered.
    """
    line = _line(session, line_id)
    if line is None or line.order.customer_id != customer_id:
        raise NotFound("Покупка не найдена.")
    if line.kind != LineKind.product or line.product_id is None:
        raise ValidationError("Этого товара больше нет в каталоге — отзыв о нём оставить нельзя.")
    if line.order.status not in REALISED_STATUSES:
        raise ValidationError(
            f"Отзыв можно оставить, когда заказ получен: заказ {line.order.number} сейчас «{line.order.status.label}»."
        )
    if session.scalar(sa.select(Review.id).where(Review.order_line_id == line.id)) is not None:
        raise ValidationError("Отзыв на эту покупку уже есть — его можно изменить в разделе «Мои отзывы».")
    return line


def lines_to_review(session: Session, customer_id: int, *, product_id: int | None = None) -> list[OrderLine]:
    """The customer's bought lines still waiting for a review (realised orders, products still in the catalog)."""
    query = (
        sa.select(OrderLine)
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Review, Review.order_line_id == OrderLine.id)
        .where(
            Order.customer_id == customer_id,
            Order.status.in_(REALISED_STATUSES),
            OrderLine.kind == LineKind.product,
            OrderLine.product_id.is_not(None),
            Review.id.is_(None),
        )
        .options(joinedload(OrderLine.order))
        .order_by(Order.shipped_at.desc(), OrderLine.position)
    )
    if product_id is not None:
        query = query.where(OrderLine.product_id == product_id)
    return list(session.scalars(query))


def submit_review(
    session: Session,
    *,
    customer: Customer,
    line_id: int,
    data: ReviewInput,
    photo_uploads: Sequence[PhotoUpload] = (),
) -> Review:
    """Write the review of a bought line; the rules then hold it, auto-publish it, or leave it for a moderator."""
    check_can_write(session, customer)
    line = reviewable_line(session, customer_id=customer.id, line_id=line_id)
    rating, text = _clean(data)
    prepared = photos.prepare_all(photo_uploads)
    assert line.product_id is not None
    review = Review(
        product_id=line.product_id,
        order_line_id=line.id,
        customer_id=customer.id,
        rating=rating,
        text=text,
        text_fingerprint=rules.fingerprint_text(text),
        name_only=bool(data.name_only),
        author_name=author_name(customer, bool(data.name_only)),
        purchase_label=purchase_label(line),
        state=ReviewState.pending,
        submitted_at=now(),
    )
    try:
        # Added inside the savepoint: a refused insert leaves nothing pending behind.
        with session.begin_nested():
            session.add(review)
            session.flush()
    except IntegrityError:
        raise ValidationError("Отзыв на эту покупку уже есть — его можно изменить в разделе «Мои отзывы».") from None
    photos.attach(session, review, prepared)
    moderation.log_event(
        session, review, Actor.customer(customer), "created", None, f"оценка {rating}", f"фото: {len(prepared)}"
    )
    moderation.route(session, review)
    return review


def own_review(session: Session, *, customer_id: int, review_id: int) -> Review:
    review = session.scalar(
        sa.select(Review)
        .where(Review.id == review_id, Review.customer_id == customer_id)
        .options(selectinload(Review.photos), joinedload(Review.product))
    )
    if review is None:
        raise NotFound("Отзыв не найден.")
    return review


def rating_locked(review: Review) -> bool:
    """Once a review has been published its rating stays as it was."""
    return review.first_published_at is not None


def edit_review(
    session: Session,
    *,
    customer: Customer,
    review_id: int,
    data: ReviewInput,
    remove_photo_ids: Sequence[int] = (),
    photo_uploads: Sequence[PhotoUpload] = (),
) -> tuple[Review, bool]:
    """Change the author's own review; (review, False) when nothing changed.

    A published or rejected review goes back to moderation (and off the page until approved again).
    """
    review = own_review(session, customer_id=customer.id, review_id=review_id)
    check_can_write(session, customer)
    rating, text = _clean(data)
    if rating_locked(review) and rating != review.rating:
        raise ValidationError("Отзыв уже публиковался — оценку изменить нельзя, только текст и фото.", field="rating")
    removing = {photo.id for photo in review.photos if photo.id in set(remove_photo_ids)}
    prepared = photos.prepare_all(photo_uploads, already=len(review.photos) - len(removing))
    name_only = bool(data.name_only)
    notes = []
    if rating != review.rating:
        notes.append(f"оценка: {review.rating} → {rating}")
    if name_only != review.name_only:
        notes.append(f"только имя: {moderation.YES_NO[review.name_only]} → {moderation.YES_NO[name_only]}")
    if removing or prepared:
        notes.append(f"фото: {len(review.photos)} → {len(review.photos) - len(removing) + len(prepared)}")
    if text == review.text and not notes:
        return review, False
    actor = Actor.customer(customer)
    moderation.log_event(
        session,
        review,
        actor,
        "edited",
        review.text if text != review.text else None,
        text if text != review.text else None,
        "; ".join(notes),
    )
    review.rating = rating
    review.text = text
    review.text_fingerprint = rules.fingerprint_text(text)
    review.name_only = name_only
    review.author_name = author_name(customer, name_only)
    review.submitted_at = now()
    if removing:
        photos.remove(session, review, sorted(removing))
    if prepared:
        photos.attach(session, review, prepared)
    if review.state != ReviewState.pending:
        old = review.state
        review.state = ReviewState.pending
        review.reject_reason = None
        review.reject_comment = ""
        review.published_at = None
        review.pinned = False
        moderation.log_event(session, review, actor, "state", old.value, review.state.value, "изменён автором")
    session.flush()
    moderation.route(session, review)
    return review, True


def customer_reviews(session: Session, customer_id: int) -> list[Review]:
    """«Мои отзывы»: the customer's reviews, newest first, with their state and the reason of a rejection."""
    return list(
        session.scalars(
            sa.select(Review)
            .where(Review.customer_id == customer_id)
            .options(selectinload(Review.photos), joinedload(Review.product))
            .order_by(Review.created_at.desc(), Review.id.desc())
        ).unique()
    )


def order_line_reviews(session: Session, order: Order) -> dict[int, Review | None]:
    """For an order page: each reviewable product line → its review (None: not reviewed yet). Empty until realised."""
    if order.status not in REALISED_STATUSES:
        return {}
    lines = [line.id for line in order.lines if line.kind == LineKind.product and line.product_id is not None]
    found = {
        review.order_line_id: review
        for review in session.scalars(sa.select(Review).where(Review.order_line_id.in_(lines)))
    }
    return {line_id: found.get(line_id) for line_id in lines}
