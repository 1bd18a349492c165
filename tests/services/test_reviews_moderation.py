"""Moderation: rules before a person (never by rating), approve / reject single and many with a result per review,
reply, pin, hide a photo, the append-only log, and the authors told through the outbox."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.models import Channel, DeliveryState, Notification
from app.models.reviews import FlagRule, RejectReason, ReviewEvent, ReviewState
from app.services.errors import NotFound, ValidationError
from app.services.messaging import notifications, outbox
from app.services.reviews import moderation, settings, submission
from app.services.reviews.submission import ReviewInput
from app.services.shoptime import now
from tests.factories import make_customer
from tests.review_helpers import (
    BAD_TEXT,
    GOOD_TEXT,
    MODERATOR,
    enable_auto_publish,
    photo,
    published_review,
    realised_order,
    write_review,
)


def decisions(session) -> list[Notification]:
    return list(
        session.scalars(
            sa.select(Notification).where(Notification.event == notifications.REVIEW_DECISION).order_by(Notification.id)
        )
    )


@pytest.fixture
def two_buyers(db_session, catalog, customer, other_customer):
    return (
        realised_order(db_session, customer, catalog.cards),
        realised_order(db_session, other_customer, catalog.cards),
    )


# ------------------------------------------------------------------------------------- rules before a person


def test_without_auto_publication_every_review_waits_for_a_moderator(db_session, catalog, customer):
    assert settings.current(db_session).auto_publish is False
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    assert review.state == ReviewState.pending and review.flags == []


@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_auto_publication_publishes_an_unflagged_review_whatever_its_rating(db_session, catalog, customer, rating):
    enable_auto_publish(db_session)
    review = write_review(
        db_session, customer, realised_order(db_session, customer, catalog.cards), rating=rating, text=BAD_TEXT
    )
    assert review.state == ReviewState.published and review.published_at is not None
    entry = db_session.scalars(sa.select(ReviewEvent).where(ReviewEvent.field == "state")).one()
    assert (entry.old_value, entry.new_value, entry.actor_name) == ("pending", "published", "система (автопубликация)")


@pytest.mark.parametrize("rating", [1, 5])
def test_a_flagged_review_is_held_with_its_reasons_whatever_its_rating(db_session, catalog, customer, rating):
    enable_auto_publish(db_session)
    text = "Всё отлично, пишите мне на ivan@mail.ru или звоните +7 916 555-44-33"
    review = write_review(
        db_session, customer, realised_order(db_session, customer, catalog.cards), rating=rating, text=text
    )
    assert review.state == ReviewState.pending
    assert [(f.rule, f.detail) for f in review.flags] == [
        (FlagRule.phone, "+7 916 555-44-33"),
        (FlagRule.email, "ivan@mail.ru"),
    ]
    entry = db_session.scalars(sa.select(ReviewEvent).where(ReviewEvent.field == "flags")).one()
    assert entry.new_value == "Номер телефона, Email" and "модератором" in entry.comment


def test_the_same_text_as_another_review_is_held_as_repeated(db_session, catalog, customer, other_customer, two_buyers):
    enable_auto_publish(db_session)
    first = write_review(db_session, customer, two_buyers[0])
    copy = write_review(db_session, other_customer, two_buyers[1], text=GOOD_TEXT.upper().replace(":", "!").lower())
    assert first.state == ReviewState.published
    assert copy.state == ReviewState.pending
    assert [(f.rule, f.detail) for f in copy.flags] == [(FlagRule.repeated, f"такой же текст в отзыве №{first.id}")]


def test_an_edit_that_removes_the_phone_clears_the_flag(db_session, catalog, customer):
    review = write_review(
        db_session,
        customer,
        realised_order(db_session, customer, catalog.cards),
        text="Звоните 8 916 555 44 33, отвечу",
    )
    assert [f.rule for f in review.flags] == [FlagRule.phone]
    edited, _ = submission.edit_review(
        db_session, customer=customer, review_id=review.id, data=ReviewInput(rating=5, text=GOOD_TEXT)
    )
    db_session.commit()
    assert edited.flags == []


# -------------------------------------------------------------------------------------- approve and reject


def test_approving_publishes_records_who_and_tells_the_author(db_session, catalog, customer):
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards), rating=2)
    report = moderation.approve(db_session, review_ids=[review.id], actor=MODERATOR)
    db_session.commit()
    assert report.changed == 1 and review.state == ReviewState.published
    assert review.moderated_by_name == "Модераторова Мария" and review.first_published_at == review.published_at
    entry = db_session.scalars(sa.select(ReviewEvent).where(ReviewEvent.field == "state")).one()
    assert (entry.actor_kind.value, entry.actor_name, entry.old_value, entry.new_value) == (
        "staff",
        "Модераторова Мария",
        "pending",
        "published",
    )
    [message] = decisions(db_session)
    assert (message.customer_id, message.channel, message.recipient) == (customer.id, Channel.email, customer.email)
    assert message.payload["state"] == "published" and message.payload["product"] == catalog.cards.name


def test_rejecting_needs_a_reason_from_the_list_and_tells_it_to_the_author(db_session, catalog, customer):
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    for reason, comment, message in (
        ("", "", "Выберите причину"),
        ("rude", "", "Выберите причину"),
        ("other", "  ", "напишите пояснение"),
        ("spam", "я" * 1001, "не длиннее"),
    ):
        with pytest.raises(ValidationError, match=message):
            moderation.reject(db_session, review_ids=[review.id], actor=MODERATOR, reason=reason, comment=comment)
    assert review.state == ReviewState.pending and decisions(db_session) == []
    moderation.reject(
        db_session, review_ids=[review.id], actor=MODERATOR, reason="personal_data", comment="Уберите адрес"
    )
    db_session.commit()
    assert (review.state, review.reject_reason, review.reject_comment) == (
        ReviewState.rejected,
        RejectReason.personal_data,
        "Уберите адрес",
    )
    entry = db_session.scalars(sa.select(ReviewEvent).where(ReviewEvent.field == "state")).one()
    assert entry.comment == "Персональные данные: Уберите адрес"
    [message] = decisions(db_session)
    assert (message.payload["state"], message.payload["reason"], message.payload["comment"]) == (
        "rejected",
        "Персональные данные",
        "Уберите адрес",
    )


def test_mass_moderation_reports_each_review(db_session, catalog, customer, other_customer, two_buyers):
    waiting = write_review(db_session, customer, two_buyers[0])
    done = published_review(db_session, other_customer, two_buyers[1], text=BAD_TEXT, rating=1)
    report = moderation.approve(
        db_session, review_ids=[str(waiting.id), f"{done.id},999999", waiting.id], actor=MODERATOR
    )
    db_session.commit()
    assert [(o.review_id, o.changed, o.message) for o in report.outcomes] == [
        (waiting.id, True, "«На модерации» → «Опубликован»"),
        (done.id, False, "уже «опубликован»"),
        (999999, False, "не найден"),
    ]
    assert report.summary() == "Отзывов: 3, опубликовано: 1, пропущено: 2."
    report = moderation.reject(db_session, review_ids=[waiting.id, done.id], actor=MODERATOR, reason="advertising")
    db_session.commit()
    assert report.changed == 2 and {waiting.state, done.state} == {ReviewState.rejected}
    assert len(decisions(db_session)) == 2 + 2  # the approval of each, then the rejection of each
    with pytest.raises(ValidationError, match="Не выбрано"):
        moderation.approve(db_session, review_ids=["", "x"], actor=MODERATOR)


def test_a_customer_who_turned_the_decision_messages_off_is_not_told(db_session, catalog, customer):
    notifications.save_preferences(
        db_session, customer_id=customer.id, channels={notifications.REVIEW_DECISION: []}, order_statuses=[]
    )
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    moderation.approve(db_session, review_ids=[review.id], actor=MODERATOR)
    db_session.commit()
    assert review.state == ReviewState.published and decisions(db_session) == []


def test_the_decision_is_delivered_by_email_with_the_reason(db_session, catalog, customer, smtp_server):
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    moderation.reject(db_session, review_ids=[review.id], actor=MODERATOR, reason="off_topic", comment="Это о доставке")
    db_session.commit()
    db_session.execute(
        sa.update(Notification)
        .where(Notification.event != notifications.REVIEW_DECISION)
        .values(state=DeliveryState.cancelled)
    )
    db_session.commit()
    report = outbox.deliver_due(db_session)
    assert report.sent == 1, report.errors
    [mail] = smtp_server.messages
    assert mail["To"] == customer.email
    assert "отклонён" in mail["Subject"] and catalog.cards.name in mail["Subject"]
    body = mail.get_body(("plain",)).get_content()
    assert "Причина: Не о товаре — Это о доставке." in body and "/account/reviews" in body


# ---------------------------------------------------------------------------------- reply, pin, hide a photo


def test_reply_pin_and_hiding_a_photo_are_recorded(db_session, catalog, customer):
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards), photos=[photo()])
    with pytest.raises(ValidationError, match="только опубликованный"):
        moderation.set_pinned(db_session, review_id=review.id, actor=MODERATOR, pinned=True)
    moderation.approve(db_session, review_ids=[review.id], actor=MODERATOR)
    moderation.reply(db_session, review_id=review.id, actor=MODERATOR, text="Спасибо!\n<b>Ждём снова</b>")
    moderation.set_pinned(db_session, review_id=review.id, actor=MODERATOR, pinned=True)
    moderation.set_photo_hidden(db_session, photo_id=review.photos[0].id, actor=MODERATOR, hidden=True)
    db_session.commit()
    assert review.reply_text == "Спасибо!\nЖдём снова" and review.reply_by_name == "Модераторова Мария"
    assert review.pinned and review.photos[0].hidden and review.visible_photos == []
    log = db_session.execute(
        sa.select(ReviewEvent.field, ReviewEvent.old_value, ReviewEvent.new_value).order_by(ReviewEvent.id)
    ).all()
    assert log[-3:] == [
        ("reply", None, "Спасибо!\nЖдём снова"),
        ("pinned", "нет", "да"),
        ("photo_hidden", "нет", "да"),
    ]
    moderation.reply(db_session, review_id=review.id, actor=MODERATOR, text="  ")
    assert review.reply_text == "" and review.reply_at is None
    with pytest.raises(NotFound):
        moderation.reply(db_session, review_id=999999, actor=MODERATOR, text="x")


def test_a_rejected_review_loses_its_pin(db_session, catalog, customer):
    review = published_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    moderation.set_pinned(db_session, review_id=review.id, actor=MODERATOR, pinned=True)
    moderation.reject(db_session, review_ids=[review.id], actor=MODERATOR, reason="spam")
    assert review.pinned is False and review.published_at is None and review.first_published_at is not None


# ------------------------------------------------------------------------------------------ the log


def test_the_log_refuses_updates_and_deletes_in_the_database(app, db_session, catalog, customer):
    from app.extensions import db

    write_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    entry_id = db_session.scalar(sa.select(ReviewEvent.id))
    for statement in (
        sa.update(ReviewEvent).where(ReviewEvent.id == entry_id).values(comment="подчищено"),
        sa.delete(ReviewEvent).where(ReviewEvent.id == entry_id),
    ):
        with db.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(statement)
    assert db_session.get(ReviewEvent, entry_id).comment == "фото: 0"


def test_the_log_keeps_the_name_when_the_customer_account_goes(app, db_session, catalog):
    from app.extensions import db

    author = make_customer(db_session, email="leaving@example.ru", full_name="Уходящий Покупатель")
    review = write_review(db_session, author, realised_order(db_session, author, catalog.cards))
    entry = db_session.scalars(sa.select(ReviewEvent).where(ReviewEvent.review_id == review.id)).first()
    with db.engine.begin() as conn:  # the foreign key's SET NULL is the one update let through
        conn.execute(sa.update(ReviewEvent).where(ReviewEvent.id == entry.id).values(actor_customer_id=None))
    db_session.expire_all()
    assert entry.actor_customer_id is None and entry.actor_name == "Уходящий Покупатель"


def test_the_daily_limit_counts_the_authors_log(db_session, catalog, customer, app, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_DAILY_LIMIT", 1)
    order = realised_order(db_session, customer, catalog.cards)
    write_review(db_session, customer, order)
    entry = db_session.scalars(sa.select(ReviewEvent).where(ReviewEvent.field == "created")).one()
    assert entry.created_at > now() - timedelta(minutes=1)
    with pytest.raises(ValidationError, match="Слишком много"):
        write_review(db_session, customer, realised_order(db_session, customer, catalog.flyers))
