"""What the product page shows (aggregates of published reviews only, sorting, photo filter, rich-result data),
«полезно» votes once per customer, invitations to review, and the moderation figures."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Notification, OrderStatus
from app.models.reviews import Review, ReviewInvitation, ReviewState, ReviewVote
from app.reports import reviews as figures_report
from app.services.errors import NotFound, ValidationError
from app.services.messaging import notifications
from app.services.reviews import invitations, moderation, public
from app.services.shoptime import now, shop_today
from tests.factories import make_customer
from tests.review_helpers import (
    BAD_TEXT,
    MODERATOR,
    enable_auto_publish,
    photo,
    published_review,
    realised_order,
    write_review,
)

S = OrderStatus


@pytest.fixture
def buyers(db_session):
    return [make_customer(db_session, email=f"b{n}@example.ru", full_name=f"Покупатель {n}") for n in range(6)]


def reviews_of(db_session, catalog, buyers, ratings, *, publish=True):
    made = []
    for n, (buyer, rating) in enumerate(zip(buyers, ratings, strict=False)):
        order = realised_order(db_session, buyer, catalog.cards)
        text = f"Отзыв номер {n}: оценка {rating}, всё по делу и без повторов."
        make = published_review if publish else write_review
        made.append(make(db_session, buyer, order, rating=rating, text=text))
    return made


# ------------------------------------------------------------------------------------------------ aggregates


def test_the_summary_counts_published_reviews_only(db_session, catalog, buyers):
    reviews_of(db_session, catalog, buyers[:4], [5, 4, 4, 1])
    waiting, rejected = reviews_of(db_session, catalog, buyers[4:], [1, 1], publish=False)
    moderation.reject(db_session, review_ids=[rejected.id], actor=MODERATOR, reason="spam")
    db_session.commit()
    summary = public.rating_summary(db_session, catalog.cards.id)
    published = db_session.scalars(
        sa.select(Review.rating).where(Review.product_id == catalog.cards.id, Review.state == ReviewState.published)
    ).all()
    assert summary.count == len(published) == 4
    assert summary.average == Decimal("3.5") == Decimal(sum(published)) / len(published)
    assert summary.rows() == [(5, 1), (4, 2), (3, 0), (2, 0), (1, 1)]
    assert summary.average_label == "3,5"
    assert public.rating_summary(db_session, catalog.flyers.id).average is None


def test_the_average_is_rounded_half_up_to_one_decimal():
    assert public.RatingSummary({5: 1, 4: 1, 2: 2}).average == Decimal("3.3")  # 13/4 = 3.25 → 3.3
    assert public.RatingSummary({5: 2, 4: 1}).average == Decimal("4.7")  # 14/3 = 4.666…


@pytest.mark.parametrize(
    ("n", "word"), [(1, "1 отзыв"), (3, "3 отзыва"), (5, "5 отзывов"), (11, "11 отзывов"), (22, "22 отзыва")]
)
def test_reviews_are_counted_in_russian(n, word):
    assert public.reviews_word(n) == word


def test_sorting_newest_helpful_and_by_rating_and_pinned_first_only_by_default(db_session, catalog, buyers):
    made = reviews_of(db_session, catalog, buyers[:4], [3, 5, 1, 4])
    for review, created in zip(made, range(4), strict=True):
        review.created_at = now() - timedelta(days=10 - created)  # made[3] is the newest
    made[0].helpful_count = 7
    moderation.set_pinned(db_session, review_id=made[2].id, actor=MODERATOR, pinned=True)
    db_session.commit()

    def order(sort: str) -> list[int]:
        listing = public.product_reviews(db_session, product_id=catalog.cards.id, sort=sort)
        return [made.index(r) for r in listing.reviews]

    assert order("new") == [2, 3, 1, 0]  # the pinned one first, then newest first
    assert order("helpful") == [0, 3, 2, 1]
    assert order("rating_high") == [1, 3, 0, 2]
    assert order("rating_low") == [2, 0, 3, 1]  # the lowest first, pinned or not
    assert order("nonsense") == order("new")


def test_the_photo_filter_keeps_reviews_with_a_visible_photo(db_session, catalog, buyers):
    plain = published_review(db_session, buyers[0], realised_order(db_session, buyers[0], catalog.cards))
    shown = published_review(
        db_session, buyers[1], realised_order(db_session, buyers[1], catalog.cards), text=BAD_TEXT, photos=[photo()]
    )
    hidden = published_review(
        db_session,
        buyers[2],
        realised_order(db_session, buyers[2], catalog.cards),
        text="Третий отзыв, с фото, которое скрыли.",
        photos=[photo()],
    )
    moderation.set_photo_hidden(db_session, photo_id=hidden.photos[0].id, actor=MODERATOR, hidden=True)
    db_session.commit()
    listing = public.product_reviews(db_session, product_id=catalog.cards.id, with_photos=True)
    assert [r.id for r in listing.reviews] == [shown.id] and listing.total == 1
    assert public.product_reviews(db_session, product_id=catalog.cards.id).total == 3
    assert plain.id != shown.id


def test_reviews_come_ten_to_a_page(db_session, catalog, customer, app, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_DAILY_LIMIT", 20)
    enable_auto_publish(db_session)
    for n in range(12):
        order = realised_order(db_session, customer, catalog.cards)
        write_review(db_session, customer, order, text=f"Отзыв {n}: визитки как всегда хорошие, номер {n}.")
    first = public.product_reviews(db_session, product_id=catalog.cards.id, page=1)
    last = public.product_reviews(db_session, product_id=catalog.cards.id, page=99)
    assert (len(first.reviews), first.pages, last.page, len(last.reviews)) == (10, 2, 2, 2)


def test_rich_result_data_is_the_aggregate_of_published_reviews(db_session, catalog, buyers):
    assert public.product_json_ld(catalog.cards, public.rating_summary(db_session, catalog.cards.id), "u") is None
    reviews_of(db_session, catalog, buyers[:3], [5, 4, 2])
    data = public.product_json_ld(catalog.cards, public.rating_summary(db_session, catalog.cards.id), "https://x/p")
    assert data["@type"] == "Product" and data["name"] == catalog.cards.name
    assert data["aggregateRating"] == {
        "@type": "AggregateRating",
        "ratingValue": "3.7",
        "reviewCount": 3,
        "bestRating": 5,
        "worstRating": 1,
    }


# ------------------------------------------------------------------------------------------------ votes


def test_helpful_once_per_customer_not_for_ones_own_and_only_when_published(db_session, catalog, buyers):
    author, voter, other = buyers[:3]
    review = published_review(db_session, author, realised_order(db_session, author, catalog.cards))
    assert public.vote_helpful(db_session, customer=voter, review_id=review.id).helpful_count == 1
    db_session.commit()
    with pytest.raises(ValidationError, match="уже отметили"):
        public.vote_helpful(db_session, customer=voter, review_id=review.id)
    with pytest.raises(ValidationError, match="Свой отзыв"):
        public.vote_helpful(db_session, customer=author, review_id=review.id)
    public.vote_helpful(db_session, customer=other, review_id=review.id)
    db_session.commit()
    votes = db_session.scalar(sa.select(sa.func.count()).select_from(ReviewVote))
    assert review.helpful_count == votes == 2
    assert public.voted_ids(db_session, voter.id, [review.id]) == {review.id}
    waiting = write_review(db_session, voter, realised_order(db_session, voter, catalog.cards), text=BAD_TEXT)
    with pytest.raises(NotFound):
        public.vote_helpful(db_session, customer=other, review_id=waiting.id)


# ------------------------------------------------------------------------------------------------ invitations


def invitations_of(db_session) -> list[Notification]:
    return list(db_session.scalars(sa.select(Notification).where(Notification.event == notifications.REVIEW_INVITE)))


def test_the_buyer_is_invited_once_n_days_after_the_order_is_realised(db_session, catalog, customer):
    order = realised_order(db_session, customer, catalog.cards, status=S.shipped)
    assert invitations.send_due(db_session).orders == 0  # not yet: realised just now
    later = order.shipped_at + timedelta(days=7, minutes=1)
    report = invitations.send_due(db_session, moment=later)
    db_session.commit()
    assert (report.orders, report.messages) == (1, 1)
    [message] = invitations_of(db_session)
    assert (message.customer_id, message.order_id, message.recipient) == (customer.id, order.id, customer.email)
    assert message.payload == {"number": order.number, "products": [catalog.cards.name]}
    assert message.dedupe_key == f"review_invite:{order.id}"
    assert invitations.send_due(db_session, moment=later + timedelta(hours=1)).orders == 0
    assert len(invitations_of(db_session)) == 1


def test_a_customer_who_turned_invitations_off_gets_none_and_is_not_asked_again(db_session, catalog, customer):
    notifications.save_preferences(
        db_session, customer_id=customer.id, channels={notifications.REVIEW_INVITE: []}, order_statuses=[]
    )
    order = realised_order(db_session, customer, catalog.cards)
    later = order.shipped_at + timedelta(days=8)
    assert (invitations.send_due(db_session, moment=later).orders, len(invitations_of(db_session))) == (1, 0)
    assert db_session.get(ReviewInvitation, order.id).messages == 0
    notifications.save_preferences(
        db_session, customer_id=customer.id, channels={notifications.REVIEW_INVITE: ["email"]}, order_statuses=[]
    )
    assert invitations.send_due(db_session, moment=later).orders == 0


def test_no_invitation_for_reviewed_orders_blocked_buyers_old_orders_or_when_switched_off(
    db_session, catalog, customer, other_customer
):
    reviewed = realised_order(db_session, customer, catalog.cards)
    write_review(db_session, customer, reviewed)
    blocked_buyer = make_customer(db_session, email="blocked@example.ru")
    blocked_order = realised_order(db_session, blocked_buyer, catalog.cards)
    blocked_buyer.active = False
    not_realised = realised_order(db_session, other_customer, catalog.cards, status=S.ready)
    db_session.commit()
    moment = reviewed.shipped_at + timedelta(days=8)
    enable_auto_publish(db_session, on=False, days=0)
    assert invitations.send_due(db_session, moment=moment).orders == 0
    enable_auto_publish(db_session, on=False, days=7)
    report = invitations.send_due(db_session, moment=moment)
    assert (report.orders, report.messages) == (2, 0)
    assert {o for (o,) in db_session.execute(sa.select(ReviewInvitation.order_id))} == {reviewed.id, blocked_order.id}
    assert db_session.get(ReviewInvitation, not_realised.id) is None
    old = realised_order(db_session, other_customer, catalog.flyers)
    far_later = old.shipped_at + timedelta(days=7 + invitations.CATCH_UP_DAYS + 1)
    assert invitations.send_due(db_session, moment=far_later).orders == 0


def test_the_invitation_command_runs_the_job(app, db_session, catalog, customer):
    order = realised_order(db_session, customer, catalog.cards)
    with time_machine.travel(order.shipped_at + timedelta(days=7, hours=1), tick=False):
        result = app.test_cli_runner().invoke(args=["reviews", "invite"])
    assert result.exit_code == 0, result.output
    assert "Заказов: 1, сообщений в очереди: 1" in result.output
    db_session.expire_all()
    assert db_session.get(ReviewInvitation, order.id) is not None


# ------------------------------------------------------------------------------------------------ figures


def test_figures_count_reviews_waits_reasons_and_ratings(db_session, catalog, buyers):
    start = now()
    with time_machine.travel(start, tick=False):
        made = reviews_of(db_session, catalog, buyers[:3], [5, 4, 1], publish=False)
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        moderation.approve(db_session, review_ids=[made[0].id, made[1].id], actor=MODERATOR)
    with time_machine.travel(start + timedelta(hours=4), tick=False):
        moderation.reject(db_session, review_ids=[made[2].id], actor=MODERATOR, reason="insult")
    db_session.commit()
    today = shop_today()
    figures = figures_report.review_figures(
        db_session, start=today - timedelta(days=6), end=today + timedelta(days=1), grouping="day"
    )
    assert figures.written == 3 and figures.pending_now == 0
    assert sum(row.published for row in figures.periods) == 2 and sum(row.rejected for row in figures.periods) == 1
    assert figures.decisions == 3
    assert figures.average_wait == timedelta(hours=8) / 3 and figures.longest_wait == timedelta(hours=4)
    assert dict(figures.reasons)["Оскорбления"] == 1 and sum(n for _, n in figures.reasons) == 1
    [row] = figures.products
    assert (row.product, row.count, row.average, row.low) == (catalog.cards.name, 2, Decimal("4.5"), 0)
    assert figures_report.format_wait(figures.average_wait) == "2 ч 40 мин"


def test_figures_group_by_week_and_month_in_the_shop_time_zone():
    assert figures_report.bucket_start(date(2026, 12, 3), "week") == date(2026, 11, 30)
    assert figures_report.bucket_start(date(2026, 12, 3), "month") == date(2026, 12, 1)
    assert figures_report.bucket_label(date(2026, 12, 1), "month") == "дек 2026"


def test_an_order_already_claimed_by_another_run_is_not_invited_again(db_session, catalog, customer):
    order = realised_order(db_session, customer, catalog.cards)
    moment = order.shipped_at + timedelta(days=8)
    assert invitations._claim(db_session, order.id, moment) is True
    assert invitations._claim(db_session, order.id, moment) is False  # a run that read the order before the claim
