"""The customer's address book: add, edit, delete, choose the default delivery address (the primary one) and the
default billing address; the addresses used at checkout.

Exactly one primary whenever the customer has any address: a partial unique index guarantees at most
one, these functions the at-least-one. The billing address (the payer's address on a private customer's order
confirmation and documents) is optional: at most one address is marked for it (a second partial unique index);
with none marked — or after the marked one is deleted — the primary address is the billing address too. A
company's documents never use it: they carry the company's legal address from its requisites. Every change
locks the customer's row first (PostgreSQL), so concurrent changes of one address book run one after another.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.models import Address, Customer
from app.services.errors import NotFound, ValidationError
from app.services.phones import format_phone, normalize_phone

POSTCODE = re.compile(r"^\d{6}$")
# «д. 57», «д.57», «дом 57» typed into the house field: the prefix is ours to add, once.
HOUSE_PREFIX = re.compile(r"^(?:д|дом)\.?\s*(?=\d|$)", re.IGNORECASE)


@dataclass
class AddressData:
    label: str = ""
    recipient_name: str = ""
    phone: str = ""
    city: str = ""
    street: str = ""
    house: str = ""
    flat: str = ""
    postcode: str = ""
    comment: str = ""

    @classmethod
    def from_form(cls, form, prefix: str = "") -> AddressData:  # noqa: ANN001 - a MultiDict
        return cls(**{f.name: (form.get(prefix + f.name) or "").strip() for f in fields(cls)})


LIMITS = {
    "label": 40,
    "recipient_name": 200,
    "city": 100,
    "street": 200,
    "house": 20,
    "flat": 20,
    "comment": 500,
}
REQUIRED = {
    "recipient_name": "Укажите имя получателя.",
    "city": "Укажите город.",
    "street": "Укажите улицу.",
    "house": "Укажите номер дома.",
}
NAMES = {
    "label": "Название",
    "recipient_name": "Получатель",
    "city": "Город",
    "street": "Улица",
    "house": "Дом",
    "flat": "Квартира / офис",
    "comment": "Комментарий",
}


def validate(data: AddressData) -> AddressData:
    """Cleaned data (phone as +7…, postcode of 6 digits); ValidationError naming the field otherwise."""
    clean = AddressData(**{f.name: " ".join((getattr(data, f.name) or "").split()) for f in fields(AddressData)})
    clean.comment = (data.comment or "").strip()
    clean.house = HOUSE_PREFIX.sub("", clean.house).strip()  # stored bare: «д. » is added when shown
    for name, message in REQUIRED.items():
        if not getattr(clean, name):
            raise ValidationError(message, field=name)
    for name, limit in LIMITS.items():
        if len(getattr(clean, name)) > limit:
            raise ValidationError(f"Поле «{NAMES[name]}»: не длиннее {limit} символов.", field=name)
    try:
        clean.phone = normalize_phone(clean.phone)
    except ValidationError as exc:
        raise ValidationError(exc.message, field="phone") from None
    if clean.postcode and not POSTCODE.match(clean.postcode):
        raise ValidationError("Индекс — 6 цифр, например 101000.", field="postcode")
    return clean


def _lock_book(session: Session, customer_id: int) -> None:
    """Serialise changes of one customer's address book (row lock on the customer, PostgreSQL)."""
    session.execute(sa.select(Customer.id).where(Customer.id == customer_id).with_for_update())


def addresses_of(session: Session, customer_id: int) -> list[Address]:
    return list(
        session.scalars(
            sa.select(Address)
            .where(Address.customer_id == customer_id)
            .order_by(Address.is_primary.desc(), Address.created_at, Address.id)
        )
    )


def customer_address(session: Session, customer_id: int, address_id: int) -> Address:
    """The customer's own address; NotFound for another customer's (the same answer as for none)."""
    found = session.scalar(sa.select(Address).where(Address.id == address_id, Address.customer_id == customer_id))
    if found is None:
        raise NotFound("Адрес не найден.")
    return found


def primary_address(session: Session, customer_id: int) -> Address | None:
    return session.scalar(sa.select(Address).where(Address.customer_id == customer_id, Address.is_primary.is_(True)))


def billing_address(session: Session, customer_id: int) -> Address | None:
    """The default billing address: the one marked for documents, else the primary one (None: no addresses)."""
    marked = session.scalar(sa.select(Address).where(Address.customer_id == customer_id, Address.is_billing.is_(True)))
    return marked or primary_address(session, customer_id)


def add_address(
    session: Session, *, customer_id: int, data: AddressData, make_primary: bool = False, make_billing: bool = False
) -> Address:
    clean = validate(data)
    _lock_book(session, customer_id)
    count = session.scalar(sa.select(sa.func.count()).where(Address.customer_id == customer_id)) or 0
    limit = int(current_app.config.get("ADDRESS_LIMIT", 20))
    if count >= limit:
        raise ValidationError(f"Можно сохранить не больше {limit} адресов. Удалите ненужный, чтобы добавить новый.")
    address = Address(customer_id=customer_id, is_primary=False, **vars(clean))
    session.add(address)
    session.flush()
    if count == 0 or make_primary:
        _make_primary(session, customer_id, address)
    if make_billing:
        _mark_billing(session, customer_id, address)
    return address


def update_address(session: Session, *, customer_id: int, address_id: int, data: AddressData) -> Address:
    clean = validate(data)
    _lock_book(session, customer_id)
    address = customer_address(session, customer_id, address_id)
    for name, value in vars(clean).items():
        setattr(address, name, value)
    session.flush()
    return address


def _make_primary(session: Session, customer_id: int, address: Address) -> None:
    # Two statements: the old primary is cleared before the new one is set (the unique index checks each row).
    session.execute(
        sa.update(Address)
        .where(Address.customer_id == customer_id, Address.is_primary.is_(True), Address.id != address.id)
        .values(is_primary=False)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        sa.update(Address)
        .where(Address.id == address.id)
        .values(is_primary=True)
        .execution_options(synchronize_session=False)
    )
    session.flush()
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Address) and obj.customer_id == customer_id:
            session.expire(obj, ["is_primary"])


def set_primary(session: Session, *, customer_id: int, address_id: int) -> Address:
    _lock_book(session, customer_id)
    address = customer_address(session, customer_id, address_id)
    _make_primary(session, customer_id, address)
    return customer_address(session, customer_id, address_id)


def _mark_billing(session: Session, customer_id: int, address: Address | None) -> None:
    """Mark `address` for documents (None: unmark, the primary one serves); the old mark is cleared first."""
    session.execute(
        sa.update(Address)
        .where(Address.customer_id == customer_id, Address.is_billing.is_(True))
        .values(is_billing=False)
        .execution_options(synchronize_session=False)
    )
    if address is not None:
        session.execute(
            sa.update(Address)
            .where(Address.id == address.id, Address.customer_id == customer_id)
            .values(is_billing=True)
            .execution_options(synchronize_session=False)
        )
    session.flush()
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Address) and obj.customer_id == customer_id:
            session.expire(obj, ["is_billing"])


def set_billing(session: Session, *, customer_id: int, address_id: int) -> Address:
    """Make the customer's own address their default billing address; another customer's is NotFound."""
    _lock_book(session, customer_id)
    address = customer_address(session, customer_id, address_id)
    _mark_billing(session, customer_id, address)
    return customer_address(session, customer_id, address_id)


def clear_billing(session: Session, *, customer_id: int) -> None:
    """Documents take the delivery address again (the primary one)."""
    _lock_book(session, customer_id)
    _mark_billing(session, customer_id, None)


def delete_address(session: Session, *, customer_id: int, address_id: int) -> None:
    """Delete the address; when it was the primary, the oldest remaining one becomes primary; when it was the
    billing address, the mark goes with it and the primary address serves for documents."""
    _lock_book(session, customer_id)
    address = customer_address(session, customer_id, address_id)
    was_primary = address.is_primary
    session.delete(address)
    session.flush()
    if was_primary:
        successor = session.scalar(
            sa.select(Address)
            .where(Address.customer_id == customer_id)
            .order_by(Address.created_at, Address.id)
            .limit(1)
        )
        if successor is not None:
            _make_primary(session, customer_id, successor)


@dataclass(frozen=True)
class ChosenAddress:
    text: str
    snapshot: dict | None


def house_text(house: str | None) -> str:
    """«д. 57» for the house whether it was typed as «57», «д. 57», «д.57» or «дом 57»."""
    bare = HOUSE_PREFIX.sub("", (house or "").strip()).strip()
    return f"д. {bare}" if bare else ""


def flat_text(flat: str | None) -> str:
    """A bare number becomes «кв./офис 12»; «кв. 12», «офис 5», «пом. 3» stay as typed."""
    flat = (flat or "").strip()
    return f"кв./офис {flat}" if flat[:1].isdigit() else flat


def address_line(
    *, postcode: str | None = "", city: str | None = "", street: str | None = "", house: str | None = "",
    flat: str | None = ""
) -> str:  # fmt: skip
    """The address as a courier reads it: postcode, city, street, house, flat — one way everywhere."""
    parts = [postcode, city, street, house_text(house), flat_text(flat)]
    return ", ".join(p.strip() for p in parts if p and p.strip())


DOUBLED_HOUSE = re.compile(r"\bд\.\s*(?:д|дом)\.?\s*(?=\d)", re.IGNORECASE)
RAW_PHONE = re.compile(r"\+7\d{10}\b")


def delivery_text(text: str | None) -> str:
    """An order's delivery address as stored (free text, staff may edit it) shown the same way as a new one:
    no «д. д. 57» from addresses saved before the house prefix was cleaned, phones as +7 916 555-44-33."""
    text = DOUBLED_HOUSE.sub("д. ", text or "")
    return RAW_PHONE.sub(lambda m: format_phone(m.group(0)), text)


def address_one_line(address: Address) -> str:
    return address_line(
        postcode=address.postcode, city=address.city, street=address.street, house=address.house, flat=address.flat
    )


def format_snapshot(snapshot: dict) -> str:
    """The order's delivery address text: the address, the recipient and the phone."""
    text = address_line(**{k: snapshot.get(k) for k in ("postcode", "city", "street", "house", "flat")})
    text += f"; получатель: {snapshot.get('recipient_name')}, {format_phone(snapshot.get('phone'))}"
    if snapshot.get("comment"):
        text += f"; {snapshot['comment']}"
    return text


def billing_snapshot(session: Session, customer_id: int, delivery: dict | None = None) -> dict | None:
    """What a private customer's order keeps as its payer: the default billing address, or — with an empty address
    book — the new delivery address typed at checkout."""
    address = billing_address(session, customer_id)
    if address is not None:
        return address.snapshot()
    return dict(delivery) if delivery else None


def billing_text(snapshot: dict | None) -> str:
    """«Иванов Иван, 101000, Москва, ул. Тверская, д. 1» — the payer as a document names them."""
    if not snapshot:
        return ""
    place = address_line(**{k: snapshot.get(k) for k in ("postcode", "city", "street", "house", "flat")})
    return ", ".join(p for p in (snapshot.get("recipient_name") or "", place) if p)


def checkout_address(
    session: Session,
    *,
    customer_id: int,
    address_id: str,
    new: AddressData | None = None,
    save: bool = False,
) -> ChosenAddress:
    """The address chosen at checkout: a saved one (by id), or a new one (saved to the book when asked)."""
    if address_id and address_id != "new":
        try:
            address = customer_address(session, customer_id, int(address_id))
        except ValueError:
            raise ValidationError("Выберите адрес доставки.", field="address_id") from None
        except NotFound:
            raise ValidationError("Выбранный адрес не найден — выберите другой.", field="address_id") from None
        snapshot = address.snapshot()
        return ChosenAddress(format_snapshot(snapshot), snapshot)
    if new is None:
        raise ValidationError("Укажите адрес доставки.", field="address_id")
    if save:
        address = add_address(session, customer_id=customer_id, data=new)
        snapshot = address.snapshot()
    else:
        snapshot = {"address_id": None, **vars(validate(new))}
    return ChosenAddress(format_snapshot(snapshot), snapshot)
