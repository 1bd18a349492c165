"""Issuing closing documents: a number from the gapless sequence, a snapshot of what the document says, its PDF
stored through the storage service with the SHA-256, and an entry in the order's and the company's history.

What is issued, from what (each once: `Document.source_key` is unique per kind, so a repeat returns the document
already issued):

- **счёт на оплату** for an order paid by invoice, from the order's lines (`invoice:<order>:<fingerprint>`);
  staff changing the order before payment makes a new счёт and cancels the previous one;
- **УПД** (status 1 for a VAT payer, 2 otherwise) — or, with `DOCUMENTS_REALISATION_FORM = "act"`, an **акт**
  plus a **счёт-фактура** (the акт alone for a non-payer) — for each sale the journal posted for a company
  order (`sale:<order>:<cycle>`), from the posted entries;
- a **счёт-фактура на аванс** when a company pays for an order before it is realised (`advance:<order>:<cycle>`
  of the journal's payment entry), issued by the payment effect the day the payment is recorded (п. 3 ст. 168
  НК: within 5 calendar days): the sum received with VAT at the calculated rate (22/122), no quantities, line 5
  naming the payment; the УПД (счёт-фактура) of the sale then names it on line 5б. Only a VAT payer issues it;
  not for private customers (their payment has a cash receipt), not for goods without VAT, not when the order
  is already realised (that payment is not an advance);
- a **корректировочный документ** (УКД) for each return the journal posted after such a sale
  (`return:<order>:<cycle>`): before = the sale's entries, after = zero, or the new sale when the return is
  the first half of a correction (the journal's repost of changed lines, reason «Исправление»);
- an **исправленный** document (same number and date, line 1а «Исправление № N от …») to fix an error;
  the issued one is never edited;
- a cancellation (`DocumentCancellation`) keeps the number and marks the document «аннулирован».

The seller's requisites are those in force on the document's day; the buyer's, those of the company when the
document is issued. Both are copied into the snapshot, so later changes never alter an issued document.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from functools import partial

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.models import (
    SERIES,
    Company,
    Customer,
    Document,
    DocumentCancellation,
    DocumentKind,
    JournalEntry,
    JournalKind,
    JournalReason,
    LineKind,
    Order,
    PaymentMethod,
)
from app.services import storage
from app.services.actors import Actor
from app.services.companies import registry
from app.services.documents.data import OKEI_SERVICE, DocLine, DocRef, DocumentData, Party
from app.services.documents.numbering import next_number
from app.services.documents.parties import SellerRequisitesMissing, company_party, customer_party, seller_party
from app.services.errors import DomainError, ValidationError
from app.services.money import ZERO
from app.services.orders import history as order_history
from app.services.orders.lifecycle import REALISED_STATUSES
from app.services.shoptime import shop_today

log = logging.getLogger(__name__)
K = DocumentKind
REALISATION_KINDS = (K.upd, K.vat_invoice, K.act)
FORMS = ("upd", "act")
TITLES = {K.upd: "УПД", K.vat_invoice: "Счёт-фактура", K.act: "Акт", K.correction: "УКД", K.invoice: "Счёт"}
ADVANCE_PREFIX = "Предварительная оплата: "


def realisation_form() -> str:
    form = current_app.config.get("DOCUMENTS_REALISATION_FORM", "upd")
    return form if form in FORMS else "upd"


# --- the one way a document is made ---------------------------------------------------------------------


def issue(
    session: Session,
    *,
    kind: DocumentKind,
    day: date,
    source_key: str,
    build: Callable[[str], DocumentData],
    actor: Actor,
    order: Order | None = None,
    company: Company | None = None,
    customer_id: int | None = None,
    base: Document | None = None,
    number: int | None = None,
    revision: int = 0,
) -> Document:
    """Issue one document (or return the one already issued from `source_key`); `build` makes its data
    given the number. Flushes, does not commit."""
    existing = session.scalar(sa.select(Document).where(Document.kind == kind, Document.source_key == source_key))
    if existing is not None:
        return existing
    series = SERIES[kind]
    if number is None:
        number = next_number(session, series, day.year)
    data = build(str(number))
    from app.reports import document_pdf  # here: fpdf2 and fontTools load where documents are made

    pdf = document_pdf.render_document(
        data, font_regular=current_app.config["PDF_FONT_REGULAR"], font_bold=current_app.config["PDF_FONT_BOLD"]
    )
    document = Document(
        kind=kind,
        series=series,
        year=day.year,
        number=number,
        revision=revision,
        day=day,
        source_key=source_key,
        order_id=order.id if order is not None else None,
        company_id=company.id if company is not None else None,
        customer_id=customer_id if customer_id is not None else (order.customer_id if order is not None else None),
        base_id=base.id if base is not None else None,
        upd_status=data.upd_status,
        buyer_name=data.buyer.display_name[:300],
        buyer_inn=data.buyer.inn[:12],
        snapshot=data.to_json(),
        actor_name=actor.name[:200],
        **_sums(data),
    )
    document.period_from, document.period_to = data.period_from, data.period_to
    # The PDF was just drawn here: stored as it is, without parsing it again to check it opens.
    stored = storage.store_bytes(session, data=pdf, filename=document.filename, read_through=False)
    document.file_id, document.sha256 = stored.id, stored.sha256
    session.add(document)
    session.flush()
    title = document.title
    if order is not None:
        order_history.record(session, order, actor, "document", None, title)
    if company is not None:
        registry.record(session, company, actor, "document", None, title)
    return document


def _numbered(data: DocumentData, number: str) -> DocumentData:
    return replace(data, number=number)


def _sums(data: DocumentData) -> dict[str, object]:
    if data.kind == K.statement.value:
        return {"net": data.closing, "vat": ZERO, "total": data.closing}
    if data.kind == K.correction.value:
        total, vat = data.total - data.total_before, data.vat - data.vat_before
        return {"net": total - vat, "vat": vat, "total": total}
    return {"net": data.net, "vat": data.vat, "total": data.total}


def pdf_bytes(document: Document) -> bytes:
    """The stored PDF, exactly as issued (checked against its SHA-256)."""
    data = storage.open_blob(document.file).read_bytes()
    if hashlib.sha256(data).hexdigest() != document.sha256:
        raise DomainError("Файл документа повреждён: его контрольная сумма не совпадает с записанной.")
    return data


# --- счёт на оплату ------------------------------------------------------------------------------------


def _order_lines(order: Order) -> tuple[DocLine, ...]:
    lines = []
    for line in order.lines:
        name = line.product_name
        if line.options:
            name = f"{name} ({line.options_label})"
        okei, unit = OKEI_SERVICE if line.kind == LineKind.delivery else ("796", "шт")
        lines.append(DocLine(name, line.quantity, line.total, line.vat_amount, line.vat_rate, okei=okei, unit=unit))
    return tuple(lines)


def _fingerprint(lines: Sequence[DocLine]) -> str:
    text = json.dumps([line.to_dict() for line in lines], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _buyer(order: Order) -> tuple[Party, Company | None]:
    if order.company is not None:
        return company_party(order.company), order.company
    return customer_party(order.customer, order.contact_name, order.billing_address_snapshot), None


def _basis(order: Order) -> str:
    return f"Заказ № {order.number} от {shop_today(order.created_at):%d.%m.%Y}"


def current_invoice(session: Session, order_id: int) -> Document | None:
    """The order's счёт in force: the newest one not cancelled."""
    return session.scalar(
        sa.select(Document)
        .where(Document.order_id == order_id, Document.kind == K.invoice)
        .where(~sa.exists().where(DocumentCancellation.document_id == Document.id))
        .order_by(Document.id.desc())
        .limit(1)
    )


def issue_invoice(session: Session, order: Order, *, actor: Actor) -> Document:
    """The счёт of an order paid by invoice, as its lines are now: the same счёт while they are unchanged; a new
    one (the previous cancelled) after staff change them before payment."""
    if order.payment_method != PaymentMethod.invoice:
        raise ValidationError("Счёт выставляется только на заказ с оплатой по счёту.")
    lines = _order_lines(order)
    if not lines:
        raise ValidationError("В заказе нет позиций — выставлять счёт не на что.")
    key = f"invoice:{order.id}:{_fingerprint(lines)}"
    existing = session.scalar(sa.select(Document).where(Document.kind == K.invoice, Document.source_key == key))
    if existing is not None:
        return existing
    previous = current_invoice(session, order.id)
    if previous is not None:
        if order.paid_at is not None:
            raise ValidationError("Заказ уже оплачен: новый счёт не выставляется.")
        cancel_document(session, previous, actor=actor, reason="Заказ изменён: выставлен новый счёт.")
    day = shop_today()
    seller = seller_party(session, day)
    buyer, company = _buyer(order)

    def build(number: str) -> DocumentData:
        return DocumentData(
            kind=K.invoice.value,
            number=number,
            day=day,
            seller=seller,
            buyer=buyer,
            lines=lines,
            order_number=order.number,
            basis=_basis(order),
        )

    return issue(
        session,
        kind=K.invoice,
        day=day,
        source_key=key,
        build=build,
        actor=actor,
        order=order,
        company=company,
        base=previous,
    )


def ensure_invoice(session: Session, order: Order, *, actor: Actor) -> Document | None:
    """Issue the счёт of an unpaid order paid by invoice if its lines have none yet; None when not applicable
    or the shop's requisites are not filled in (the order goes on; staff issue it later)."""
    if order.payment_method != PaymentMethod.invoice or order.paid_at is not None:
        return current_invoice(session, order.id)
    try:
        return issue_invoice(session, order, actor=actor)
    except SellerRequisitesMissing:
        log.warning("order %s: no invoice issued, the shop's requisites are not filled in", order.number)
        return None


def order_confirmation(session: Session, order: Order) -> bytes:
    """The order confirmation of a private customer (lines with VAT «в том числе»), drawn when asked: it is not
    a numbered document (the fiscal receipt is the cash desk's), so nothing is stored."""
    day = shop_today(order.created_at)
    data = DocumentData(
        kind="confirmation",
        number=order.number,
        day=day,
        seller=seller_party(session, day),
        buyer=customer_party(order.customer, order.contact_name, order.billing_address_snapshot),
        lines=_order_lines(order),
        order_number=order.number,
        basis=_basis(order),
    )
    from app.reports import document_pdf

    return document_pdf.render_document(
        data, font_regular=current_app.config["PDF_FONT_REGULAR"], font_bold=current_app.config["PDF_FONT_BOLD"]
    )


def refresh_invoice(session: Session, order: Order, *, actor: Actor) -> Document | None:
    """After staff changed an unpaid order: if it had a счёт, a new one for its lines now (the old cancelled)."""
    if current_invoice(session, order.id) is None:
        return None
    session.flush()
    session.refresh(order, ["lines"])
    return ensure_invoice(session, order, actor=actor)


# --- realisation documents and corrections, from the sales journal ---------------------------------------


def _entry_lines(entries: Iterable[JournalEntry], names: dict[int, str], sign: int = 1) -> dict[int, DocLine]:
    lines = {}
    for e in sorted(entries, key=lambda e: e.line_position):
        delivery = e.line_kind == LineKind.delivery
        okei, unit = OKEI_SERVICE if delivery else ("796", "шт")
        name = names.get(e.line_position) or e.product_name or ("Доставка" if delivery else "Товар")
        lines[e.line_position] = DocLine(
            name, sign * e.quantity, sign * e.amount, sign * e.vat, e.vat_rate, okei=okei, unit=unit
        )
    return lines


def _line_names(order: Order) -> dict[int, str]:
    """Names with options, from the order's lines (a line's product name is what the journal keeps)."""
    return {
        line.position: (f"{line.product_name} ({line.options_label})" if line.options else line.product_name)
        for line in order.lines
    }


def _realisation_doc(session: Session, order_id: int, cycle: int) -> Document | None:
    """The document a sale was issued as (УПД, счёт-фактура, or an акт alone), newest revision first."""
    return session.scalar(
        sa.select(Document)
        .where(Document.kind.in_(REALISATION_KINDS), Document.source_key == f"sale:{order_id}:{cycle}")
        .limit(1)
    )


def issue_order_documents(session: Session, order_ids: Sequence[int], *, actor: Actor) -> list[Document]:
    """Make sure every sale and return the journal posted for these (company) orders has its document, and a
    payment received before realisation its advance invoice; returns the documents issued now. Idempotent."""
    if not order_ids:
        return []
    advances = issue_advance_invoices(session, order_ids, actor=actor)
    entries = list(
        session.scalars(
            sa.select(JournalEntry)
            .where(
                JournalEntry.order_id.in_(list(order_ids)),
                JournalEntry.company_id.is_not(None),
                JournalEntry.kind.in_((JournalKind.sale, JournalKind.sale_return)),
            )
            .order_by(JournalEntry.order_id, JournalEntry.id)
        )
    )
    groups: dict[tuple[int, JournalKind, int], list[JournalEntry]] = defaultdict(list)
    for entry in entries:
        groups[(entry.order_id, entry.kind, entry.cycle)].append(entry)
    issued_keys = set(
        session.scalars(
            sa.select(Document.source_key).where(
                Document.order_id.in_(list(order_ids)), Document.kind.in_((*REALISATION_KINDS, K.correction))
            )
        )
    )
    made: list[Document] = list(advances)
    for (order_id, kind, cycle), group in sorted(
        groups.items(), key=lambda item: (item[0][0], min(e.id for e in item[1]))
    ):
        if kind == JournalKind.sale:
            if group[0].reason == JournalReason.correction or f"sale:{order_id}:{cycle}" in issued_keys:
                continue  # a corrected sale is shown by the correction of the return before it
            made.extend(_issue_sale(session, order_id, cycle, group, actor))
        elif f"return:{order_id}:{cycle}" not in issued_keys:
            document = _issue_return(session, order_id, cycle, group, groups, actor)
            if document is not None:
                made.append(document)
    return made


def _issue_sale(
    session: Session, order_id: int, cycle: int, entries: list[JournalEntry], actor: Actor
) -> list[Document]:
    order = session.get(Order, order_id)
    assert order is not None and order.company is not None
    day = entries[0].day
    seller = seller_party(session, day)
    buyer = company_party(order.company)
    lines = tuple(_entry_lines(entries, _line_names(order)).values())
    payments = tuple(
        DocRef("Оплата", order.number, e.day)
        for e in session.scalars(
            sa.select(JournalEntry).where(
                JournalEntry.order_id == order_id, JournalEntry.kind == JournalKind.payment, JournalEntry.day <= day
            )
        )
    )
    advances = advance_invoices_label(advance_invoices(session, order_id, day))
    offset = {"advance_invoices": advances} if advances else {}
    common = {
        "day": day,
        "seller": seller,
        "buyer": buyer,
        "lines": lines,
        "order_number": order.number,
        "basis": _basis(order),
        "shipped_on": day,
        "payment_docs": payments,
        "consignee": f"{buyer.name}, {order.delivery_address or buyer.address}",
    }
    key = f"sale:{order_id}:{cycle}"
    if realisation_form() == "upd":
        status = 1 if seller.vat_payer else 2

        def build_upd(number: str) -> DocumentData:
            return DocumentData(kind=K.upd.value, number=number, upd_status=status, extra=offset, **common)  # type: ignore[arg-type]

        return [
            issue(
                session,
                kind=K.upd,
                day=day,
                source_key=key,
                build=build_upd,
                actor=actor,
                order=order,
                company=order.company,
            )
        ]

    def build_act(number: str) -> DocumentData:
        return DocumentData(kind=K.act.value, number=number, **common)  # type: ignore[arg-type]

    act_key = f"act:{order_id}:{cycle}" if seller.vat_payer else key
    act = issue(
        session,
        kind=K.act,
        day=day,
        source_key=act_key,
        build=build_act,
        actor=actor,
        order=order,
        company=order.company,
    )
    if not seller.vat_payer:
        return [act]
    shipment = DocRef("Акт", str(act.number), act.day).to_dict()

    def build_invoice(number: str) -> DocumentData:
        return DocumentData(
            kind=K.vat_invoice.value,
            number=number,
            extra={"shipment_doc": shipment, **offset},
            **common,  # type: ignore[arg-type]
        )

    invoice = issue(
        session,
        kind=K.vat_invoice,
        day=day,
        source_key=key,
        build=build_invoice,
        actor=actor,
        order=order,
        company=order.company,
    )
    return [act, invoice]


# --- счёт-фактура на аванс -------------------------------------------------------------------------------


def advance_invoices(session: Session, order_id: int, until: date | None = None) -> list[Document]:
    """The order's advance invoices in force (not cancelled), dated up to `until`, oldest first."""
    query = (
        sa.select(Document)
        .where(Document.order_id == order_id, Document.kind == K.advance_invoice)
        .where(~sa.exists().where(DocumentCancellation.document_id == Document.id))
        .order_by(Document.id)
    )
    if until is not None:
        query = query.where(Document.day <= until)
    return list(session.scalars(query))


def advance_invoices_label(documents: Sequence[Document]) -> str:
    """Line 5б: «№ 7 от 19.11.2026» for each advance invoice offset, with its latest исправление when it has one
    («№ 7 от 19.11.2026, исправление № 1 от 21.11.2026»), several joined by «;»."""
    latest: dict[tuple[int, int], Document] = {}
    for document in documents:
        key = (document.year, document.number)
        if key not in latest or document.revision > latest[key].revision:
            latest[key] = document
    parts = []
    for document in sorted(latest.values(), key=lambda d: (d.day, d.number)):
        text = f"№ {document.number} от {document.day:%d.%m.%Y}"
        revision = (document.snapshot or {}).get("revision")
        if document.revision and revision:
            text += f", исправление № {document.revision} от {date.fromisoformat(revision['day']):%d.%m.%Y}"
        parts.append(text)
    return "; ".join(parts)


def _advance_lines(order: Order) -> tuple[DocLine, ...]:
    """What the payment is for, line by line: the sum received and its VAT «в том числе» (the order line's VAT,
    computed at r/(100 + r) of what the line costs), without quantity, unit or price."""
    return tuple(
        replace(line, name=ADVANCE_PREFIX + line.name, quantity=0, okei="", unit="") for line in _order_lines(order)
    )


def issue_advance_invoices(session: Session, order_ids: Sequence[int], *, actor: Actor) -> list[Document]:
    """The счёт-фактура на аванс of each company order whose payment the journal has just posted before the order
    is realised; returns those issued now. Idempotent: one per payment entry of the journal."""
    made: list[Document] = []
    for order_id in order_ids:
        order = session.get(Order, order_id)
        if order is None or order.company is None or order.status in REALISED_STATUSES:
            continue  # a private customer's payment, or money for what was already realised: not an advance
        payment = session.scalar(
            sa.select(JournalEntry)
            .where(JournalEntry.order_id == order_id, JournalEntry.kind == JournalKind.payment)
            .order_by(JournalEntry.id.desc())
            .limit(1)
        )
        if payment is None:
            continue
        key = f"advance:{order_id}:{payment.cycle}"
        if session.scalar(sa.select(Document.id).where(Document.kind == K.advance_invoice, Document.source_key == key)):
            continue
        lines = _advance_lines(order)
        if not any(line.vat_rate for line in lines):
            continue  # nothing here bears VAT: no invoice for it
        day = shop_today()
        seller = seller_party(session, day)
        if not seller.vat_payer:
            continue
        data = DocumentData(
            kind=K.advance_invoice.value,
            number="",
            day=day,
            seller=seller,
            buyer=company_party(order.company),
            lines=lines,
            order_number=order.number,
            basis=_basis(order),
            payment_docs=(DocRef("Оплата", order.number, payment.day),),
        )
        made.append(
            issue(
                session,
                kind=K.advance_invoice,
                day=day,
                source_key=key,
                build=partial(_numbered, data),
                actor=actor,
                order=order,
                company=order.company,
            )
        )
    return made


def _issue_return(
    session: Session,
    order_id: int,
    cycle: int,
    entries: list[JournalEntry],
    groups: dict[tuple[int, JournalKind, int], list[JournalEntry]],
    actor: Actor,
) -> Document | None:
    base = None
    for back in range(cycle, 0, -1):
        base = _realisation_doc(session, order_id, back)
        if base is not None:
            break
    if base is None:
        return None  # nothing was issued for the sale (before documents existed): nothing to correct
    order = session.get(Order, order_id)
    assert order is not None and order.company is not None
    # Goods are named as the corrected document named them (a refunded line is no longer on the order).
    names = _line_names(order)
    base_positions = sorted({e.line_position for e in groups.get((order_id, JournalKind.sale, back), [])})
    base_lines = DocumentData.from_json(base.snapshot).lines
    if len(base_positions) == len(base_lines):
        names.update({position: line.name for position, line in zip(base_positions, base_lines, strict=True)})
    before = _entry_lines(entries, names, sign=-1)
    after: dict[int, DocLine] = {}
    if entries[0].reason == JournalReason.correction:
        after = _entry_lines(groups.get((order_id, JournalKind.sale, cycle + 1), []), names)
    positions = sorted(set(before) | set(after))

    def zero(line: DocLine) -> DocLine:
        return replace(line, quantity=0, total=ZERO, vat=ZERO)

    lines_before = tuple(before.get(p) or zero(after[p]) for p in positions)
    lines_after = tuple(after.get(p) or zero(before[p]) for p in positions)
    day = entries[0].day
    seller = seller_party(session, day)
    buyer = company_party(order.company)
    reason = "Возврат" if entries[0].reason != JournalReason.correction else "Изменение стоимости"
    base_ref = DocRef(TITLES.get(base.kind, base.kind.label), str(base.number), base.day)

    def build(number: str) -> DocumentData:
        return DocumentData(
            kind=K.correction.value,
            number=number,
            day=day,
            seller=seller,
            buyer=buyer,
            lines=lines_after,
            lines_before=lines_before,
            order_number=order.number,
            corrected=base_ref,
            shipped_on=day,
            upd_status=1 if seller.vat_payer else 2,
            basis=f"{reason} по заказу № {order.number}; к {base_ref.label}",
        )

    return issue(
        session,
        kind=K.correction,
        day=day,
        source_key=f"return:{order_id}:{cycle}",
        build=build,
        actor=actor,
        order=order,
        company=order.company,
        base=base,
    )


# --- cancelling and fixing ---------------------------------------------------------------------------------


def cancel_document(session: Session, document: Document, *, actor: Actor, reason: str) -> DocumentCancellation:
    """Mark a document «аннулирован»: its number stays taken, its PDF stays as issued."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("Укажите причину аннулирования.", field="reason")
    if session.scalar(sa.select(DocumentCancellation.id).where(DocumentCancellation.document_id == document.id)):
        raise DomainError(f"{document.title} уже аннулирован.")
    cancellation = DocumentCancellation(document_id=document.id, actor_name=actor.name[:200], reason=reason[:1000])
    session.add(cancellation)
    session.flush()
    session.expire(document, ["cancellation"])
    if document.order_id is not None:
        order = session.get(Order, document.order_id)
        if order is not None:
            order_history.record(session, order, actor, "document_cancelled", None, document.title, comment=reason)
    if document.company_id is not None:
        company = session.get(Company, document.company_id)
        if company is not None:
            registry.record(session, company, actor, "document_cancelled", None, document.title, comment=reason)
    return cancellation


FIXABLE = (K.upd, K.vat_invoice, K.act, K.correction, K.advance_invoice)


def issue_revision(session: Session, document: Document, *, actor: Actor, comment: str = "") -> Document:
    """An исправленный document: the same number and date, line 1а «Исправление № N от <today>», the parties'
    requisites as they are now (the seller's: the version in force on the document's day), the same lines."""
    if document.kind not in FIXABLE:
        raise ValidationError(
            "Исправленный документ выставляется только для УПД, счёта-фактуры (в том числе на аванс), акта и УКД."
        )
    if document.is_cancelled:
        raise ValidationError("Документ аннулирован — исправлять нечего.")
    latest = session.scalar(
        sa.select(sa.func.max(Document.revision)).where(
            Document.series == document.series, Document.year == document.year, Document.number == document.number
        )
    )
    revision = (latest or 0) + 1
    today = shop_today()
    original = DocumentData.from_json(document.snapshot)
    seller = seller_party(session, document.day)
    company = session.get(Company, document.company_id) if document.company_id else None
    buyer = company_party(company) if company is not None else original.buyer
    order = session.get(Order, document.order_id) if document.order_id else None

    def build(number: str) -> DocumentData:
        return replace(original, seller=seller, buyer=buyer, revision=DocRef("Исправление", str(revision), today))

    return issue(
        session,
        kind=document.kind,
        day=document.day,
        source_key=f"revision:{document.series}:{document.year}:{document.number}:{revision}",
        build=build,
        actor=actor,
        order=order,
        company=company,
        customer_id=document.customer_id,
        base=document,
        number=document.number,
        revision=revision,
    )


# --- reading --------------------------------------------------------------------------------------------------


def order_documents(session: Session, order_id: int) -> list[Document]:
    return list(session.scalars(sa.select(Document).where(Document.order_id == order_id).order_by(Document.id)))


def issued_sales_total(session: Session, start: date, end: date) -> object:
    """The sum of the realisation documents and corrections dated in the period (cancelled ones left out): what
    `flask accounting reconcile` compares with the journal."""
    return session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(Document.total), 0)).where(
            Document.day.between(start, end),
            sa.or_(Document.source_key.like("sale:%"), Document.source_key.like("return:%")),
            ~sa.exists().where(DocumentCancellation.document_id == Document.id),
        )
    )


def customer_of(session: Session, document: Document) -> Customer | None:
    return session.get(Customer, document.customer_id) if document.customer_id else None
