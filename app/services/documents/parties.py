"""The two sides of a document as `Party` snapshots: the shop (its requisites in force on the document's day)
and the buyer (a company's requisites as they are when the document is issued, or a private customer)."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from app.models import Company, CompanyKind, Customer, VatRegime
from app.services.accounting import seller
from app.services.customers.addresses import address_line
from app.services.documents.data import Party
from app.services.errors import DomainError


class SellerRequisitesMissing(DomainError):
    """The shop has not filled in its requisites: no document can be issued."""


def seller_party(session: Session, day: date) -> Party:
    version = seller.in_force(session, day)
    if version is None:
        raise SellerRequisitesMissing(
            "Реквизиты магазина не заполнены (Бухгалтерия → Реквизиты магазина): документ не выставлен."
        )
    return Party(
        name=version.full_name,
        short_name=version.short_name,
        inn=version.inn,
        kpp=version.kpp,
        ogrn=version.ogrn,
        address=version.legal_address,
        is_individual=len(version.inn) == 12,
        vat_payer=version.vat_regime != VatRegime.usn_exempt,
        bank_name=version.bank_name,
        bik=version.bik,
        settlement_account=version.settlement_account,
        correspondent_account=version.correspondent_account,
        director=version.director,
        accountant=version.chief_accountant,
    )


def company_party(company: Company) -> Party:
    return Party(
        name=company.full_name,
        short_name=company.short_name,
        inn=company.inn,
        kpp=company.kpp,
        ogrn=company.ogrn,
        address=company.legal_address,
        is_individual=company.kind == CompanyKind.individual,
        vat_payer=company.vat_payer,
        bank_name=company.bank_name,
        bik=company.bik,
        settlement_account=company.settlement_account,
        correspondent_account=company.correspondent_account,
        director=company.director,
        phone=company.phone,
        email=company.email,
    )


def customer_party(customer: Customer, name: str = "", billing: dict | None = None) -> Party:
    """A private customer: the payer of their billing address (as the order kept it) when there is one, else the
    name given at checkout."""
    if billing:
        payer = billing.get("recipient_name") or name or customer.full_name or customer.email
        address = address_line(**{k: billing.get(k) for k in ("postcode", "city", "street", "house", "flat")})
        return Party(name=payer, inn="", address=address, email=customer.email)
    return Party(name=name or customer.full_name or customer.email, inn="", email=customer.email)
