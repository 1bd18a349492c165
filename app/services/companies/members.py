"""Members of a company, their roles and rights, and who may order or see orders on the company's behalf."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import (
    Company,
    CompanyMember,
    CompanyStatus,
    Customer,
    MemberRole,
    Order,
)
from app.services.actors import Actor
from app.services.companies.registry import record
from app.services.errors import NotFound, PermissionDenied, ValidationError

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
