"""Invitations to join a company: a signed link by email, accepted by the invited address."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from app.models import (
    Channel,
    Company,
    CompanyInvite,
    CompanyMember,
    Customer,
    MemberRole,
)
from app.services.actors import Actor
from app.services.companies.members import membership
from app.services.companies.registry import record
from app.services.errors import NotFound, PermissionDenied, ValidationError
from app.services.messaging import notifications
from app.services.shoptime import now

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
