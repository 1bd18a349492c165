"""Storefront reviews: the product page (aggregates of published reviews, sorting, filter, votes, JSON-LD),
«Мои отзывы», writing and editing through the forms, photo access, CSRF on every POST."""

import io
import json
import re

import pytest
import sqlalchemy as sa

from app.models.reviews import Review, ReviewState, ReviewVote
from app.services.reviews import moderation
from tests.factories import login_customer
from tests.review_helpers import (
    BAD_TEXT,
    GOOD_TEXT,
    MODERATOR,
    line_of,
    photo,
    photo_bytes,
    published_review,
    realised_order,
    write_review,
)

PRODUCT = "/product/vizitki-standart"


def page_text(response) -> str:
    return response.get_data(as_text=True)


def json_ld(html: str) -> dict | None:
    found = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(found.group(1)) if found else None


@pytest.fixture
def reviewed(db_session, catalog, customer, other_customer):
    """Two published reviews (5 and 2), one waiting, one rejected — on «Визитки»."""
    from tests.factories import make_customer

    third = make_customer(db_session, email="third@example.ru", full_name="Третий Покупатель")
    fourth = make_customer(db_session, email="fourth@example.ru", full_name="Четвёртый Покупатель")
    good = published_review(db_session, customer, realised_order(db_session, customer, catalog.cards), rating=5)
    bad = published_review(
        db_session, other_customer, realised_order(db_session, other_customer, catalog.cards), rating=2, text=BAD_TEXT
    )
    waiting = write_review(
        db_session, third, realised_order(db_session, third, catalog.cards), rating=1, text="Ещё не проверенный отзыв."
    )
    rejected = write_review(
        db_session, fourth, realised_order(db_session, fourth, catalog.cards), rating=1, text="Отклонённый отзыв тут."
    )
    moderation.reject(db_session, review_ids=[rejected.id], actor=MODERATOR, reason="spam")
    db_session.commit()
    return good, bad, waiting, rejected


def test_the_product_page_shows_exactly_the_published_reviews_and_their_aggregates(client, db_session, reviewed):
    good, bad, waiting, rejected = reviewed
    html = page_text(client.get(PRODUCT))
    published = db_session.scalars(sa.select(Review.rating).where(Review.state == ReviewState.published)).all()
    assert sorted(published) == [2, 5]
    assert 'data-testid="review-average">3,5<' in html and 'data-testid="review-count">2 отзыва<' in html
    counts = re.findall(r'data-star="(\d)".*?data-testid="review-star-count">(\d+)<', html, re.S)
    assert counts == [("5", "1"), ("4", "0"), ("3", "0"), ("2", "1"), ("1", "0")]
    shown = [int(i) for i in re.findall(r'data-testid="review" data-review-id="(\d+)"', html)]
    assert sorted(shown) == sorted([good.id, bad.id])
    assert "Ещё не проверенный" not in html and "Отклонённый" not in html
    assert html.count('data-testid="verified-badge"') == 2
    data = json_ld(html)
    assert data["aggregateRating"]["ratingValue"] == "3.5" and data["aggregateRating"]["reviewCount"] == 2


def test_a_product_without_reviews_has_an_empty_state_and_no_rating_markup(client, catalog):
    html = page_text(client.get(PRODUCT))
    assert 'data-testid="review-empty"' in html and "Здесь будут отзывы покупателей" in html
    assert json_ld(html) is None


def test_sorting_and_the_photo_filter_come_from_the_query(client, db_session, catalog, reviewed):
    good, bad, _, _ = reviewed

    def order(query: str) -> list[int]:
        return [
            int(i)
            for i in re.findall(r'data-testid="review" data-review-id="(\d+)"', page_text(client.get(PRODUCT + query)))
        ]

    assert order("?sort=rating_low") == [bad.id, good.id]
    assert order("?sort=rating_high") == [good.id, bad.id]
    assert order("?photos=1") == []
    assert "Отзывов с фото пока нет" in page_text(client.get(PRODUCT + "?photos=1"))


def test_shop_reply_and_purchase_are_shown_under_the_review(client, db_session, reviewed):
    good, *_ = reviewed
    moderation.reply(db_session, review_id=good.id, actor=MODERATOR, text="Спасибо, ждём снова!")
    db_session.commit()
    html = page_text(client.get(PRODUCT))
    assert 'data-testid="review-reply"' in html and "Спасибо, ждём снова!" in html
    assert "Покупка: 90×50 мм (стандарт)" in html


def test_votes_once_through_the_page(client, db_session, reviewed, other_customer):
    good, *_ = reviewed
    login_customer(client, other_customer.email)
    html = page_text(client.get(PRODUCT))
    assert html.count('data-testid="helpful-button"') == 1  # the other review is the voter's own
    response = client.post(f"/reviews/{good.id}/helpful", data={"next": PRODUCT + "?sort=helpful"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"{PRODUCT}?sort=helpful#review-{good.id}"
    )
    response = client.post(f"/reviews/{good.id}/helpful", data={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith(f"/#review-{good.id}")  # never off the site
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ReviewVote)) == 1
    assert "Вы отметили отзыв полезным" in page_text(client.get(PRODUCT))


def test_anonymous_visitors_are_sent_to_log_in_to_vote(client, reviewed):
    good, *_ = reviewed
    response = client.post(f"/reviews/{good.id}/helpful")
    assert response.status_code in (302, 401) and "login" in response.headers.get("Location", "login")
    assert "/account/login?next=" in page_text(client.get(PRODUCT))


def test_writing_a_review_through_the_form(client, db_session, catalog, customer):
    order = realised_order(db_session, customer, catalog.cards)
    login_customer(client, customer.email)
    assert f"/account/reviews/new/{line_of(order)}" in page_text(client.get(PRODUCT))  # «Оставить отзыв»
    assert "Ждут вашего отзыва" in page_text(client.get("/account/reviews"))
    form_page = page_text(client.get(f"/account/reviews/new/{line_of(order)}"))
    assert "Новый отзыв" in form_page and "Показывать только имя" in form_page
    response = client.post(
        f"/account/reviews/new/{line_of(order)}",
        data={"rating": "1", "text": "Ко", "photos": (io.BytesIO(photo_bytes((300, 200))), "p.jpg")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400 and "хотя бы 10 символов" in page_text(response)
    response = client.post(
        f"/account/reviews/new/{line_of(order)}",
        data={
            "rating": "1",
            "text": BAD_TEXT,
            "name_only": "1",
            "photos": [(io.BytesIO(photo_bytes((300, 200))), "p.jpg"), (io.BytesIO(b""), "")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/reviews")
    review = db_session.scalars(sa.select(Review)).one()
    assert (review.rating, review.text, review.name_only, review.photo_count) == (1, BAD_TEXT, True, 1)
    mine = page_text(client.get("/account/reviews"))
    assert "На модерации" in mine and "пока его видите только вы" in mine
    with client.get(f"/reviews/photos/{review.photos[0].id}/thumb") as own:
        assert own.status_code == 200  # the author sees their photo while it waits


def test_a_line_of_an_unrealised_or_another_customers_order_gets_no_form(
    client, db_session, catalog, customer, other_customer
):
    from tests.factories import place_order

    mine = place_order(db_session, customer, catalog.cards)
    theirs = realised_order(db_session, other_customer, catalog.cards)
    login_customer(client, customer.email)
    response = client.get(f"/account/reviews/new/{line_of(mine)}")
    assert response.status_code == 302
    assert "когда заказ получен" in page_text(client.get("/account/reviews"))
    assert client.get(f"/account/reviews/new/{line_of(theirs)}").status_code == 404
    response = client.post(f"/account/reviews/new/{line_of(theirs)}", data={"rating": "5", "text": GOOD_TEXT})
    assert response.status_code == 404
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Review)) == 0


def test_my_reviews_show_each_state_and_the_rejection_reason(client, db_session, catalog, customer):
    published_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    rejected = write_review(db_session, customer, realised_order(db_session, customer, catalog.flyers), text=BAD_TEXT)
    moderation.reject(db_session, review_ids=[rejected.id], actor=MODERATOR, reason="other", comment="Уберите фамилию")
    db_session.commit()
    login_customer(client, customer.email)
    html = page_text(client.get("/account/reviews"))
    states = re.findall(r'data-testid="my-review-state">([^<]+)<', html)
    assert sorted(states) == ["Опубликован", "Отклонён"]
    assert "Причина: Другое — Уберите фамилию." in html


def test_editing_through_the_form_keeps_the_rating_after_publication(client, db_session, catalog, customer):
    review = published_review(db_session, customer, realised_order(db_session, customer, catalog.cards), rating=4)
    login_customer(client, customer.email)
    form_page = page_text(client.get(f"/account/reviews/{review.id}/edit"))
    assert "после публикации не меняется" in form_page and 'id="rating-1" value="1" autocomplete="off"' in form_page
    assert re.search(r'id="rating-1"[^>]*disabled', form_page) and not re.search(
        r'id="rating-4"[^>]*disabled', form_page
    )
    response = client.post(f"/account/reviews/{review.id}/edit", data={"rating": "5", "text": GOOD_TEXT})
    assert response.status_code == 400 and "оценку изменить нельзя" in page_text(response)
    response = client.post(f"/account/reviews/{review.id}/edit", data={"rating": "4", "text": GOOD_TEXT + " Дополню."})
    assert response.status_code == 302
    db_session.expire_all()
    assert review.state == ReviewState.pending and review.text.endswith("Дополню.")


def test_nobody_opens_another_customers_review_or_its_private_photos(
    client, db_session, catalog, customer, other_customer
):
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards), photos=[photo()])
    photo_id = review.photos[0].id
    login_customer(client, other_customer.email)
    assert client.get(f"/account/reviews/{review.id}/edit").status_code == 404
    assert client.post(f"/account/reviews/{review.id}/edit", data={"rating": "1", "text": BAD_TEXT}).status_code == 404
    assert client.get(f"/reviews/photos/{photo_id}/large").status_code == 404
    moderation.approve(db_session, review_ids=[review.id], actor=MODERATOR)
    db_session.commit()
    with client.get(f"/reviews/photos/{photo_id}/large") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_order_page_offers_a_review_of_each_line_once_realised(client, db_session, catalog, customer):
    order = realised_order(db_session, customer, catalog.cards)
    login_customer(client, customer.email)
    assert 'data-testid="line-write-review"' in page_text(client.get(f"/account/orders/{order.number}"))
    write_review(db_session, customer, order)
    html = page_text(client.get(f"/account/orders/{order.number}"))
    assert 'data-testid="line-review"' in html and "на модерации" in html


def test_every_review_post_needs_a_csrf_token(app, client, db_session, catalog, customer, other_customer, monkeypatch):
    order = realised_order(db_session, customer, catalog.cards)
    theirs = published_review(db_session, other_customer, realised_order(db_session, other_customer, catalog.cards))
    waiting_order = realised_order(db_session, customer, catalog.flyers)
    mine = write_review(db_session, customer, waiting_order, text=BAD_TEXT)
    login_customer(client, customer.email)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    for url, data in (
        (f"/account/reviews/new/{line_of(order)}", {"rating": "5", "text": GOOD_TEXT}),
        (f"/account/reviews/{mine.id}/edit", {"rating": "5", "text": GOOD_TEXT}),
        (f"/reviews/{theirs.id}/helpful", {}),
    ):
        response = client.post(url, data=data)
        assert response.status_code == 400 and "Форма устарела" in page_text(response), url
    db_session.expire_all()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Review)) == 2
    assert mine.text == BAD_TEXT and theirs.helpful_count == 0
    form_page = page_text(client.get(f"/account/reviews/new/{line_of(order)}"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', form_page).group(1)
    response = client.post(
        f"/account/reviews/new/{line_of(order)}", data={"rating": "5", "text": GOOD_TEXT, "csrf_token": token}
    )
    assert response.status_code == 302


def test_review_text_and_names_are_escaped_on_the_page(client, db_session, catalog, customer):
    customer.full_name = "<img src=x onerror=alert(1)>"
    db_session.commit()
    published_review(
        db_session,
        customer,
        realised_order(db_session, customer, catalog.cards),
        text="<script>alert(1)</script> текст",
    )
    html = page_text(client.get(PRODUCT))
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; текст" in html
    assert "<img src=x onerror" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
