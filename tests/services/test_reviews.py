"""Writing reviews: only the buyer of a realised line, once per line; edit rules; photos; blocked customers and
rate limits; the text stays plain text as typed."""

import io

import pytest
import sqlalchemy as sa
from PIL import Image

from app.models import OrderStatus, StoredFile
from app.models.reviews import Review, ReviewEvent, ReviewPhoto, ReviewState
from app.services import storage
from app.services.errors import NotFound, PermissionDenied, ValidationError
from app.services.orders import cart as cart_service
from app.services.orders import lifecycle, placing
from app.services.reviews import photos, public, submission
from app.services.reviews.submission import ReviewInput
from tests.factories import add_member, advance, make_company, make_customer, place_order
from tests.review_helpers import (
    BAD_TEXT,
    GOOD_TEXT,
    line_of,
    photo,
    photo_bytes,
    published_review,
    realised_order,
    write_review,
)

S = OrderStatus


def count(session, model, *where) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# ---------------------------------------------------------------------------------------------- verified buyer


@pytest.mark.parametrize("status", [S.shipped, S.handed_over, S.completed])
def test_the_buyer_of_a_realised_order_may_review_each_line(db_session, catalog, customer, status):
    order = realised_order(db_session, customer, catalog.cards, status=status)
    review = write_review(db_session, customer, order)
    assert review.state == ReviewState.pending
    assert review.product_id == catalog.cards.id and review.order_line_id == line_of(order)
    assert review.customer_id == customer.id


@pytest.mark.parametrize("steps", [(), (S.confirmed,), (S.confirmed, S.in_production, S.ready), (S.cancelled,)])
def test_an_order_not_yet_realised_cannot_be_reviewed(db_session, catalog, customer, steps):
    order = advance(db_session, place_order(db_session, customer, catalog.cards), *steps)
    with pytest.raises(ValidationError, match="когда заказ получен"):
        write_review(db_session, customer, order)
    assert count(db_session, Review) == 0


def test_a_refunded_order_cannot_be_reviewed(db_session, catalog, customer):
    order = realised_order(db_session, customer, catalog.cards, status=S.completed)

    from app.services.actors import Actor

    lifecycle.mark_paid(db_session, order, actor=Actor.system("test"))
    advance(db_session, order, S.refunded)
    with pytest.raises(ValidationError):
        write_review(db_session, customer, order)


def test_no_order_or_another_customers_order_is_not_found(db_session, catalog, customer, other_customer):
    theirs = realised_order(db_session, other_customer, catalog.cards)
    with pytest.raises(NotFound):
        write_review(db_session, customer, theirs)
    with pytest.raises(NotFound):
        submission.submit_review(
            db_session, customer=customer, line_id=999999, data=ReviewInput(rating=5, text=GOOD_TEXT)
        )
    assert count(db_session, Review) == 0


def test_a_company_order_is_reviewed_by_the_member_who_bought_it_not_by_the_owner(
    db_session, catalog, customer, other_customer
):
    import uuid

    from tests.factories import layout_for

    company = make_company(db_session, customer)  # customer owns the company and sees its orders
    add_member(db_session, company, other_customer, "buyer")
    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=other_customer.id)
    ids = catalog.defaults(catalog.cards)
    layout = storage.store_bytes(
        db_session, data=layout_for(catalog.cards, ids), filename="m.pdf", customer_id=other_customer.id
    )
    cart_service.add_item(db_session, cart, product=catalog.cards, quantity=100, option_value_ids=ids, layout=layout)
    order = placing.place_order(
        db_session,
        customer=other_customer,
        cart=cart,
        data=placing.CheckoutData(
            contact_name="Закупщик",
            contact_email=other_customer.email,
            contact_phone="+79990001122",
            delivery_method="pickup",
            payment_method="invoice",
            checkout_token=uuid.uuid4().hex,
            company_id=str(company.id),
        ),
    )
    db_session.commit()
    assert order.company_id == company.id
    realised = advance(db_session, order, S.confirmed, S.in_production, S.ready, S.handed_over)
    with pytest.raises(NotFound):
        write_review(db_session, customer, realised)  # the owner sees the order but did not buy it
    db_session.rollback()
    assert write_review(db_session, other_customer, realised).customer_id == other_customer.id


def test_one_review_per_line_but_each_purchase_of_a_product_may_be_reviewed(db_session, catalog, customer):
    first = realised_order(db_session, customer, catalog.cards)
    second = realised_order(db_session, customer, catalog.cards)
    write_review(db_session, customer, first)
    with pytest.raises(ValidationError, match="уже есть"):
        write_review(db_session, customer, first)
    write_review(db_session, customer, second, text=BAD_TEXT, rating=2)
    assert count(db_session, Review, Review.product_id == catalog.cards.id) == 2


def test_the_unique_key_refuses_a_second_review_of_a_line_even_past_the_check(db_session, catalog, customer):
    order = realised_order(db_session, customer, catalog.cards)
    write_review(db_session, customer, order)
    line = order.product_lines[0]
    db_session.add(
        Review(
            product_id=line.product_id,
            order_line_id=line.id,
            customer_id=customer.id,
            rating=1,
            text=BAD_TEXT,
            text_fingerprint="x",
            author_name="x",
            purchase_label="x",
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db_session.flush()


def test_lines_to_review_lists_realised_unreviewed_lines_only(db_session, catalog, customer):
    done = realised_order(db_session, customer, catalog.cards)
    waiting = realised_order(db_session, customer, catalog.flyers)
    place_order(db_session, customer, catalog.stickers)  # not realised
    write_review(db_session, customer, done)
    assert [line.order_id for line in submission.lines_to_review(db_session, customer.id)] == [waiting.id]
    assert submission.lines_to_review(db_session, customer.id, product_id=catalog.cards.id) == []


def test_the_review_is_tied_to_what_was_bought(db_session, catalog, customer):
    options = catalog.defaults(catalog.cards, "Крафт 350 г/м²", "Матовая ламинация")
    order = realised_order(db_session, customer, catalog.cards, option_ids=options, quantity=500)
    review = write_review(db_session, customer, order)
    assert review.purchase_label == "90×50 мм (стандарт), Крафт 350 г/м², Односторонняя 4+0, Матовая ламинация, 500 шт"


def test_show_only_the_first_name_when_asked(db_session, catalog, customer):
    customer.full_name = "Иван Петров"
    order = realised_order(db_session, customer, catalog.cards)
    review = write_review(db_session, customer, order, name_only=True)
    assert review.author_name == "Иван"
    nameless = make_customer(db_session, email="nameless@example.ru")
    assert write_review(db_session, nameless, realised_order(db_session, nameless, catalog.cards)).author_name == (
        "Покупатель"
    )


# ------------------------------------------------------------------------------------------------ the text


@pytest.mark.parametrize(
    ("rating", "text", "field"),
    [
        (0, GOOD_TEXT, "rating"),
        (6, GOOD_TEXT, "rating"),
        ("пять", GOOD_TEXT, "rating"),
        (None, GOOD_TEXT, "rating"),
        (5, "Норм", "text"),
        (5, "   \n  ", "text"),
        (5, "я" * 3001, "text"),
    ],
)
def test_bad_rating_or_text_is_refused_and_nothing_is_stored(db_session, catalog, customer, rating, text, field):
    order = realised_order(db_session, customer, catalog.cards)
    with pytest.raises(ValidationError) as refused:
        write_review(db_session, customer, order, rating=rating, text=text)
    assert refused.value.field == field
    db_session.rollback()
    assert count(db_session, Review) == 0 and count(db_session, ReviewEvent) == 0


def test_text_is_kept_as_typed_plain_text_without_control_characters(db_session, catalog, customer):
    order = realised_order(db_session, customer, catalog.cards)
    typed = "Строка <b>один</b> & «два»\r\n\r\n\r\n\r\nСтрока [три](http://x)\x00\u202e  "
    review = write_review(db_session, customer, order, text=typed)
    assert review.text == "Строка <b>один</b> & «два»\n\nСтрока [три](http://x)"


# ------------------------------------------------------------------------------------------------ editing


def test_before_publication_the_author_edits_text_and_rating(db_session, catalog, customer):
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards), rating=4)
    edited, changed = submission.edit_review(
        db_session, customer=customer, review_id=review.id, data=ReviewInput(rating=2, text=BAD_TEXT)
    )
    db_session.commit()
    assert changed and (edited.rating, edited.text, edited.state) == (2, BAD_TEXT, ReviewState.pending)
    entry = db_session.scalars(sa.select(ReviewEvent).where(ReviewEvent.field == "edited")).one()
    assert (entry.old_value, entry.new_value, entry.comment) == (GOOD_TEXT, BAD_TEXT, "оценка: 4 → 2")


def test_after_publication_the_rating_is_fixed_and_an_edit_goes_back_to_moderation(db_session, catalog, customer):
    review = published_review(db_session, customer, realised_order(db_session, customer, catalog.cards), rating=5)
    with pytest.raises(ValidationError, match="оценку изменить нельзя"):
        submission.edit_review(
            db_session, customer=customer, review_id=review.id, data=ReviewInput(rating=1, text=GOOD_TEXT)
        )
    db_session.rollback()
    edited, changed = submission.edit_review(
        db_session, customer=customer, review_id=review.id, data=ReviewInput(rating=5, text=GOOD_TEXT + " Дополню.")
    )
    db_session.commit()
    assert changed and edited.state == ReviewState.pending and edited.published_at is None
    assert public.rating_summary(db_session, catalog.cards.id).count == 0  # off the page until approved again
    states = db_session.scalars(
        sa.select(ReviewEvent.new_value).where(ReviewEvent.field == "state").order_by(ReviewEvent.id)
    ).all()
    assert states == ["published", "pending"]


def test_an_edit_without_changes_changes_nothing(db_session, catalog, customer):
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    _, changed = submission.edit_review(
        db_session, customer=customer, review_id=review.id, data=ReviewInput(rating=5, text=GOOD_TEXT)
    )
    assert not changed and count(db_session, ReviewEvent, ReviewEvent.field == "edited") == 0


def test_a_rejected_review_fixed_by_its_author_waits_for_moderation_again(db_session, catalog, customer):
    from app.services.reviews import moderation
    from tests.review_helpers import MODERATOR

    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    moderation.reject(db_session, review_ids=[review.id], actor=MODERATOR, reason="off_topic")
    db_session.commit()
    edited, _ = submission.edit_review(
        db_session, customer=customer, review_id=review.id, data=ReviewInput(rating=5, text=BAD_TEXT)
    )
    assert edited.state == ReviewState.pending and edited.reject_reason is None


def test_nobody_edits_another_customers_review(db_session, catalog, customer, other_customer):
    review = write_review(db_session, customer, realised_order(db_session, customer, catalog.cards))
    with pytest.raises(NotFound):
        submission.edit_review(
            db_session, customer=other_customer, review_id=review.id, data=ReviewInput(rating=1, text=BAD_TEXT)
        )


# ------------------------------------------------------------------------------- blocked customers, rate limit


def test_a_blocked_customer_cannot_review_edit_or_vote(db_session, catalog, customer, other_customer):
    order = realised_order(db_session, customer, catalog.cards)
    second = realised_order(db_session, customer, catalog.flyers)
    theirs = published_review(db_session, other_customer, realised_order(db_session, other_customer, catalog.cards))
    mine = write_review(db_session, customer, order)
    customer.active = False
    db_session.commit()
    with pytest.raises(PermissionDenied, match="заблокирован"):
        write_review(db_session, customer, second)
    with pytest.raises(PermissionDenied):
        submission.edit_review(
            db_session, customer=customer, review_id=mine.id, data=ReviewInput(rating=1, text=BAD_TEXT)
        )
    with pytest.raises(PermissionDenied):
        public.vote_helpful(db_session, customer=customer, review_id=theirs.id)


def test_reviews_and_edits_per_customer_per_day_are_limited(db_session, catalog, customer, app, monkeypatch):
    monkeypatch.setitem(app.config, "REVIEW_DAILY_LIMIT", 3)
    orders = [realised_order(db_session, customer, catalog.cards) for _ in range(3)]
    first = write_review(db_session, customer, orders[0])
    write_review(db_session, customer, orders[1], text=BAD_TEXT, rating=1)
    submission.edit_review(
        db_session, customer=customer, review_id=first.id, data=ReviewInput(rating=5, text=GOOD_TEXT + " Ещё.")
    )
    db_session.commit()
    with pytest.raises(ValidationError, match="Слишком много"):
        write_review(db_session, customer, orders[2], text="Третий отзыв о визитках, всё хорошо.")
    db_session.rollback()
    assert count(db_session, Review) == 2


# ------------------------------------------------------------------------------------------------ photos


def stored_image(stored: StoredFile) -> Image.Image:
    with Image.open(storage.open_blob(stored)) as img:
        img.load()
        return img


def test_photos_are_re_encoded_without_exif_and_resized(db_session, catalog, customer):
    original = photo_bytes((4000, 3000))
    assert Image.open(io.BytesIO(original)).getexif()  # the upload does carry EXIF with GPS
    order = realised_order(db_session, customer, catalog.cards)
    review = write_review(db_session, customer, order, photos=[photo(original), photo(photo_bytes(fmt="PNG"), "a.png")])
    assert review.photo_count == 2
    first = review.photos[0]
    large, thumb = stored_image(first.file), stored_image(first.thumb_file)
    assert large.size == (1600, 1200) and (first.width, first.height) == (1600, 1200)
    assert max(thumb.size) == 320
    for img in (large, thumb):
        assert img.format == "JPEG" and not img.getexif() and "exif" not in img.info
    hashes = {row.sha256 for row in db_session.scalars(sa.select(StoredFile))}
    import hashlib

    assert hashlib.sha256(original).hexdigest() not in hashes  # the original bytes were never stored


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.4 not a photo", "scan.pdf", "только фотографии JPEG или PNG"),
        (b"GIF89a......", "anim.gif", "только фотографии JPEG или PNG"),
        (b"", "empty.jpg", "файл пустой"),
        (b"\xff\xd8\xff\xe0" + b"\x00" * 200, "broken.jpg", "повреждён"),
    ],
)
def test_files_that_are_not_photos_are_refused_and_nothing_is_stored(
    db_session, catalog, customer, data, name, message
):
    order = realised_order(db_session, customer, catalog.cards)
    files_before = count(db_session, StoredFile)
    with pytest.raises(ValidationError, match=message):
        write_review(db_session, customer, order, photos=[photo(data, name)])
    db_session.rollback()
    assert count(db_session, Review) == 0 and count(db_session, StoredFile) == files_before


def test_a_decompression_bomb_is_refused(db_session, catalog, customer):
    buffer = io.BytesIO()
    Image.new("1", (20000, 20000)).save(buffer, format="PNG")  # ~50 KB on disk, 400 megapixels decoded
    order = realised_order(db_session, customer, catalog.cards)
    with pytest.raises(ValidationError, match="слишком большое"):
        write_review(db_session, customer, order, photos=[photo(buffer.getvalue(), "bomb.png")])


def test_at_most_five_photos_and_a_size_limit_per_photo(db_session, catalog, customer, app, monkeypatch):
    order = realised_order(db_session, customer, catalog.cards)
    small = photo_bytes((200, 150))
    with pytest.raises(ValidationError, match="не больше 5 фото"):
        write_review(db_session, customer, order, photos=[photo(small) for _ in range(6)])
    db_session.rollback()
    monkeypatch.setitem(app.config, "REVIEW_PHOTO_MAX_BYTES", 1000)
    with pytest.raises(ValidationError, match="больше 0 МБ"):
        write_review(db_session, customer, order, photos=[photo(small)])
    db_session.rollback()
    monkeypatch.setitem(app.config, "REVIEW_PHOTO_MAX_BYTES", 10 * 1024 * 1024)
    review = write_review(db_session, customer, order, photos=[photo(small) for _ in range(5)])
    with pytest.raises(ValidationError, match="не больше 5 фото"):
        submission.edit_review(
            db_session,
            customer=customer,
            review_id=review.id,
            data=ReviewInput(rating=5, text=GOOD_TEXT),
            photo_uploads=[photo(small)],
        )


def test_the_author_removes_and_adds_photos(db_session, catalog, customer):
    order = realised_order(db_session, customer, catalog.cards)
    review = write_review(db_session, customer, order, photos=[photo(photo_bytes((300, 200))), photo()])
    gone = review.photos[0]
    gone_id = gone.id
    edited, changed = submission.edit_review(
        db_session,
        customer=customer,
        review_id=review.id,
        data=ReviewInput(rating=5, text=GOOD_TEXT),
        remove_photo_ids=[gone_id, 999999],
        photo_uploads=[photo(photo_bytes((500, 500)))],
    )
    db_session.commit()
    assert changed and edited.photo_count == 2
    assert [p.position for p in edited.photos] == [2, 3]
    assert db_session.get(ReviewPhoto, gone_id) is None


def test_a_photo_is_public_only_while_its_review_is_published_and_it_is_not_hidden(
    db_session, catalog, customer, other_customer
):
    from app.services.reviews import moderation
    from tests.review_helpers import MODERATOR

    order = realised_order(db_session, customer, catalog.cards)
    review = write_review(db_session, customer, order, photos=[photo()])
    photo_id = review.photos[0].id
    for viewer in (None, other_customer.id):
        with pytest.raises(NotFound):
            photos.public_photo(db_session, photo_id=photo_id, size="thumb", customer_id=viewer)
    _, is_public = photos.public_photo(db_session, photo_id=photo_id, size="thumb", customer_id=customer.id)
    assert is_public is False  # the author sees their own photo while it waits
    moderation.approve(db_session, review_ids=[review.id], actor=MODERATOR)
    stored, is_public = photos.public_photo(db_session, photo_id=photo_id, size="large", customer_id=None)
    assert is_public and stored.id == review.photos[0].file_id
    moderation.set_photo_hidden(db_session, photo_id=photo_id, actor=MODERATOR, hidden=True)
    with pytest.raises(NotFound):
        photos.public_photo(db_session, photo_id=photo_id, size="thumb", customer_id=None)
    with pytest.raises(NotFound):
        photos.public_photo(db_session, photo_id=photo_id, size="original", customer_id=customer.id)


def test_a_second_review_racing_past_the_check_is_refused_with_a_message(db_session, catalog, customer, monkeypatch):
    order = realised_order(db_session, customer, catalog.cards)
    write_review(db_session, customer, order)
    line = order.product_lines[0]
    monkeypatch.setattr(submission, "reviewable_line", lambda session, **_: line)  # as if checked before the first
    with pytest.raises(ValidationError, match="уже есть"):
        write_review(db_session, customer, order, text=BAD_TEXT)
    assert count(db_session, Review) == 1  # the session is still usable after the refused insert
