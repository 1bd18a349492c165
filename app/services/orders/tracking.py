"""Tracking numbers of shipped orders: per order or per package, with the carrier and the carrier's tracking page;
every addition and removal is written to the order's history."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import DeliveryMethod, Order, OrderTracking
from app.services.actors import Actor
from app.services.errors import NotFound, ValidationError
from app.services.orders.history import entry_row, record_many


@dataclass(frozen=True)
class Carrier:
    key: str
    name: str
    url: str | None  # the carrier's tracking page, `{number}` filled in
    pattern: str  # what its numbers look like
    example: str


CARRIERS = {
    c.key: c
    for c in (
        Carrier(
            "pochta",
            "Почта России",
            "https://www.pochta.ru/tracking?barcode={number}",
            r"\d{14}|[A-Z]{2}\d{9}[A-Z]{2}",
            "80085290123456 или RA123456789RU",
        ),
        Carrier("cdek", "СДЭК", "https://www.cdek.ru/ru/tracking?order_id={number}", r"\d{8,12}", "1234567890"),
        Carrier("dpd", "DPD", "https://www.dpd.ru/ru/tracking?orderNum={number}", r"[A-Z0-9-]{6,20}", "RU123456789"),
        Carrier("other", "Другая служба", None, r"[A-Z0-9-]{4,40}", "AB-123456"),
    )
}


@dataclass(frozen=True)
class TrackingLink:
    carrier: str
    number: str
    package: int | None
    url: str | None

    @property
    def label(self) -> str:
        where = f", место {self.package}" if self.package else ""
        return f"{self.carrier} {self.number}{where}"


def link(entry: OrderTracking) -> TrackingLink:
    carrier = CARRIERS.get(entry.carrier) or CARRIERS["other"]
    url = carrier.url.format(number=quote(entry.number)) if carrier.url else None
    return TrackingLink(carrier.name, entry.number, entry.package, url)


def links(order: Order) -> list[TrackingLink]:
    return [link(entry) for entry in order.tracking]


def add_tracking(
    session: Session, order: Order, *, carrier: str, number: str, package: int | str | None, actor: Actor
) -> OrderTracking:
    """Record a tracking number (the whole order, or package 1…N of its places); refused with the reason when
    the carrier is unknown, the number does not look like the carrier's, or it is recorded already."""
    if order.delivery_method == DeliveryMethod.pickup:
        raise ValidationError("Самовывоз не отправляют — трек-номер не нужен.", field="number")
    found = CARRIERS.get(carrier)
    if found is None:
        raise ValidationError("Выберите службу доставки из списка.", field="carrier")
    clean = re.sub(r"\s+", "", number or "").upper()
    if not clean:
        raise ValidationError("Укажите трек-номер.", field="number")
    if not re.fullmatch(found.pattern, clean):
        raise ValidationError(f"Трек-номер {found.name} выглядит иначе, например {found.example}.", field="number")
    place: int | None = None
    if package not in (None, ""):
        try:
            place = int(str(package))
        except ValueError:
            raise ValidationError("Место — число от 1 до числа мест заказа.", field="package") from None
        if not 1 <= place <= order.packages:
            raise ValidationError(f"Место — число от 1 до {order.packages} (мест в заказе).", field="package")
    taken = session.scalar(
        sa.select(OrderTracking.id).where(
            OrderTracking.order_id == order.id, OrderTracking.carrier == carrier, OrderTracking.number == clean
        )
    )
    if taken is not None:
        raise ValidationError(f"Трек-номер {clean} уже указан в заказе.", field="number")
    entry = OrderTracking(
        order_id=order.id, carrier=carrier, number=clean, package=place, created_by_name=actor.name[:200]
    )
    session.add(entry)
    session.flush()
    record_many(session, [entry_row(order.id, actor, "tracking", None, link(entry).label)])
    session.expire(order, ["tracking", "history"])
    return entry


def remove_tracking(session: Session, order: Order, tracking_id: int, *, actor: Actor) -> None:
    entry = session.get(OrderTracking, tracking_id)
    if entry is None or entry.order_id != order.id:
        raise NotFound("Трек-номер не найден.")
    label = link(entry).label
    session.delete(entry)
    session.flush()
    record_many(session, [entry_row(order.id, actor, "tracking", label, None)])
    session.expire(order, ["tracking", "history"])
