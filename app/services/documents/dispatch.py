"""Sending documents by email through the outbox: the monthly set of every company with realisations in the
previous month (its documents made sure of, the акт сверки for the month, one message to its accountant — or
owner — with the PDFs attached), and staff's «Отправить» of chosen documents.

Idempotent: documents are issued once (their source keys), the monthly message is queued once per company and
month (its dedupe key), so running the month twice sends nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import (
    Channel,
    Company,
    CompanyMember,
    Customer,
    Document,
    DocumentCancellation,
    JournalEntry,
    JournalKind,
    MemberRole,
    Notification,
)
from app.services.actors import Actor
from app.services.documents.issuing import issue_order_documents, pdf_bytes
from app.services.documents.statements import issue_statement
from app.services.errors import ValidationError
from app.services.messaging import messages, notifications
from app.services.shoptime import MONTHS_GENITIVE

EVENT_MONTHLY = "documents_monthly"
EVENT_SENT = "documents_sent"
MONTHS = (
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
)

notifications.register_event(
    EVENT_MONTHLY, "Закрывающие документы за месяц", default_channels={Channel.email}, configurable=False
)
notifications.register_event(EVENT_SENT, "Документы от магазина", default_channels={Channel.email}, configurable=False)


def parse_month(text: str) -> date:
    """«2026-11» → 1 November 2026; a clear message otherwise."""
    try:
        year, month = (int(part) for part in (text or "").strip().split("-"))
        return date(year, month, 1)
    except ValueError:
        raise ValidationError("Месяц указывается как ГГГГ-ММ, например 2026-11.", field="month") from None


def previous_month(today: date) -> date:
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def month_bounds(first: date) -> tuple[date, date]:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first, following - timedelta(days=1)


def recipient(session: Session, company: Company) -> tuple[int, str] | None:
    """The company's accountant (the first), else its owner: (customer id, email)."""
    for role in (MemberRole.accountant, MemberRole.owner):
        member = session.scalar(
            sa.select(CompanyMember)
            .where(CompanyMember.company_id == company.id, CompanyMember.role == role)
            .order_by(CompanyMember.id)
            .limit(1)
        )
        if member is not None:
            return member.customer_id, member.customer.email
    return None


@dataclass
class MonthlyReport:
    month: date
    companies: int = 0
    issued: int = 0
    queued: int = 0
    skipped: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.month:%Y-%m}: компаний {self.companies}, выставлено документов {self.issued}, "
            f"писем в очереди {self.queued}"
        )
        return text + "".join(f"\n  пропущено: {reason}" for reason in self.skipped)


def dispatch_month(session: Session, first: date, *, actor: Actor) -> MonthlyReport:
    """Close a month for every company with realisations in it: documents, акт сверки, one email each."""
    start, end = month_bounds(first)
    report = MonthlyReport(first)
    company_ids: list[int] = list(
        session.scalars(
            sa.select(JournalEntry.company_id)
            .where(
                JournalEntry.company_id.is_not(None),
                JournalEntry.day.between(start, end),
                JournalEntry.kind.in_((JournalKind.sale, JournalKind.sale_return)),
            )
            .distinct()
            .order_by(JournalEntry.company_id)
        )
    )
    for company_id in company_ids:
        company = session.get(Company, company_id)
        assert company is not None
        report.companies += 1
        order_ids = list(
            session.scalars(
                sa.select(JournalEntry.order_id)
                .where(JournalEntry.company_id == company_id, JournalEntry.day <= end)
                .distinct()
            )
        )
        report.issued += len(issue_order_documents(session, order_ids, actor=actor))
        statement = issue_statement(session, company, start, end, actor=actor)
        documents = month_documents(session, company_id, start, end)
        to = recipient(session, company)
        if to is None:
            report.skipped.append(f"{company.short_name}: нет владельца или бухгалтера")
            continue
        key = f"{EVENT_MONTHLY}:{company_id}:{first:%Y-%m}"
        if session.scalar(sa.select(Notification.id).where(Notification.dedupe_key == key)) is not None:
            continue  # sent (or queued) by an earlier run
        report.queued += notifications.queue_many(
            session,
            [
                {
                    "channel": Channel.email,
                    "event": EVENT_MONTHLY,
                    "recipient": to[1],
                    "customer_id": to[0],
                    "payload": {
                        "company": company.short_name,
                        "month": f"{first:%Y-%m}",
                        "document_ids": [d.id for d in documents] + [statement.id],
                    },
                    "dedupe_key": key,
                }
            ],
        )
    return report


def month_documents(session: Session, company_id: int, start: date, end: date) -> list[Document]:
    """The company's realisation documents and corrections dated in the period (not cancelled), by number."""
    return list(
        session.scalars(
            sa.select(Document)
            .where(
                Document.company_id == company_id,
                Document.day.between(start, end),
                Document.period_from.is_(None),
                ~sa.exists().where(DocumentCancellation.document_id == Document.id),
            )
            .order_by(Document.day, Document.id)
        )
    )


def send_documents(session: Session, documents: list[Document], *, actor: Actor) -> tuple[int, list[str]]:
    """Staff's «Отправить»: one email per company (or private buyer) with its chosen documents attached."""
    by_recipient: dict[tuple[int, str], list[Document]] = {}
    skipped = []
    for document in documents:
        to = None
        if document.company_id is not None:
            company = session.get(Company, document.company_id)
            to = recipient(session, company) if company is not None else None
        elif document.customer_id is not None:
            customer = session.get(Customer, document.customer_id)
            to = (customer.id, customer.email) if customer is not None else None
        if to is None:
            skipped.append(f"{document.title}: некому отправить")
            continue
        by_recipient.setdefault(to, []).append(document)
    rows = [
        {
            "channel": Channel.email,
            "event": EVENT_SENT,
            "recipient": email,
            "customer_id": customer_id,
            "payload": {"document_ids": [d.id for d in docs], "by": actor.name},
        }
        for (customer_id, email), docs in by_recipient.items()
    ]
    return notifications.queue_many(session, rows), skipped


def _render(ctx: messages.MessageContext) -> messages.Rendered:
    from app.extensions import db

    ids = [int(i) for i in ctx.payload.get("document_ids", [])]
    documents = list(db.session.scalars(sa.select(Document).where(Document.id.in_(ids)).order_by(Document.id)))
    if not documents:
        raise messages.RenderError("В сообщении нет документов.")
    listing = "\n".join(f"— {d.title}" for d in documents)
    if ctx.notification.event == EVENT_MONTHLY:
        month = parse_month(ctx.payload["month"])
        period = f"{MONTHS[month.month - 1]} {month.year}"
        subject = f"Закрывающие документы за {period} — {ctx.payload.get('company', '')}".strip(" —")
        intro = (
            f"Здравствуйте!\n\nНаправляем закрывающие документы {ctx.shop_name} за {period} "
            f"и акт сверки взаимных расчётов на {month_bounds(month)[1].day} {MONTHS_GENITIVE[month.month - 1]}."
        )
    else:
        subject = f"Документы от {ctx.shop_name}"
        intro = f"Здравствуйте!\n\nНаправляем документы {ctx.shop_name}."
    text = (
        f"{intro}\n\n{listing}\n\nФайлы PDF — во вложении. Документы также доступны в личном кабинете: "
        f"{ctx.url('/companies/')}\n\nС уважением, {ctx.shop_name}"
    )
    attachments = tuple((d.filename, "application/pdf", pdf_bytes(d)) for d in documents)
    return messages.Rendered(subject=subject, text=text, attachments=attachments)


messages.register_renderer(EVENT_MONTHLY, _render)
messages.register_renderer(EVENT_SENT, _render)
