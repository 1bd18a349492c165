"""What customers hear about reviews, through the outbox: the invitation to review an order, and the
moderator's decision (published, or rejected with the reason). Both follow the customer's notification settings."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app.models.reviews import Review, ReviewState
from app.services.messaging import notifications
from app.services.messaging.notifications import REVIEW_DECISION, REVIEW_INVITE


def decision_payload(review: Review) -> dict:
    return {
        "review_id": review.id,
        "product": review.product.name,
        "product_slug": review.product.slug,
        "state": review.state.value,
        "reason": review.reject_reason.label if review.reject_reason else "",
        "comment": review.reject_comment,
    }


def tell_decisions(session: Session, reviews: Sequence[Review]) -> int:
    """Queue «опубликован» / «отклонён: причина» for each review's author (one settings query for all)."""
    items = [
        {"customer_id": review.customer_id, "payload": decision_payload(review)}
        for review in reviews
        if review.state in (ReviewState.published, ReviewState.rejected)
    ]
    return notifications.notify_many(session, REVIEW_DECISION, items) if items else 0


def invite(session: Session, *, customer_id: int, order_id: int, payload: dict) -> int:
    """Queue the invitation to review an order; the dedupe key keeps it to one per order."""
    return notifications.notify(
        session,
        customer_id=customer_id,
        event=REVIEW_INVITE,
        payload=payload,
        order_id=order_id,
        dedupe_key=f"review_invite:{order_id}",
    )
