"""The shop's own requisites (the seller on documents): versions in force from a day, validated like a
company's requisites; a change is a new version, so the table is the history, and a document or report
takes the version in force on its date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import SellerRequisites, VatRegime
from app.services.actors import Actor
from app.services.companies import requisites
from app.services.errors import ValidationError
from app.services.shoptime import shop_today

DEFAULT_REGIME = VatRegime.osno
# The rate the regime charges on sales; None: без НДС (reference/accounting-ru.md §5).
REGIME_RATES = {
    VatRegime.osno: 22,
    VatRegime.usn_5: 5,
    VatRegime.usn_7: 7,
    VatRegime.usn_exempt: None,
}
# Only the general regime deducts incoming VAT; УСН at 5 % or 7 % charges VAT without deductions.
DEDUCTS_INPUT_VAT = frozenset({VatRegime.osno})


@dataclass
class SellerData:
    """The fields of a version, as a form sends them (strings)."""

    full_name: str
    short_name: str
    inn: str
    kpp: str
    ogrn: str
    legal_address: str
    bank_name: str
    bik: str
    correspondent_account: str
    settlement_account: str
    director: str
    postal_address: str = ""
    chief_accountant: str = ""
    vat_regime: str = DEFAULT_REGIME.value


def _text(value: str | None, field: str, message: str, limit: int, *, required: bool = True) -> str:
    text = " ".join((value or "").split())
    if required and not text:
        raise ValidationError(message, field=field)
    if len(text) > limit:
        raise ValidationError(f"Не длиннее {limit} символов.", field=field)
    return text


def check(data: SellerData) -> dict[str, object]:
    """The normalised column values of a version, or ValidationError naming the field."""
    inn_digits = "".join(ch for ch in data.inn or "" if not ch.isspace())
    individual = len(inn_digits) == 12
    try:
        regime = VatRegime(data.vat_regime)
    except ValueError:
        raise ValidationError("Выберите режим налогообложения.", field="vat_regime") from None
    bik = requisites.check_bik(data.bik)
    return {
        "full_name": _text(data.full_name, "full_name", "Укажите полное наименование.", 300),
        "short_name": _text(data.short_name, "short_name", "Укажите краткое наименование.", 160),
        "inn": requisites.check_inn(data.inn, individual=individual),
        "kpp": "" if individual else requisites.check_kpp(data.kpp),
        "ogrn": requisites.check_ogrn(data.ogrn, individual=individual),
        "legal_address": _text(data.legal_address, "legal_address", "Укажите юридический адрес.", 300),
        "postal_address": _text(data.postal_address, "postal_address", "", 300, required=False),
        "bank_name": _text(data.bank_name, "bank_name", "Укажите банк.", 200),
        "bik": bik,
        "correspondent_account": requisites.check_correspondent_account(data.correspondent_account, bik),
        "settlement_account": requisites.check_settlement_account(data.settlement_account, bik),
        "director": _text(data.director, "director", "Укажите руководителя.", 200),
        "chief_accountant": _text(data.chief_accountant, "chief_accountant", "", 200, required=False),
        "vat_regime": regime,
    }


def set_requisites(
    session: Session, data: SellerData, *, actor: Actor, valid_from: date | None = None, comment: str = ""
) -> SellerRequisites:
    """Record a new version of the shop's requisites, in force from `valid_from` (today by default)."""
    values = check(data)
    version = SellerRequisites(
        valid_from=valid_from or shop_today(), actor_name=actor.name[:200], comment=comment.strip(), **values
    )
    session.add(version)
    session.flush()
    return version


def in_force(session: Session, day: date | None = None) -> SellerRequisites | None:
    """The version in force on `day` (today by default): the latest one starting on or before it."""
    return session.scalar(
        sa.select(SellerRequisites)
        .where(SellerRequisites.valid_from <= (day or shop_today()))
        .order_by(SellerRequisites.valid_from.desc(), SellerRequisites.id.desc())
        .limit(1)
    )


def regime_on(session: Session, day: date | None = None) -> VatRegime:
    version = in_force(session, day)
    return version.vat_regime if version is not None else DEFAULT_REGIME


def versions(session: Session) -> list[SellerRequisites]:
    return list(
        session.scalars(
            sa.select(SellerRequisites).order_by(SellerRequisites.valid_from.desc(), SellerRequisites.id.desc())
        )
    )
