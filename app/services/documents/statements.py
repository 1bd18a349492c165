"""Акт сверки взаимных расчётов: a company's sales, returns and payments for a period from the sales journal,
with the opening balance before it and the closing balance after it (debit: what the buyer owes)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Company, Document, DocumentKind, JournalEntry, JournalKind
from app.services.actors import Actor
from app.services.documents.data import DocumentData, StatementRow
from app.services.documents.issuing import issue
from app.services.documents.parties import company_party, seller_party
from app.services.errors import ValidationError
from app.services.money import ZERO
from app.services.shoptime import shop_today

K = JournalKind
SALE_SIDE = (K.sale, K.sale_return)


def balance_before(session: Session, company_id: int, day: date) -> Decimal:
    """What the company owed before `day`: sales minus returns minus payments plus refunds of payments."""
    sales = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(JournalEntry.amount), 0)).where(
            JournalEntry.company_id == company_id, JournalEntry.day < day, JournalEntry.kind.in_(SALE_SIDE)
        )
    )
    paid = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(JournalEntry.amount), 0)).where(
            JournalEntry.company_id == company_id,
            JournalEntry.day < day,
            JournalEntry.kind.in_((K.payment, K.payment_refund)),
        )
    )
    return Decimal(sales or 0) - Decimal(paid or 0)


def statement_rows(session: Session, company_id: int, start: date, end: date) -> list[StatementRow]:
    """One row per posting (an order's sale, return, payment or refund of a payment) in the period, by day."""
    sums: dict[tuple[date, int, str, K, int], Decimal] = defaultdict(lambda: ZERO)
    for e in session.execute(
        sa.select(
            JournalEntry.day,
            JournalEntry.order_id,
            JournalEntry.order_number,
            JournalEntry.kind,
            JournalEntry.cycle,
            JournalEntry.amount,
            JournalEntry.id,
        )
        .where(JournalEntry.company_id == company_id, JournalEntry.day.between(start, end))
        .order_by(JournalEntry.day, JournalEntry.id)
    ):
        sums[(e.day, e.order_id, e.order_number, e.kind, e.cycle)] += e.amount
    docs = {
        d.source_key: d
        for d in session.scalars(
            sa.select(Document).where(
                Document.company_id == company_id,
                Document.kind.in_(
                    (DocumentKind.upd, DocumentKind.vat_invoice, DocumentKind.act, DocumentKind.correction)
                ),
                Document.revision == 0,
            )
        )
    }
    rows = []
    for (day, order_id, number, kind, cycle), amount in sums.items():
        if kind in SALE_SIDE:
            doc = docs.get(f"{'sale' if kind == K.sale else 'return'}:{order_id}:{cycle}")
            what = "Реализация" if kind == K.sale else "Корректировка (возврат)"
            ref = f" ({doc.title})" if doc is not None else ""
            text = f"{what}{ref}, заказ № {number}"
        else:
            text = f"{'Оплата' if kind == K.payment else 'Возврат оплаты'}, заказ № {number}"
        debit = amount if kind in SALE_SIDE else -amount
        rows.append(StatementRow(day, text, debit=max(debit, ZERO), credit=max(-debit, ZERO)))
    return rows


def issue_statement(session: Session, company: Company, start: date, end: date, *, actor: Actor) -> Document:
    """The акт сверки of a company for a period (the same document when asked again for that period)."""
    if start > end:
        raise ValidationError("Начало периода позже его конца.", field="start")
    if end > shop_today():
        raise ValidationError("Акт сверки составляется за прошедший период.", field="end")
    day = shop_today()
    seller = seller_party(session, day)
    buyer = company_party(company)
    opening = balance_before(session, company.id, start)
    rows = tuple(statement_rows(session, company.id, start, end))

    def build(number: str) -> DocumentData:
        return DocumentData(
            kind=DocumentKind.statement.value,
            number=number,
            day=day,
            seller=seller,
            buyer=buyer,
            period_from=start,
            period_to=end,
            opening=opening,
            rows=rows,
        )

    return issue(
        session,
        kind=DocumentKind.statement,
        day=day,
        source_key=f"statement:{company.id}:{start}:{end}",
        build=build,
        actor=actor,
        company=company,
    )
