"""A company's delivery addresses and the address chosen at checkout for a company order."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.models import (
    Company,
    CompanyAddress,
    Customer,
)
from app.services.actors import Actor
from app.services.companies.members import company_for_order
from app.services.companies.registry import record
from app.services.errors import NotFound, ValidationError

# --- delivery addresses ----------------------------------------------------------------------------------


def add_address(session: Session, company: Company, *, label: str, address: str, actor: Actor) -> CompanyAddress:
    label = " ".join((label or "").split())[:100]
    address = " ".join((address or "").split())
    if len(address) < 10:
        raise ValidationError("Укажите адрес доставки: город, улицу, дом.", field="address")
    if len(address) > 500:
        raise ValidationError("Адрес не длиннее 500 символов.", field="address")
    if len(company.addresses) >= 20:
        raise ValidationError("У компании может быть не больше 20 адресов доставки.")
    entry = CompanyAddress(label=label or "Адрес доставки", address=address)
    company.addresses.append(entry)
    record(session, company, actor, "address", None, f"{entry.label}: {address}")
    session.flush()
    return entry


def remove_address(session: Session, company: Company, address_id: int, *, actor: Actor) -> None:
    entry = next((a for a in company.addresses if a.id == address_id), None)
    if entry is None:
        raise NotFound("Адрес не найден.")
    record(session, company, actor, "address", f"{entry.label}: {entry.address}", None)
    company.addresses.remove(entry)
    session.flush()


def delivery_addresses(company: Company) -> list[tuple[str, str]]:
    """Addresses offered at checkout: the company's delivery addresses, then its postal address."""
    found = [(a.label, a.address) for a in company.addresses]
    if company.postal_address:
        found.append(("Почтовый адрес", company.postal_address))
    return found


def address_choices(company: Company) -> list[tuple[str, str, str]]:
    """Checkout choices (key, label, address): the delivery addresses ("a<id>"), then the postal one ("postal")."""
    found = [(f"a{a.id}", a.label, a.address) for a in company.addresses]
    if company.postal_address:
        found.append(("postal", "Почтовый адрес", company.postal_address))
    return found


def checkout_address(session: Session, *, customer: Customer, choice: str, company_id: str) -> tuple[str, dict]:
    """The company address chosen at checkout ("company:<id>:<key>"): its text and the snapshot the order keeps.

    Only for an order placed on behalf of that very company, by a member allowed to order for it.
    """
    try:
        _, wanted_id, key = choice.split(":", 2)
        wanted = int(wanted_id)
    except ValueError:
        raise ValidationError("Выберите адрес доставки.", field="address_id") from None
    if str(wanted) != str(company_id or ""):
        raise ValidationError("Адрес компании можно выбрать только для заказа от её имени.", field="address_id")
    company = company_for_order(session, customer=customer, company_id=wanted)
    entry = next(((label, text) for k, label, text in address_choices(company) if k == key), None) if company else None
    if entry is None:
        raise ValidationError("Выбранный адрес не найден — выберите другой.", field="address_id")
    label, text = entry
    return text, {"company_id": wanted, "label": label, "text": text}
