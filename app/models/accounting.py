"""Accounting: the sales journal (журнал реализации) every money figure is summed from, the shop's own
requisites (versions in force from a day), expenses and their history."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.models.base import (
    ZERO,
    AppendOnly,
    ChangeRecordMixin,
    LabelledEnum,
    Model,
    Money,
    UTCDateTime,
    enum_column,
    utcnow,
)
from app.models.files import StoredFile
from app.models.orders import LineKind, PaymentMethod


class JournalKind(LabelledEnum):
    sale = "sale"
    sale_return = "return"
    payment = "payment"
    payment_refund = "payment_refund"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "sale": "Реализация",
            "return": "Возврат",
            "payment": "Оплата",
            "payment_refund": "Возврат оплаты",
        }


class JournalReason(LabelledEnum):
    """Why an entry was posted: what happened to the order."""

    realised = "realised"  # handed over or shipped
    refund = "refund"  # refunded after realisation (a return) or money given back
    cancellation = "cancellation"  # cancelled after realisation
    correction = "correction"  # a realised order's lines changed: the old sale reversed, the new one posted
    undo = "undo"  # a mass status change taken back
    paid = "paid"  # money received
    backfill = "backfill"  # posted afterwards from the order's own dates (`flask accounting backfill`)

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "realised": "Реализация",
            "refund": "Возврат",
            "cancellation": "Отмена после реализации",
            "correction": "Исправление",
            "undo": "Отмена массовой операции",
            "paid": "Оплата",
            "backfill": "Проведено по данным заказа",
        }


class JournalEntry(AppendOnly, Model):
    """One posted entry: a sale per order line (and VAT rate), its exact negative on a return, a payment.

    Signs: sales and payments positive, returns and refunds of payments negative, so every figure is a plain
    sum. `day` is the shop-local calendar day of the event: the one date rule every report buckets by.
    `cycle` numbers an order's realisations (and, for payments, its payments): the n-th return reverses the
    n-th sale; the unique key makes every posting happen once, whatever repeats.
    """

    __tablename__ = "journal_entry"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "kind", "cycle", "line_position", name="uq_journal_entry_posting"),
        sa.CheckConstraint("cycle > 0", name="cycle_positive"),
        sa.CheckConstraint("round(net + vat - amount, 2) = 0", name="vat_consistent"),
        sa.CheckConstraint("round(amount - gross + discount + points, 2) = 0", name="amount_consistent"),
        sa.Index("ix_journal_entry_day_kind", "day", "kind"),
        sa.Index("ix_journal_entry_order_id", "order_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[JournalKind] = mapped_column(enum_column(JournalKind, "journal_kind"), nullable=False)
    reason: Mapped[JournalReason] = mapped_column(enum_column(JournalReason, "journal_reason"), nullable=False)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="RESTRICT"), nullable=False)
    order_number: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    cycle: Mapped[int] = mapped_column(nullable=False)
    # The order line's position (0 for payments); a line's product and category as they were when posted.
    line_position: Mapped[int] = mapped_column(nullable=False)
    line_kind: Mapped[LineKind | None] = mapped_column(enum_column(LineKind, "journal_line_kind"))
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("product.id", ondelete="SET NULL"), index=True)
    product_name: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    category_id: Mapped[int | None] = mapped_column(sa.ForeignKey("category.id", ondelete="SET NULL"), index=True)
    category_name: Mapped[str] = mapped_column(sa.String(120), default="", nullable=False)
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("customer.id", ondelete="RESTRICT"), index=True)
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(default=0, nullable=False)
    vat_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # None: без НДС
    # gross (before discounts) − discount (promo) − points (bonus points) = amount = net + vat; all signed.
    gross: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    discount: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    points: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    net: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    vat: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    # Cost of goods (material cost price × quantity) when posted; signed like the amount.
    cost: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)
    payment_method: Mapped[PaymentMethod | None] = mapped_column(enum_column(PaymentMethod, "journal_payment_method"))
    batch_id: Mapped[str | None] = mapped_column(sa.String(36))
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    comment: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)

    @property
    def is_sale_side(self) -> bool:
        return self.kind in (JournalKind.sale, JournalKind.sale_return)


# --- the shop's own requisites ------------------------------------------------------------------------


class VatRegime(LabelledEnum):
    """The seller's tax regime (reference/accounting-ru.md §5): the rate it charges on sales."""

    osno = "osno"
    usn_5 = "usn_5"
    usn_7 = "usn_7"
    usn_exempt = "usn_exempt"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {
            "osno": "ОСНО, НДС 22 %",
            "usn_5": "УСН, НДС 5 % (без вычетов)",
            "usn_7": "УСН, НДС 7 % (без вычетов)",
            "usn_exempt": "УСН, без НДС (освобождение)",
        }


class SellerRequisites(AppendOnly, Model):
    """The shop's requisites as a version in force from a day: a change is a new version, never an edit, so
    this table is their history; documents and reports take the version in force on their date."""

    __tablename__ = "seller_requisites"
    __table_args__ = (sa.Index("ix_seller_requisites_valid_from_id", "valid_from", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    valid_from: Mapped[date] = mapped_column(sa.Date, nullable=False)
    full_name: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    short_name: Mapped[str] = mapped_column(sa.String(160), nullable=False)
    inn: Mapped[str] = mapped_column(sa.String(12), nullable=False)
    kpp: Mapped[str] = mapped_column(sa.String(9), default="", nullable=False)
    ogrn: Mapped[str] = mapped_column(sa.String(15), nullable=False)
    legal_address: Mapped[str] = mapped_column(sa.String(300), nullable=False)
    postal_address: Mapped[str] = mapped_column(sa.String(300), default="", nullable=False)
    bank_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    bik: Mapped[str] = mapped_column(sa.String(9), nullable=False)
    correspondent_account: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    settlement_account: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    director: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    chief_accountant: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)
    vat_regime: Mapped[VatRegime] = mapped_column(
        enum_column(VatRegime, "vat_regime"), default=VatRegime.osno, nullable=False
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    comment: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)

    def __str__(self) -> str:
        return f"{self.short_name} с {self.valid_from:%d.%m.%Y}"


# --- expenses ----------------------------------------------------------------------------------------


class ExpenseCategory(Model):
    """A kind of expense (бумага, краска, аренда …): an editable list; a category in use is disabled, not deleted."""

    __tablename__ = "expense_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True, nullable=False)
    position: Mapped[int] = mapped_column(default=0, nullable=False)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)

    def __str__(self) -> str:
        return self.name


class Expense(Model):
    """An expense the accountant entered: amount with VAT, incoming VAT, supplier, document, scan.

    Edits are recorded in `ExpenseHistory`; an expense is never deleted — it is cancelled by a reversing
    expense (the exact negative, `reverses_id`), so every report of a closed period keeps its figures.
    """

    __tablename__ = "expense"
    __table_args__ = (
        sa.CheckConstraint("round(vat_amount - amount, 2) <= 0 OR amount < 0", name="vat_within_amount"),
        sa.CheckConstraint("amount <> 0", name="amount_not_zero"),
        sa.CheckConstraint("(amount > 0 AND vat_amount >= 0) OR (amount < 0 AND vat_amount <= 0)", name="vat_sign"),
        sa.Index("ix_expense_day", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)  # the shop-local day the expense belongs to
    category_id: Mapped[int] = mapped_column(sa.ForeignKey("expense_category.id", ondelete="RESTRICT"), index=True)
    supplier_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    supplier_inn: Mapped[str] = mapped_column(sa.String(12), default="", nullable=False)
    amount: Mapped[Decimal] = mapped_column(Money, nullable=False)  # VAT included
    vat_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # None: без НДС
    vat_amount: Mapped[Decimal] = mapped_column(Money, default=ZERO, nullable=False)  # incoming VAT
    document_number: Mapped[str] = mapped_column(sa.String(60), default="", nullable=False)
    document_date: Mapped[date | None] = mapped_column(sa.Date)
    scan_file_id: Mapped[int | None] = mapped_column(sa.ForeignKey("stored_file.id", ondelete="RESTRICT"), index=True)
    comment: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
    reverses_id: Mapped[int | None] = mapped_column(sa.ForeignKey("expense.id", ondelete="RESTRICT"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by: Mapped[str] = mapped_column(sa.String(200), default="", nullable=False)

    category: Mapped[ExpenseCategory] = relationship()
    scan_file: Mapped[StoredFile | None] = relationship()
    history: Mapped[list[ExpenseHistory]] = relationship(order_by="ExpenseHistory.id", viewonly=True)

    @property
    def net_amount(self) -> Decimal:
        return self.amount - self.vat_amount

    def __str__(self) -> str:
        return f"{self.supplier_name} {self.amount} от {self.day:%d.%m.%Y}"


class ExpenseHistory(AppendOnly, ChangeRecordMixin, Model):
    """Append-only record of every change to an expense: who, when, field, old → new."""

    __tablename__ = "expense_history"
    __table_args__ = (sa.Index("ix_expense_history_expense_id_id", "expense_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    expense_id: Mapped[int] = mapped_column(sa.ForeignKey("expense.id", ondelete="RESTRICT"), nullable=False)
