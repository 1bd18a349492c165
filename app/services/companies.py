"""Corporate accounts: creating a company, its requisites (validated, every change in its history), members
and roles, invitations by signed link, delivery addresses, staff review, and who may order on its behalf."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session, selectinload

from app.models import (
    Channel,
    Company,
    CompanyAddress,
    CompanyHistory,
    CompanyInvite,
    CompanyKind,
    CompanyMember,
    CompanyStatus,
    Customer,
    MemberRole,
    Order,
)
from app.services import notifications, requisites
from app.services.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.services.history import Actor
from app.services.shoptime import now

R = MemberRole

# What each member role may do in the storefront.
ROLE_RIGHTS: dict[MemberRole, frozenset[str]] = {
    R.owner: frozenset({"view", "edit_requisites", "manage_members", "order", "view_orders", "manage_projects"}),
    R.buyer: frozenset({"view", "order", "manage_projects"}),
    R.accountant: frozenset({"view", "view_orders"}),
}
RIGHT_DENIED = {
    "edit_requisites": "Изменять реквизиты компании может только её владелец.",
    "manage_members": "Управлять сотрудниками компании может только её владелец.",
    "order": "Заказывать от имени компании могут владелец и закупщики.",
    "view_orders": "Заказы компании видят владелец и бухгалтер.",
    "manage_projects": "Изменять проекты компании могут владелец и закупщики.",
}
ORDER_VIEW_ROLES = frozenset(r for r, rights in ROLE_RIGHTS.items() if "view_orders" in rights)
ORDERING_ROLES = frozenset(r for r, rights in ROLE_RIGHTS.items() if "order" in rights)

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
        from app.services.orders import normalize_phone  # orders imports this module

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


# --- membership and rights -------------------------------------------------------------------------------


def membership(session: Session, company_id: int, customer_id: int) -> CompanyMember | None:
    return session.scalar(
        sa.select(CompanyMember).where(CompanyMember.company_id == company_id, CompanyMember.customer_id == customer_id)
    )


def company_for_member(session: Session, company_id: int, customer_id: int, *, right: str = "view") -> Company:
    """The company if the customer is its member with `right`; NotFound for non-members, PermissionDenied else."""
    member = membership(session, company_id, customer_id)
    if member is None:
        raise NotFound("Компания не найдена.")
    if right not in ROLE_RIGHTS[member.role]:
        raise PermissionDenied(RIGHT_DENIED.get(right, "Недостаточно прав."))
    return member.company


def can(member: CompanyMember | None, right: str) -> bool:
    return member is not None and right in ROLE_RIGHTS[member.role]


def customer_memberships(session: Session, customer_id: int) -> list[CompanyMember]:
    return list(
        session.scalars(
            sa.select(CompanyMember)
            .join(Company)
            .where(CompanyMember.customer_id == customer_id)
            .options(selectinload(CompanyMember.company))
            .order_by(Company.short_name, Company.id)
        )
    )


def companies_with_right(session: Session, customer_id: int, right: str) -> list[Company]:
    return [m.company for m in customer_memberships(session, customer_id) if right in ROLE_RIGHTS[m.role]]


def company_ids_with(customer_id: int, roles: frozenset[MemberRole]) -> sa.Select:
    """A subquery of the ids of companies where the customer has one of these roles."""
    return sa.select(CompanyMember.company_id).where(
        CompanyMember.customer_id == customer_id, CompanyMember.role.in_(list(roles))
    )


def ordering_companies(session: Session, customer_id: int) -> list[Company]:
    """Companies the customer may order for now: a role that orders, and the company approved."""
    return [
        m.company
        for m in customer_memberships(session, customer_id)
        if m.role in ORDERING_ROLES and m.company.status == CompanyStatus.approved
    ]


def company_for_order(session: Session, *, customer: Customer, company_id: int | str | None) -> Company | None:
    """The company an order is placed for (None: personally); ValidationError when it may not order."""
    if company_id in (None, ""):
        return None
    try:
        company_id = int(company_id)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValidationError("Выберите, от чьего имени заказ.", field="company_id") from None
    member = membership(session, company_id, customer.id)
    if member is None:
        raise ValidationError("Выберите, от чьего имени заказ.", field="company_id")
    company = member.company
    if member.role not in ORDERING_ROLES:
        raise ValidationError(
            f"Вы не можете заказывать от имени «{company.short_name}»: это могут владелец и закупщики.",
            field="company_id",
        )
    if company.status != CompanyStatus.approved:
        why = {
            CompanyStatus.pending: "ещё проверяется нашими сотрудниками",
            CompanyStatus.rejected: "не прошла проверку",
            CompanyStatus.blocked: "заблокирована",
        }[company.status]
        reason = f" Причина: {company.status_reason}" if company.status_reason else ""
        raise ValidationError(
            f"Компания «{company.short_name}» {why} — заказы от её имени недоступны. Оформите заказ лично.{reason}",
            field="company_id",
        )
    return company


def company_orders(session: Session, company: Company) -> list[Order]:
    return list(
        session.scalars(
            sa.select(Order)
            .where(Order.company_id == company.id)
            .options(selectinload(Order.customer))
            .order_by(Order.created_at.desc(), Order.id.desc())
        )
    )


def _owners(company: Company) -> list[CompanyMember]:
    return [m for m in company.members if m.role == MemberRole.owner]


def change_member_role(
    session: Session, company: Company, member_id: int, role: MemberRole | str, *, actor: Actor
) -> CompanyMember:
    member = next((m for m in company.members if m.id == member_id), None)
    if member is None:
        raise NotFound("Сотрудник не найден.")
    try:
        role = MemberRole(role)
    except ValueError:
        raise ValidationError("Выберите роль.", field="role") from None
    if member.role == MemberRole.owner and role != MemberRole.owner and len(_owners(company)) == 1:
        raise ValidationError("В компании должен остаться хотя бы один владелец.")
    if role != member.role:
        record(session, company, actor, "member", f"{member.customer.email}: {member.role.label}", role.label)
        member.role = role
    session.flush()
    return member


def remove_member(session: Session, company: Company, member_id: int, *, actor: Actor) -> None:
    member = next((m for m in company.members if m.id == member_id), None)
    if member is None:
        raise NotFound("Сотрудник не найден.")
    if member.role == MemberRole.owner and len(_owners(company)) == 1:
        raise ValidationError("Нельзя удалить единственного владельца компании.")
    record(session, company, actor, "member", f"{member.customer.email} ({member.role.label})", None)
    company.members.remove(member)
    session.flush()


def leave(session: Session, company: Company, *, customer: Customer) -> None:
    member = next((m for m in company.members if m.customer_id == customer.id), None)
    if member is None:
        raise NotFound("Компания не найдена.")
    if member.role == MemberRole.owner and len(_owners(company)) == 1:
        raise ValidationError("Вы единственный владелец: сначала назначьте владельцем другого сотрудника.")
    record(
        session,
        company,
        Actor.customer(customer),
        "member",
        f"{customer.email} ({member.role.label})",
        None,
        comment="вышел из компании",
    )
    company.members.remove(member)
    session.flush()


# --- invitations -----------------------------------------------------------------------------------------

INVITE_SALT = "company-invite"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT)


def invite_token(invite: CompanyInvite) -> str:
    return _serializer().dumps({"i": invite.id, "n": invite.nonce})


def invite_url(invite: CompanyInvite) -> str:
    return current_app.config["SHOP_BASE_URL"].rstrip("/") + f"/companies/invite/{invite_token(invite)}"


def invite_max_age() -> timedelta:
    return timedelta(days=int(current_app.config.get("COMPANY_INVITE_DAYS", 14)))


def invite(session: Session, company: Company, *, email: str, role: MemberRole | str, by: Customer) -> CompanyInvite:
    """Invite by email: the signed link goes out through the outbox (and is shown to the owner)."""
    try:
        email = validate_email((email or "").strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationError("Укажите email сотрудника.", field="email") from None
    try:
        role = MemberRole(role)
    except ValueError:
        raise ValidationError("Выберите роль.", field="role") from None
    already = session.scalar(
        sa.select(CompanyMember.id)
        .join(Customer, Customer.id == CompanyMember.customer_id)
        .where(CompanyMember.company_id == company.id, sa.func.lower(Customer.email) == email)
    )
    if already is not None:
        raise ValidationError(f"{email} уже состоит в компании.", field="email")
    for old in session.scalars(
        sa.select(CompanyInvite).where(
            CompanyInvite.company_id == company.id,
            CompanyInvite.email == email,
            CompanyInvite.accepted_at.is_(None),
            CompanyInvite.revoked_at.is_(None),
        )
    ):
        old.revoked_at = now()  # one open invitation per address: the newest
    entry = CompanyInvite(company_id=company.id, email=email, role=role, invited_by_id=by.id)
    session.add(entry)
    session.flush()
    record(session, company, Actor.customer(by), "invite", None, f"{email} ({role.label})")
    notifications.queue(
        session,
        channel=Channel.email,
        event="company_invite",
        recipient=email,
        payload={
            "company": company.short_name,
            "role": role.label,
            "invited_by": by.display_name,
            "url": invite_url(entry),
            "expires_days": invite_max_age().days,
        },
    )
    return entry


def open_invites(session: Session, company: Company) -> list[CompanyInvite]:
    oldest = now() - invite_max_age()
    return list(
        session.scalars(
            sa.select(CompanyInvite)
            .where(
                CompanyInvite.company_id == company.id,
                CompanyInvite.accepted_at.is_(None),
                CompanyInvite.revoked_at.is_(None),
                CompanyInvite.created_at >= oldest,
            )
            .order_by(CompanyInvite.id)
        )
    )


def revoke_invite(session: Session, company: Company, invite_id: int, *, actor: Actor) -> None:
    entry = session.get(CompanyInvite, invite_id)
    if entry is None or entry.company_id != company.id or not entry.is_open:
        raise NotFound("Приглашение не найдено.")
    entry.revoked_at = now()
    record(session, company, actor, "invite", f"{entry.email} ({entry.role.label})", None, comment="отозвано")
    session.flush()


def invite_by_token(session: Session, token: str) -> CompanyInvite:
    """The open invitation a link names; ValidationError when the link is broken, old, used or revoked."""
    try:
        data = _serializer().loads(token, max_age=int(invite_max_age().total_seconds()))
    except SignatureExpired:
        raise ValidationError(
            "Срок действия приглашения истёк — попросите владельца компании прислать новое."
        ) from None
    except BadSignature:
        raise NotFound("Приглашение не найдено.") from None
    entry = session.get(CompanyInvite, data.get("i")) if isinstance(data, dict) else None
    if entry is None or entry.nonce != data.get("n"):
        raise NotFound("Приглашение не найдено.")
    if entry.accepted_at is not None:
        raise ValidationError("Это приглашение уже использовано.")
    if entry.revoked_at is not None:
        raise ValidationError("Приглашение отозвано — попросите владельца компании прислать новое.")
    return entry


def accept_invite(session: Session, token: str, *, customer: Customer) -> CompanyMember:
    entry = invite_by_token(session, token)
    if customer.email.lower() != entry.email.lower():
        raise PermissionDenied(
            f"Приглашение отправлено на {entry.email}. Войдите с этим адресом или зарегистрируйтесь с ним."
        )
    company = entry.company
    if membership(session, company.id, customer.id) is not None:
        raise ValidationError(f"Вы уже состоите в компании «{company.short_name}».")
    member = CompanyMember(company_id=company.id, customer_id=customer.id, role=entry.role)
    session.add(member)
    entry.accepted_at = now()
    entry.accepted_by_id = customer.id
    session.flush()
    record(
        session,
        company,
        Actor.customer(customer),
        "member",
        None,
        f"{customer.email} ({entry.role.label})",
        comment="принял приглашение",
    )
    session.flush()
    return member


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
