"""Back-office reviews: the role matrix, the queue and its filters, the review page (preview as on the site),
single and mass moderation with a result per review, reply / pin / hide a photo, settings, figures, CSRF."""

import re

import pytest
import sqlalchemy as sa

from app.models.reviews import RejectReason, Review, ReviewEvent, ReviewSettings, ReviewState
from app.views.admin.permissions import STAFF_ROLES
from tests.factories import login_staff, make_customer, make_staff
from tests.review_helpers import BAD_TEXT, photo, published_review, realised_order, write_review
from tests.views.admin.test_orders_admin import login_staff_with_csrf

MODERATORS = {"Admin", "Manager", "Support"}
FIGURES = {"Admin", "Manager"}
SETTINGS = {"Admin", "Manager"}


def text(response) -> str:
    return response.get_data(as_text=True)


def allowed(response) -> bool:
    if response.status_code == 200:
        return True
    if response.status_code in (403, 404):
        return False
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    return "login" not in location and location.rstrip("/") not in ("/admin", "")


def listed_ids(response) -> list[int]:
    return sorted(int(i) for i in re.findall(r'name="rowid" value="(\d+)"', text(response)))


@pytest.fixture
def moderator(app, staff_client):
    login_staff(staff_client, make_staff(app, "Support"))
    return staff_client


@pytest.fixture
def waiting(db_session, catalog, customer):
    return write_review(db_session, customer, realised_order(db_session, customer, catalog.cards), photos=[photo()])


# ------------------------------------------------------------------------------------------------ the roles


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_role_gets_exactly_its_review_rights(app, staff_client, db_session, waiting, role):
    login_staff(staff_client, make_staff(app, role))
    assert allowed(staff_client.get("/admin/reviewview/list/")) == (role in MODERATORS)
    assert allowed(staff_client.get(f"/admin/reviewview/show/{waiting.id}")) == (role in MODERATORS)
    assert allowed(staff_client.get("/admin/reviewfiguresview/")) == (role in FIGURES)
    assert allowed(staff_client.get("/admin/reviewsettingsview/")) == (role in SETTINGS)
    staff_client.post(f"/admin/reviewview/decide/{waiting.id}", data={"decision": "approve"})
    staff_client.post("/admin/reviewsettingsview/save", data={"auto_publish": "1", "invite_after_days": "3"})
    db_session.expire_all()
    assert (waiting.state == ReviewState.published) == (role in MODERATORS)
    stored = db_session.get(ReviewSettings, 1)
    assert (stored is not None and stored.auto_publish) == (role in SETTINGS)
    menu = text(staff_client.get("/admin/"))
    assert ("/admin/reviewview/list/" in menu) == (role in MODERATORS)


def test_anonymous_staff_pages_go_to_login(staff_client, waiting):
    for url in ("/admin/reviewview/list/", f"/admin/reviewview/preview/{waiting.id}", "/admin/reviewfiguresview/"):
        response = staff_client.get(url)
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


# ------------------------------------------------------------------------------------------------ the queue


def test_the_queue_filters_by_state_rating_product_flags_photos_and_period(
    moderator, db_session, catalog, customer, other_customer
):
    with_photo = write_review(
        db_session, customer, realised_order(db_session, customer, catalog.cards), rating=5, photos=[photo()]
    )
    flagged = write_review(
        db_session,
        other_customer,
        realised_order(db_session, other_customer, catalog.cards),
        rating=1,
        text="Звоните +7 916 555-44-33, расскажу как было",
    )
    third = make_customer(db_session, email="third@example.ru", full_name="Третий")
    flyers = published_review(
        db_session, third, realised_order(db_session, third, catalog.flyers), rating=3, text=BAD_TEXT
    )
    base = "/admin/reviewview/list/"
    assert listed_ids(moderator.get(base)) == sorted([with_photo.id, flagged.id, flyers.id])
    assert listed_ids(moderator.get(base + "?_flt_0_state=pending")) == sorted([with_photo.id, flagged.id])
    assert listed_ids(moderator.get(base + "?_flt_0_state=published")) == [flyers.id]
    assert listed_ids(moderator.get(base + "?_flt_0_rating=1")) == [flagged.id]
    assert listed_ids(moderator.get(base + f"?_flt_0_product={catalog.flyers.id}")) == [flyers.id]
    assert listed_ids(moderator.get(base + "?_flt_0_flags=any")) == [flagged.id]
    assert listed_ids(moderator.get(base + "?_flt_0_flags=phone")) == [flagged.id]
    assert listed_ids(moderator.get(base + "?_flt_0_flags=email")) == []
    assert listed_ids(moderator.get(base + "?_flt_0_flags=none")) == sorted([with_photo.id, flyers.id])
    assert listed_ids(moderator.get(base + "?_flt_0_photos=yes")) == [with_photo.id]
    assert listed_ids(moderator.get(base + "?_flt_0_submitted_at=2001-01-01&_flt_1_submitted_at=2001-12-31")) == []
    page = text(moderator.get(base))
    assert "Номер телефона" in page and "На модерации" in page


def test_the_review_page_shows_flags_photos_log_and_a_preview_exactly_as_on_the_site(
    moderator, db_session, catalog, customer
):
    review = write_review(
        db_session,
        customer,
        realised_order(db_session, customer, catalog.cards),
        text="Пишите на ivan@mail.ru\nвторая строка",
        photos=[photo(name="мой_файл.jpg")],
    )
    page = text(moderator.get(f"/admin/reviewview/show/{review.id}"))
    assert 'data-testid="admin-review-flags"' in page and "ivan@mail.ru" in page
    assert "мой_файл.jpg" in page and f"/admin/reviewview/preview/{review.id}" in page
    assert "Отзыв написан" in page and "Правила" in page
    preview = moderator.get(f"/admin/reviewview/preview/{review.id}")
    assert (
        preview.headers["X-Frame-Options"] == "SAMEORIGIN"
        and "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    )
    html = text(preview)
    assert "/static/css/shop.css" in html and 'data-testid="review-text">Пишите на ivan@mail.ru\nвторая строка<' in html
    assert f"/admin/reviewview/photo/{review.photos[0].id}/thumb" in html
    with moderator.get(f"/admin/reviewview/photo/{review.photos[0].id}/large") as image:
        assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert moderator.get("/admin/reviewview/show/999999").status_code == 404


# ------------------------------------------------------------------------------------------------ moderation


def test_single_approve_and_reject_from_the_review_page(moderator, db_session, waiting):
    response = moderator.post(f"/admin/reviewview/decide/{waiting.id}", data={"decision": "reject", "reason": "other"})
    assert response.status_code == 302
    db_session.expire_all()
    assert waiting.state == ReviewState.pending  # «Другое» needs a text
    assert "напишите пояснение" in text(moderator.get(f"/admin/reviewview/show/{waiting.id}"))
    moderator.post(
        f"/admin/reviewview/decide/{waiting.id}", data={"decision": "reject", "reason": "spam", "comment": "Реклама"}
    )
    db_session.expire_all()
    assert (waiting.state, waiting.reject_reason, waiting.reject_comment) == (
        ReviewState.rejected,
        RejectReason.spam,
        "Реклама",
    )
    moderator.post(f"/admin/reviewview/decide/{waiting.id}", data={"decision": "approve"})
    db_session.expire_all()
    assert waiting.state == ReviewState.published and waiting.moderated_by_name == "Тестов Support"
    entries = db_session.scalars(sa.select(ReviewEvent).where(ReviewEvent.field == "state").order_by(ReviewEvent.id))
    assert [(e.actor_kind.value, e.old_value, e.new_value) for e in entries] == [
        ("staff", "pending", "rejected"),
        ("staff", "rejected", "published"),
    ]


def test_mass_approve_and_mass_reject_report_each_review(moderator, db_session, catalog, customer, other_customer):
    first = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    already = published_review(
        db_session, other_customer, realised_order(db_session, other_customer, catalog.cards), text=BAD_TEXT
    )
    response = moderator.post(
        "/admin/reviewview/action_post", data={"action": "approve_action", "rowid": [first.id, already.id]}
    )
    page = text(response)
    assert response.status_code == 200 and "Отзывов: 2, опубликовано: 1, пропущено: 1." in page
    assert f'data-review-id="{first.id}"' in page and "уже «опубликован»" in page
    response = moderator.post(
        "/admin/reviewview/action_post", data={"action": "reject_action", "rowid": [first.id, already.id]}
    )
    assert response.status_code == 302 and "/admin/reviewview/reject?ids=" in response.headers["Location"]
    ids = f"{first.id},{already.id}"
    form = moderator.get(f"/admin/reviewview/reject?ids={ids}")
    assert "Оценка — не причина" not in text(form) and "Низкая оценка — не причина" in text(form)
    refused = moderator.post("/admin/reviewview/reject", data={"ids": ids, "reason": ""})
    assert refused.status_code == 400 and "Выберите причину" in text(refused)
    done = moderator.post("/admin/reviewview/reject", data={"ids": ids, "reason": "off_topic"})
    assert "Отзывов: 2, отклонено: 2." in text(done)
    db_session.expire_all()
    assert {first.state, already.state} == {ReviewState.rejected}


def test_reply_pin_and_hide_a_photo_from_the_review_page(moderator, db_session, catalog, customer, client):
    review = published_review(
        db_session, customer, realised_order(db_session, customer, catalog.cards), photos=[photo()]
    )
    moderator.post(f"/admin/reviewview/reply/{review.id}", data={"reply": "Спасибо за отзыв!"})
    moderator.post(f"/admin/reviewview/pin/{review.id}", data={"pinned": "1"})
    moderator.post(f"/admin/reviewview/photo/{review.photos[0].id}/hide", data={"hidden": "1"})
    db_session.expire_all()
    assert (review.reply_text, review.pinned, review.photos[0].hidden) == ("Спасибо за отзыв!", True, True)
    product_page = text(client.get("/product/vizitki-standart"))
    assert "Спасибо за отзыв!" in product_page and "Закреплён магазином" in product_page
    assert f"/reviews/photos/{review.photos[0].id}/" not in product_page
    assert moderator.post("/admin/reviewview/photo/999999/hide", data={"hidden": "1"}).status_code == 404


# ------------------------------------------------------------------------------------------ settings, figures


def test_the_settings_page_says_the_rating_never_decides_and_saves(app, staff_client, db_session):
    login_staff(staff_client, make_staff(app, "Manager"))
    page = text(staff_client.get("/admin/reviewsettingsview/"))
    assert "Оценка ничего не решает" in page and "никогда — на оценку" in page
    staff_client.post("/admin/reviewsettingsview/save", data={"invite_after_days": "200"})
    assert db_session.get(ReviewSettings, 1) is None
    assert "от 0 до 90" in text(staff_client.get("/admin/reviewsettingsview/"))
    staff_client.post("/admin/reviewsettingsview/save", data={"auto_publish": "1", "invite_after_days": "10"})
    stored = db_session.get(ReviewSettings, 1)
    assert (stored.auto_publish, stored.invite_after_days, stored.updated_by_name) == (True, 10, "Тестов Manager")


def test_the_figures_page_for_the_manager(app, staff_client, db_session, catalog, customer):
    published_review(db_session, customer, realised_order(db_session, customer, catalog.cards), rating=4)
    login_staff(staff_client, make_staff(app, "Manager"))
    page = text(staff_client.get("/admin/reviewfiguresview/?grouping=day"))
    assert 'data-testid="figure-written">1<' in page
    assert re.search(r"Визитки[^<]*</td><td[^>]*>1</td><td[^>]*>4,0</td>", page)
    for query in ("?start=bad&end=2026-13-45", "?start=2030-01-01&end=2020-01-01&grouping=month"):
        assert staff_client.get("/admin/reviewfiguresview/" + query).status_code == 200


# ------------------------------------------------------------------------------------------------ CSRF, XSS


def test_every_back_office_review_post_needs_a_csrf_token(app, admin_app, db_session, waiting, monkeypatch):
    monkeypatch.setitem(admin_app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    login_staff_with_csrf(client, make_staff(app, "Admin"))
    photo_id = waiting.photos[0].id
    for url, data in (
        ("/admin/reviewview/action_post", {"action": "approve_action", "rowid": [waiting.id]}),
        ("/admin/reviewview/reject", {"ids": str(waiting.id), "reason": "spam"}),
        (f"/admin/reviewview/decide/{waiting.id}", {"decision": "approve"}),
        (f"/admin/reviewview/reply/{waiting.id}", {"reply": "x"}),
        (f"/admin/reviewview/pin/{waiting.id}", {"pinned": "1"}),
        (f"/admin/reviewview/photo/{photo_id}/hide", {"hidden": "1"}),
        ("/admin/reviewsettingsview/save", {"auto_publish": "1", "invite_after_days": "1"}),
    ):
        assert client.post(url, data=data).status_code == 400, url
    db_session.expire_all()
    assert waiting.state == ReviewState.pending and waiting.reply_text == "" and not waiting.photos[0].hidden
    assert db_session.get(ReviewSettings, 1) is None
    page = text(client.get(f"/admin/reviewview/show/{waiting.id}"))
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/reviewview/decide/{waiting.id}", data={"decision": "approve", "csrf_token": token})
    assert response.status_code == 302
    db_session.expire_all()
    assert waiting.state == ReviewState.published


def test_review_fields_are_escaped_in_the_back_office(moderator, db_session, catalog):
    author = make_customer(db_session, email="x@example.ru", full_name="<img src=x onerror=alert(1)>")
    review = write_review(
        db_session,
        author,
        realised_order(db_session, author, catalog.cards),
        text="<script>alert(1)</script> текст отзыва",
        photos=[photo(name="<svg onload=alert(1)>.jpg")],
    )
    for url in (
        "/admin/reviewview/list/",
        f"/admin/reviewview/show/{review.id}",
        f"/admin/reviewview/preview/{review.id}",
    ):
        page = text(moderator.get(url))
        assert "<script>alert(1)</script>" not in page and "<img src=x onerror" not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt; текст отзыва" in page, url
    assert db_session.scalar(sa.select(Review.author_name)) == "<img src=x onerror=alert(1)>"
