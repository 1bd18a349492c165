"""Test data for reviews: realised orders, reviews written through the service, photos with EXIF, staff actors."""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy.orm import Session

from app.models import ActorKind, Customer, Order, OrderStatus, Product
from app.models.reviews import Review
from app.services.actors import Actor
from app.services.reviews import moderation, settings, submission
from app.services.reviews.photos import PhotoUpload
from app.services.reviews.submission import ReviewInput
from tests.factories import advance, place_order

S = OrderStatus
MODERATOR = Actor(ActorKind.staff, "Модераторова Мария", staff_id=None)
GOOD_TEXT = "Отличные визитки: бумага плотная, цвета как на макете, забрали через два дня."
BAD_TEXT = "Цвета поехали, бумага тоньше заявленной, резка неровная. Больше не закажу."


def realised_order(
    session: Session, customer: Customer, product: Product, *, status: OrderStatus = S.handed_over, **kwargs
) -> Order:
    """An order taken through the state machine to «Выдан» (pickup) or «Отправлен» (courier), or further."""
    courier = status == S.shipped or kwargs.get("delivery") == "courier"
    if courier:
        kwargs |= {"delivery": "courier", "address": "Москва, ул. Тверская, д. 1"}
    order = place_order(session, customer, product, **kwargs)
    steps = [S.confirmed, S.in_production, S.ready]
    if status != S.ready:
        steps.append(S.shipped if courier else S.handed_over)
    if status == S.completed:
        steps.append(S.completed)
    return advance(session, order, *steps)


def line_of(order: Order) -> int:
    return order.product_lines[0].id


def photo_bytes(size: tuple[int, int] = (2400, 1800), fmt: str = "JPEG", *, gps: bool = True) -> bytes:
    """A photo as a phone makes it: large, with EXIF that names the camera and (optionally) where it was taken."""
    img = Image.new("RGB", size, (40, 120, 200))
    buffer = io.BytesIO()
    if fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "Phone X"  # Model
        if gps:
            exif[0x8825] = {1: "N", 2: (55.0, 45.0, 21.0), 3: "E", 4: (37.0, 37.0, 4.0)}
        img.save(buffer, format="JPEG", exif=exif)
    else:
        img.save(buffer, format=fmt)
    return buffer.getvalue()


def photo(data: bytes | None = None, name: str = "IMG_0001.jpg") -> PhotoUpload:
    return PhotoUpload(io.BytesIO(data if data is not None else photo_bytes()), name)


def write_review(
    session: Session,
    customer: Customer,
    order: Order,
    *,
    rating: int = 5,
    text: str = GOOD_TEXT,
    name_only: bool = False,
    photos: list[PhotoUpload] | None = None,
    commit: bool = True,
) -> Review:
    review = submission.submit_review(
        session,
        customer=customer,
        line_id=line_of(order),
        data=ReviewInput(rating=rating, text=text, name_only=name_only),
        photo_uploads=photos or [],
    )
    if commit:
        session.commit()
    return review


def published_review(session: Session, customer: Customer, order: Order, **kwargs) -> Review:
    review = write_review(session, customer, order, **kwargs)
    moderation.approve(session, review_ids=[review.id], actor=MODERATOR)
    session.commit()
    return review


def enable_auto_publish(session: Session, on: bool = True, days: int = 7) -> None:
    settings.save(session, auto_publish=on, invite_after_days=days, actor=MODERATOR)
    session.commit()
