"""A company's card: registration, requisites (validated, every change in the company's history) and staff review."""

from __future__ import annotations

from dataclasses import dataclass, fields

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from app.models import (
    Company,
    CompanyHistory,
    CompanyKind,
    CompanyMember,
    CompanyStatus,
    Customer,
    MemberRole,
)
from app.services.actors import Actor
from app.services.companies import requisites
from app.services.errors import InvalidTransition, ValidationError
from app.services.messaging import notifications
from app.services.shoptime import now

# Staff review: from each status, where it may go.
STATUS_TRANSITIONS: dict[CompanyStatus, frozenset[CompanyStatus]] = {
    CompanyStatus.pending: frozenset({CompanyStatus.approved, CompanyStatus.rejected, CompanyStatus.blocked}),
    CompanyStatus.approved: frozenset({CompanyStatus.blocked}),
    CompanyStatus.rejected: frozenset({CompanyStatus.approved}),
    CompanyStatus.blocked: frozenset({CompanyStatus.approved}),
}
REASON_REQUIRED = frozenset({CompanyStatus.rejected, CompanyStatus.blocked})
# A customer's change of these sends an approved company back to review.
IDENTITY_FIELDS = frozenset({"kind", "full_name", "inn", "kpp", "ogrn"})

FIELD_LABELS = {
    "kind": "Вид",
    "full_name": "Полное наименование",
    "short_name": "Краткое наименование",
    "inn": "ИНН",
    "kpp": "КПП",
    "ogrn": "ОГРН / ОГРНИП",
    "legal_address": "Юридический адрес",
    "postal_address": "Почтовый адрес",
    "director": "Руководитель",
    "bank_name": "Банк",
    "bik": "БИК",
    "settlement_account": "Расчётный счёт",
    "correspondent_account": "Корреспондентский счёт",
    "email": "Email",
    "phone": "Телефон",
    "vat_payer": "Плательщик НДС",
    "status": "Статус",
    "member": "Сотрудник",
    "invite": "Приглашение",
    "address": "Адрес доставки",
    "created": "Создана",
    "document": "Выставлен документ",
    "document_cancelled": "Аннулирован документ",
}


class RequisitesError(ValidationError):
    """Several fields are wrong at once; `errors` maps each field to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Проверьте реквизиты: " + " ".join(errors.values()), field=next(iter(errors)))
        self.errors = errors


@dataclass
class CompanyData:
    """The company form, as typed; `requisites_from` turns it into clean values or a RequisitesError."""

    kind: str = CompanyKind.legal.value
    full_name: str = ""
    short_name: str = ""
    inn: str = ""
    kpp: str = ""
    ogrn: str = ""
    legal_address: str = ""
    postal_address: str = ""
    director: str = ""
    bank_name: str = ""
    bik: str = ""
    settlement_account: str = ""
    correspondent_account: str = ""
    email: str = ""
    phone: str = ""
    vat_payer: bool = True

    @classmethod
    def field_names(cls) -> list[str]:
        return [f.name for f in fields(cls)]

    @classmethod
    def of(cls, company: Company) -> CompanyData:
        values = {name: getattr(company, name) for name in cls.field_names()}
        values["kind"] = company.kind.value
        return cls(**values)


def _text(value: str, field: str, limit: int, errors: dict, *, required: str | None = None) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        errors[field] = required
    elif len(value) > limit:
        errors[field] = f"{FIELD_LABELS[field]}: не длиннее {limit} символов."
    return value


def clean_requisites(data: CompanyData) -> dict:
    """Every field checked (formats and check digits per accounting-ru.md §6); all errors reported at once."""
    errors: dict[str, str] = {}
    values: dict = {}
    try:
        kind = CompanyKind(data.kind)
    except ValueError:
        errors["kind"] = "Выберите: юридическое лицо или ИП."
        kind = CompanyKind.legal
    individual = kind == CompanyKind.individual
    values["kind"] = kind
    values["full_name"] = _text(data.full_name, "full_name", 300, errors, required="Укажите полное наименование.")
    values["short_name"] = _text(data.short_name, "short_name", 160, errors, required="Укажите краткое наименование.")
    values["legal_address"] = _text(
        data.legal_address, "legal_address", 500, errors, required="Укажите юридический адрес."
    )
    if "legal_address" not in errors and len(values["legal_address"]) < 10:
        errors["legal_address"] = "Юридический адрес: индекс, город, улица, дом."
    values["postal_address"] = _text(data.postal_address, "postal_address", 500, errors)
    values["director"] = _text(data.director, "director", 200, errors)
    values["bank_name"] = _text(data.bank_name, "bank_name", 200, errors)

    checks = {
        "inn": lambda: requisites.check_inn(data.inn, individual=individual),
        "ogrn": lambda: requisites.check_ogrn(data.ogrn, individual=individual),
    }
    if individual:
        values["kpp"] = ""
        if (data.kpp or "").strip():
            errors["kpp"] = "У индивидуального предпринимателя нет КПП — оставьте поле пустым."
    else:
        checks["kpp"] = lambda: requisites.check_kpp(data.kpp)
    for field, check in checks.items():
        try:
            values[field] = check()
        except ValidationError as exc:
            errors[field] = exc.message

    bank_given = any(
        (data.bik or "").strip() or (getattr(data, f) or "").strip()
        for f in ("settlement_account", "correspondent_account", "bank_name")
    )
    values["bik"] = values["settlement_account"] = values["correspondent_account"] = ""
    if bank_given:
        if not values["bank_name"]:
            errors["bank_name"] = "Укажите название банка."
        try:
            bik = requisites.check_bik(data.bik)
            values["bik"] = bik
            for field, check_account in (
                ("settlement_account", requisites.check_settlement_account),
                ("correspondent_account", requisites.check_correspondent_account),
            ):
                try:
                    values[field] = check_account(getattr(data, field), bik)
                except ValidationError as exc:
                    errors[field] = exc.message
        except ValidationError as exc:
            errors["bik"] = exc.message

    email = (data.email or "").strip()
    if email:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = "Email указан неверно."
    values["email"] = email.lower()
    phone = (data.phone or "").strip()
    if phone:
        from app.services.phones import normalize_phone  # orders imports this module

        try:
            phone = normalize_phone(phone)
        except ValidationError:
            errors["phone"] = "Телефон в формате +7 999 123-45-67."
    values["phone"] = phone
    values["vat_payer"] = bool(data.vat_payer)
    if errors:
        raise RequisitesError(errors)
    return values


def record(session: Session, company: Company, actor: Actor, field: str, old, new, *, comment: str = "") -> None:  # noqa: ANN001
    session.add(
        CompanyHistory(
            company_id=company.id,
            actor_kind=actor.kind,
            actor_staff_id=actor.staff_id,
            actor_customer_id=actor.customer_id,
            actor_name=actor.name[:200],
            field=field,
            old_value=None if old is None else _shown(old),
            new_value=None if new is None else _shown(new),
            comment=comment,
        )
    )


def _shown(value) -> str:  # noqa: ANN001
    if isinstance(value, bool):
        return "да" if value else "нет"
    return getattr(value, "value", None) or str(value)


def _ensure_unique(session: Session, values: dict, company_id: int | None = None) -> None:
    query = sa.select(Company.id).where(Company.inn == values["inn"], Company.kpp == values["kpp"])
    if company_id is not None:
        query = query.where(Company.id != company_id)
    if session.scalar(query) is not None:
        raise RequisitesError(
            {"inn": "Компания с этими ИНН и КПП уже зарегистрирована — попросите её владельца пригласить вас."}
        )


def create_company(session: Session, *, owner: Customer, data: CompanyData) -> Company:
    """A new company in review (pending), with its creator as the owner."""
    values = clean_requisites(data)
    _ensure_unique(session, values)
    company = Company(**values, status=CompanyStatus.pending, created_by_id=owner.id)
    company.members.append(CompanyMember(customer_id=owner.id, role=MemberRole.owner))
    session.add(company)
    session.flush()
    record(session, company, Actor.customer(owner), "created", None, company.short_name)
    session.flush()
    return company


def update_requisites(session: Session, company: Company, *, data: CompanyData, actor: Actor) -> list[str]:
    """Apply the form, one history entry per changed field; returns the changed fields.

    When a customer changes the identity (name, ИНН, КПП, ОГРН) of an approved company, it goes back to review.
    """
    values = clean_requisites(data)
    _ensure_unique(session, values, company.id)
    changed = []
    for field, new in values.items():
        old = getattr(company, field)
        if old != new:
            record(session, company, actor, field, old, new)
            setattr(company, field, new)
            changed.append(field)
    if actor.customer_id is not None and company.status == CompanyStatus.approved and IDENTITY_FIELDS & set(changed):
        _set_status(
            session,
            company,
            CompanyStatus.pending,
            actor=actor,
            reason="Реквизиты изменены — нужна повторная проверка.",
        )
    session.flush()
    return changed


def _set_status(session: Session, company: Company, target: CompanyStatus, *, actor: Actor, reason: str) -> None:
    old = company.status
    company.status = target
    company.status_reason = reason
    company.reviewed_at = now() if actor.staff_id is not None else company.reviewed_at
    record(session, company, actor, "status", old, target, comment=reason)


def review(session: Session, company: Company, target: CompanyStatus | str, *, actor: Actor, reason: str = "") -> None:
    """Staff decision: approve, reject or block (the last two with a reason), or unblock."""
    try:
        target = CompanyStatus(target)
    except ValueError:
        raise InvalidTransition("Неизвестный статус компании.") from None
    if target not in STATUS_TRANSITIONS[company.status]:
        raise InvalidTransition(f"Нельзя перевести компанию из «{company.status.label}» в «{target.label}».")
    reason = " ".join((reason or "").split())[:500]
    if target in REASON_REQUIRED and not reason:
        raise ValidationError("Укажите причину — её увидят сотрудники компании.", field="reason")
    _set_status(session, company, target, actor=actor, reason=reason)
    session.flush()
    _tell_owners(session, company, target, reason)


COMPANY_STATUS = "company_status"  # staff approved, rejected, blocked or unblocked a company
notifications.register_event(COMPANY_STATUS, "Решение по компании (подтверждена, отклонена, заблокирована)")


def _tell_owners(session: Session, company: Company, target: CompanyStatus, reason: str) -> None:
    """Each owner of the company hears of the decision and its reason, by their own channels."""
    owners = session.scalars(
        sa.select(CompanyMember.customer_id).where(
            CompanyMember.company_id == company.id, CompanyMember.role == MemberRole.owner
        )
    ).all()
    payload = {
        "company": company.short_name,
        "company_id": company.id,
        "status": target.value,
        "status_label": target.label,
        "reason": reason,
    }
    notifications.notify_many(session, COMPANY_STATUS, [{"customer_id": c, "payload": payload} for c in owners])
