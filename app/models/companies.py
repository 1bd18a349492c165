"""Corporate accounts: the company (requisites, review status), its members and roles, invitations, delivery
addresses, and the append-only history of changes to it."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import AppendOnly, ChangeRecordMixin, LabelledEnum, Model, UTCDateTime, enum_column, utcnow
from app.models.customers import Customer


class CompanyKind(LabelledEnum):
    legal = "legal"  # ООО, АО …: ИНН-10, КПП, ОГРН
    individual = "individual"  # ИП: ИНН-12, no КПП, ОГРНИП

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"legal": "Юридическое лицо", "individual": "Индивидуальный предприниматель"}


class CompanyStatus(LabelledEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"
    blocked = "blocked"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "pending": "На проверке",
            "approved": "Подтверждена",
            "rejected": "Отклонена",
            "blocked": "Заблокирована",
        }


class MemberRole(LabelledEnum):
    owner = "owner"  # manages members and requisites, orders
    buyer = "buyer"  # orders on the company's behalf
    accountant = "accountant"  # sees the company's orders (and later its documents)

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"owner": "Владелец", "buyer": "Закупщик", "accountant": "Бухгалтер"}


class Company(Model):
    __tablename__ = "company"
    __table_args__ = (
        # One company per ИНН + КПП (a branch has the parent's ИНН and its own КПП).
        sa.UniqueConstraint("inn", "kpp", name="uq_company_inn_kpp"),
        sa.CheckConstraint("length(inn) IN (10, 12)", name="inn_length"),
        sa.CheckConstraint("kind <> 'individual' OR kpp = ''", name="individual_without_kpp"),
        sa.CheckConstraint("length(ogrn) IN (13, 15)", name="ogrn_length"),
        sa.Index("ix_company_status_created", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[CompanyKind] = mapped_column(enum_column(CompanyKind, "company_kind"), nullable=False)
    full_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    short_name: Mapped[str] = mapped_column(sa.String(160), nullable=False, index=True)
    inn: Mapped[str] = mapped_column(sa.String(12), nullable=False, index=True)
    kpp: Mapped[str] = mapped_column(sa.String(9), default="", nullable=False)
    ogrn: Mapped[str] = mapped_column(sa.String(15), nullable=False)
    legal_address: Mapped[str] = mapped_column(sa.Text, nullable=False)
    postal_address: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    director: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    bank_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    bik: Mapped[str] = mapped_column(sa.String(9), default="", nullable=False)
    settlement_account: Mapped[str] = mapped_column(sa.String(20), default="", nullable=False)
    correspondent_account: Mapped[str] = mapped_column(sa.String(20), default="", nullable=False)
    email: Mapped[str] = mapped_column(sa.String(255), default="", nullable=False)
    phone: Mapped[str] = mapped_column(sa.String(20), default="", nullable=False)
    vat_payer: Mapped[bool] = mapped_column(default=True, nullable=False)
    status: Mapped[CompanyStatus] = mapped_column(
        enum_column(CompanyStatus, "company_status"), default=CompanyStatus.pending, nullable=False
    )
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="", nullable=False)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    members: Mapped[list[CompanyMember]] = relationship(
        back_populates="company", order_by="CompanyMember.id", cascade="all, delete-orphan"
    )
    addresses: Mapped[list[CompanyAddress]] = relationship(
        back_populates="company", order_by="CompanyAddress.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[CompanyHistory]] = relationship(
        back_populates="company", order_by="CompanyHistory.id", viewonly=True
    )

    @property
    def inn_kpp(self) -> str:
        return f"{self.inn}/{self.kpp}" if self.kpp else self.inn

    def __str__(self) -> str:
        return self.short_name


class CompanyMember(Model):
    __tablename__ = "company_member"
    __table_args__ = (sa.UniqueConstraint("company_id", "customer_id", name="uq_company_member_company_customer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole, "member_role"), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    company: Mapped[Company] = relationship(back_populates="members")
    customer: Mapped[Customer] = relationship()


class CompanyInvite(Model):
    """An invitation by email; the signed link names the row and its nonce (a new nonce voids old links)."""

    __tablename__ = "company_invite"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[MemberRole] = mapped_column(enum_column(MemberRole, "member_role"), nullable=False)
    nonce: Mapped[str] = mapped_column(sa.String(32), default=lambda: secrets.token_hex(8), nullable=False)
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    company: Mapped[Company] = relationship()

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None


class CompanyAddress(Model):
    """A delivery address of the company, offered to every member at checkout."""

    __tablename__ = "company_address"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(sa.String(100), nullable=False)
    address: Mapped[str] = mapped_column(sa.Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    company: Mapped[Company] = relationship(back_populates="addresses")


class CompanyHistory(AppendOnly, ChangeRecordMixin, Model):
    """Append-only record of every change to a company: requisites, status, members — who, when, old → new.

    The session and the database (triggers) refuse UPDATE and DELETE.
    """

    __tablename__ = "company_history"
    __table_args__ = (sa.Index("ix_company_history_company_id_id", "company_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id", ondelete="CASCADE"), nullable=False)

    company: Mapped[Company] = relationship(back_populates="history")
