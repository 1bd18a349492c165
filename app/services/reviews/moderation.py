"""Moderation: the automatic rules before a person, approve / reject (single or many, with a result per review),
the shop's public reply, pinning, hiding a photo — each recorded in the review's append-only log.

Routing never looks at the rating: a review no rule flagged is published at once when the shop enables
auto-publication, otherwise it waits for a moderator, whatever its stars.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models.reviews import RejectReason, Review, ReviewEvent, ReviewFlag, ReviewPhoto, ReviewState
from app.services.actors import Actor
from app.services.errors import NotFound, ValidationError
from app.services.markup import plain_text
from app.services.reviews import notices, rules, settings
from app.services.shoptime import now

AUTO_PUBLISHER = Actor.system("автопубликация")
RULES_ACTOR = Actor.system("автоматические правила")
REPLY_MAX_CHARS = 2000
COMMENT_MAX_CHARS = 1000
YES_NO = {True: "да", False: "нет"}


def log_event(
    session: Session,
    review: Review,
    actor: Actor,
    field_name: str,
    old: object = None,
    new: object = None,
    comment: str = "",
) -> ReviewEvent:
    """One entry of the review's log: who, when, what, old → new, why."""
    entry = ReviewEvent(
        review_id=review.id,
        actor_kind=actor.kind,
        actor_staff_id=actor.staff_id,
        actor_customer_id=actor.customer_id,
        actor_name=actor.name[:200],
        field=field_name,
        old_value=None if old is None else str(old),
        new_value=None if new is None else str(new),
        comment=comment,
    )
    session.add(entry)
    return entry


def _publish(review: Review, actor: Actor) -> None:
    moment = now()
    review.state = ReviewState.published
    review.reject_reason = None
    review.reject_comment = ""
    review.published_at = moment
    review.first_published_at = review.first_published_at or moment
    review.moderated_at = moment
    review.moderated_by_name = actor.name[:200]


def _reject(review: Review, actor: Actor, reason: RejectReason, comment: str) -> None:
    review.state = ReviewState.rejected
    review.reject_reason = reason
    review.reject_comment = comment
    review.published_at = None
    review.pinned = False
    review.moderated_at = now()
    review.moderated_by_name = actor.name[:200]


def flags_for(session: Session, review: Review) -> list[rules.Flag]:
    """The rules the review's text breaks, and whether the same text is already in another review."""
    found = rules.check_text(review.text)
    if not any(flag.rule.value == "repeated" for flag in found):
        twin = session.scalar(
            sa.select(Review.id)
            .where(Review.text_fingerprint == review.text_fingerprint, Review.id != review.id)
            .order_by(Review.id)
            .limit(1)
        )
        if twin is not None:
            found.append(rules.Flag(rules.FlagRule.repeated, f"такой же текст в отзыве №{twin}"))
            found.sort(key=lambda flag: list(rules.FlagRule).index(flag.rule))
    return found


def route(session: Session, review: Review) -> list[rules.Flag]:
    """After the author wrote or changed the review: flag and hold it, auto-publish it, or leave it for a person."""
    found = flags_for(session, review)
    review.flags.clear()
    session.flush()
    for flag in found:
        review.flags.append(ReviewFlag(rule=flag.rule, detail=flag.detail[:200]))
    if found:
        log_event(
            session,
            review,
            RULES_ACTOR,
            "flags",
            None,
            ", ".join(flag.label for flag in found),
            "задержан до проверки модератором",
        )
    elif settings.current(session).auto_publish:
        old = review.state
        _publish(review, AUTO_PUBLISHER)
        log_event(session, review, AUTO_PUBLISHER, "state", old.value, review.state.value, "правила ничего не нашли")
    session.flush()
    return found


# ------------------------------------------------------------------------------------------- approve / reject


@dataclass(frozen=True)
class Outcome:
    """What a moderation action did to one review."""

    review_id: int
    title: str
    changed: bool
    message: str


@dataclass
class ModerationReport:
    decision: str  # «опубликован» / «отклонён»
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(1 for outcome in self.outcomes if outcome.changed)

    @property
    def skipped(self) -> int:
        return len(self.outcomes) - self.changed

    def summary(self) -> str:
        text = f"Отзывов: {len(self.outcomes)}, {self.decision}: {self.changed}"
        return text + (f", пропущено: {self.skipped}." if self.skipped else ".")


def parse_ids(values: Iterable[object]) -> list[int]:
    ids: list[int] = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part.isdigit() and int(part) not in ids:
                ids.append(int(part))
    return ids


def _locked(session: Session, ids: Sequence[int]) -> dict[int, Review]:
    rows = session.scalars(
        sa.select(Review)
        .where(Review.id.in_(ids))
        .order_by(Review.id)
        .options(selectinload(Review.product))
        .with_for_update(of=Review)
    )
    return {review.id: review for review in rows}


def _title(review: Review) -> str:
    return f"№{review.id} «{review.product.name}», {review.author_name}"


def _decide(
    session: Session,
    review_ids: Iterable[object],
    actor: Actor,
    target: ReviewState,
    reason: RejectReason | None = None,
    comment: str = "",
) -> ModerationReport:
    ids = parse_ids(review_ids)
    if not ids:
        raise ValidationError("Не выбрано ни одного отзыва.")
    report = ModerationReport("опубликовано" if target == ReviewState.published else "отклонено")
    found = _locked(session, ids)
    changed: list[Review] = []
    for review_id in ids:
        review = found.get(review_id)
        if review is None:
            report.outcomes.append(Outcome(review_id, f"№{review_id}", False, "не найден"))
            continue
        if review.state == target:
            report.outcomes.append(Outcome(review_id, _title(review), False, f"уже «{target.label.lower()}»"))
            continue
        old = review.state
        if target == ReviewState.published:
            _publish(review, actor)
            why = ""
        else:
            assert reason is not None
            _reject(review, actor, reason, comment)
            why = reason.label + (f": {comment}" if comment else "")
        log_event(session, review, actor, "state", old.value, review.state.value, why)
        changed.append(review)
        report.outcomes.append(Outcome(review_id, _title(review), True, f"«{old.label}» → «{review.state.label}»"))
    session.flush()
    notices.tell_decisions(session, changed)
    return report


def approve(session: Session, *, review_ids: Iterable[object], actor: Actor) -> ModerationReport:
    """Publish the reviews; each one already published is reported as skipped. The authors are told."""
    return _decide(session, review_ids, actor, ReviewState.published)


def parse_reason(value: RejectReason | str | None) -> RejectReason:
    try:
        return RejectReason(value or "")
    except ValueError:
        raise ValidationError("Выберите причину отклонения.", field="reason") from None


def reject(
    session: Session, *, review_ids: Iterable[object], actor: Actor, reason: RejectReason | str, comment: str = ""
) -> ModerationReport:
    """Reject the reviews with a reason from the list (and a text; required for «другое»). The authors are told."""
    chosen = parse_reason(reason)
    text = plain_text(comment)
    if chosen == RejectReason.other and not text:
        raise ValidationError("Для причины «Другое» напишите пояснение.", field="comment")
    if len(text) > COMMENT_MAX_CHARS:
        raise ValidationError(f"Пояснение не длиннее {COMMENT_MAX_CHARS} символов.", field="comment")
    return _decide(session, review_ids, actor, ReviewState.rejected, chosen, text)


# --------------------------------------------------------------------------------- reply, pin, hide a photo


def get_review(session: Session, review_id: int) -> Review:
    review = session.get(Review, review_id)
    if review is None:
        raise NotFound("Отзыв не найден.")
    return review


def reply(session: Session, *, review_id: int, actor: Actor, text: str) -> Review:
    """The shop's public reply under the review (plain text); an empty text removes it."""
    review = get_review(session, review_id)
    cleaned = plain_text(text, multiline=True)
    if len(cleaned) > REPLY_MAX_CHARS:
        raise ValidationError(f"Ответ не длиннее {REPLY_MAX_CHARS} символов.", field="reply")
    if cleaned == review.reply_text:
        return review
    log_event(session, review, actor, "reply", review.reply_text or None, cleaned or None)
    review.reply_text = cleaned
    review.reply_at = now() if cleaned else None
    review.reply_by_name = actor.name[:200] if cleaned else ""
    session.flush()
    return review


def set_pinned(session: Session, *, review_id: int, actor: Actor, pinned: bool) -> Review:
    """A pinned review is shown first under «сначала новые»; only a published one can be pinned."""
    review = get_review(session, review_id)
    if pinned and review.state != ReviewState.published:
        raise ValidationError("Закрепить можно только опубликованный отзыв.")
    if review.pinned != pinned:
        log_event(session, review, actor, "pinned", YES_NO[review.pinned], YES_NO[pinned])
        review.pinned = pinned
        session.flush()
    return review


def set_photo_hidden(session: Session, *, photo_id: int, actor: Actor, hidden: bool) -> ReviewPhoto:
    """Hide one photo (or show it again) without touching the rest of the review."""
    photo = session.get(ReviewPhoto, photo_id)
    if photo is None:
        raise NotFound("Фото не найдено.")
    if photo.hidden != hidden:
        log_event(
            session,
            photo.review,
            actor,
            "photo_hidden",
            YES_NO[photo.hidden],
            YES_NO[hidden],
            f"фото {photo.position}",
        )
        photo.hidden = hidden
        session.flush()
    return photo


FIELD_LABELS = {
    "created": "Отзыв написан",
    "edited": "Отзыв изменён",
    "state": "Состояние",
    "flags": "Правила",
    "reply": "Ответ магазина",
    "pinned": "Закреплён",
    "photo_hidden": "Фото скрыто",
}


def state_label(value: str | None) -> str:
    if value and value in ReviewState._value2member_map_:
        return ReviewState(value).label
    return value or "—"
