"""Closing documents (счета, УПД, акты, счета-фактуры, корректировочные документы, акты сверки): the issued
document (append-only: number, snapshot of its data, the stored PDF and its SHA-256), its cancellation, and the
gapless number counters."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    ZERO,
    AppendOnly,
    JSONType,
    LabelledEnum,
    Model,
    Money,
    UTCDateTime,
    enum_column,
    utcnow,
)
from app.models.companies import Company
from app.models.files import StoredFile
from app.models.orders import Order


class DocumentKind(LabelledEnum):
    invoice = "invoice"  # счёт на оплату
    upd = "upd"  # универсальный передаточный документ (status 1 or 2)
    vat_invoice = "vat_invoice"  # счёт-фактура (with an акт)
    act = "act"  # акт выполненных работ
    correction = "correction"  # УКД / корректировочный счёт-фактура
    statement = "statement"  # акт сверки взаимных расчётов
    advance_invoice = "advance_invoice"  # счёт-фактура на аванс (payment received before realisation)

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "invoice": "Счёт на оплату",
            "upd": "УПД",
            "vat_invoice": "Счёт-фактура",
            "act": "Акт",
            "correction": "Корректировочный документ (УКД)",
            "statement": "Акт сверки",
            "advance_invoice": "Счёт-фактура на аванс",
        }


# The numbering series of each kind: счета-фактуры (advance ones too), УПД and corrections share one sequence
# (ПП № 1137).
SERIES = {
    DocumentKind.invoice: "invoice",
    DocumentKind.upd: "vat_invoice",
    DocumentKind.vat_invoice: "vat_invoice",
    DocumentKind.correction: "vat_invoice",
    DocumentKind.act: "act",
    DocumentKind.statement: "statement",
    DocumentKind.advance_invoice: "vat_invoice",
}


class DocumentCounter(Model):
    """The last number of a series in a year (shop time zone); taken under a row lock, so numbers have no gaps."""

    __tablename__ = "document_counter"

    series: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(default=0, nullable=False)


class Document(AppendOnly, Model):
    """An issued document. Never updated: a cancellation is a `DocumentCancellation` row, an error is fixed by a
    new исправленный document (same number, `revision` + 1), a change after realisation by a correction."""

    __tablename__ = "document"
    __table_args__ = (
        sa.UniqueConstraint("series", "year", "number", "revision", name="uq_document_number"),
        sa.UniqueConstraint("kind", "source_key", name="uq_document_source"),
        sa.CheckConstraint("number > 0", name="number_positive"),
        sa.CheckConstraint("revision >= 0", name="revision_non_negative"),
        sa.CheckConstraint("round(net + vat - total, 2) = 0", name="vat_consistent"),
        sa.Index("ix_document_day_kind", "day", "kind"),
        sa.Index("ix_document_company_day", "company_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind, "document_kind"), nullable=False)
    series: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    year: Mapped[int] = mapped_column(nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    revision: Mapped[int] = mapped_column(default=0, nullable=False)  # line 1а: «Исправление № …»
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)  # the document's date (shop time zone)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # What the document was issued from, once: «sale:<order>:<cycle>», «invoice:<order>:<hash of lines>» …
    source_key: Mapped[str] = mapped_column(sa.String(120), nullable=False)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="RESTRICT"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id", ondelete="RESTRICT"))
    customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    # A correction: the document it corrects; an исправленный document: the one it replaces; a re-issued
    # счёт: the previous счёт of the order.
    base_id: Mapped[int | None] = mapped_column(sa.ForeignKey("document.id", ondelete="RESTRICT"), index=True)
    upd_status: Mapped[int | None] = mapped_column()
    buyer_name: Mapped[str] = mapped_column(sa.String(300), default="", nullable=False)
    buyer_inn: Mapped[str] = mapped_column(sa.String(12), default="", nullable=False)
    # Sums (a correction: the change, after − before; an акт сверки: the closing balance in `total`).
    net: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    vat: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    total: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    period_from: Mapped[date | None] = mapped_column(sa.Date)
    period_to: Mapped[date | None] = mapped_column(sa.Date)
    # Everything the document shows, as of its date (`app.services.documents.data.DocumentData.to_json`).
    snapshot: Mapped[dict] = mapped_column(JSONType, nullable=False)
    file_id: Mapped[int] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), nullable=False)
    sha256: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)

    file: Mapped[StoredFile] = relationship()
    order: Mapped[Order | None] = relationship()
    company: Mapped[Company | None] = relationship()
    cancellation: Mapped[DocumentCancellation | None] = relationship(
        back_populates="document", uselist=False, viewonly=True
    )

    @property
    def number_label(self) -> str:
        return str(self.number)

    @property
    def title(self) -> str:
        label = self.kind.label if self.kind != DocumentKind.upd else f"УПД (статус {self.upd_status or 1})"
        text = f"{label} № {self.number} от {self.day:%d.%m.%Y}"
        if self.revision:
            text += f", исправление № {self.revision}"
        return text

    @property
    def is_cancelled(self) -> bool:
        return self.cancellation is not None

    @property
    def state_label(self) -> str:
        return "аннулирован" if self.is_cancelled else "выставлен"

    @property
    def filename(self) -> str:
        names = {
            DocumentKind.invoice: "schet",
            DocumentKind.upd: "upd",
            DocumentKind.vat_invoice: "schet-faktura",
            DocumentKind.act: "akt",
            DocumentKind.correction: "ukd",
            DocumentKind.statement: "akt-sverki",
            DocumentKind.advance_invoice: "schet-faktura-avans",
        }
        revision = f"-ispr{self.revision}" if self.revision else ""
        return f"{names[self.kind]}-{self.year}-{self.number}{revision}.pdf"

    def __str__(self) -> str:
        return self.title


class DocumentCancellation(AppendOnly, Model):
    """A cancelled document keeps its number and is shown «аннулирован»; cancelling is itself never undone."""

    __tablename__ = "document_cancellation"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        sa.ForeignKey("document.id", ondelete="RESTRICT"), unique=True, nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    reason: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)

    document: Mapped[Document] = relationship(back_populates="cancellation")
