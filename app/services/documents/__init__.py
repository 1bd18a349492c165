"""Closing documents: счёт на оплату with the payment QR, УПД / акт / счёт-фактура from the sales journal,
corrections (УКД) and исправленные documents, акт сверки, numbering, access, and the monthly dispatch.

Importing this package registers its effect on the order state machine (documents issued when a company
order is realised or returned, after the journal posted it), on line refunds (a realised company order's УКД),
its payment effect (the счёт-фактура на аванс of a company order paid before it is realised) and its outbox
messages; the app factory imports it, so every entry point issues.
"""

from __future__ import annotations

import logging

from app.services.documents import dispatch as dispatch  # noqa: F401  (registers the outbox messages)
from app.services.documents.issuing import issue_advance_invoices, issue_order_documents
from app.services.documents.parties import SellerRequisitesMissing
from app.services.orders.lifecycle import REALISED_STATUSES, Payment, Transition, on_payment, on_status_change
from app.services.orders.refunds import LineRefund, on_line_refunded

log = logging.getLogger(__name__)


@on_status_change(order=30)
def issue_on_realisation(transition: Transition) -> None:
    """Company orders that became realised or stopped being so get their УПД (акт, счёт-фактура) or УКД."""
    ids = [c.order_id for c in transition.changes if (c.new in REALISED_STATUSES) != (c.old in REALISED_STATUSES)]
    if not ids:
        return
    try:
        issue_order_documents(transition.session, ids, actor=transition.actor)
    except SellerRequisitesMissing:
        # The status change stands; the monthly run (or staff) issues the documents once requisites are in.
        log.warning("documents not issued for orders %s: the shop's requisites are not filled in", ids)


@on_line_refunded(order=30)
def issue_on_line_refund(refund: LineRefund) -> None:
    """A line refunded from a realised company order: the journal corrected the sale, the УКД follows."""
    if refund.company_id is None or not refund.realised:
        return
    try:
        issue_order_documents(refund.session, [refund.order_id], actor=refund.actor)
    except SellerRequisitesMissing:
        log.warning("correction not issued for order %s: the shop's requisites are not filled in", refund.order_id)


@on_payment(order=40)
def issue_on_payment(payment: Payment) -> None:
    """Company orders paid before they are realised get their счёт-фактура на аванс (after the journal posted the
    payment, at order 20), whichever way the payment was recorded."""
    ids = [c.order_id for c in payment.changes if c.company_id is not None]
    if not ids:
        return
    try:
        issue_advance_invoices(payment.session, ids, actor=payment.actor)
    except SellerRequisitesMissing:
        # The payment stands; staff issue the invoice once the shop's requisites are filled in.
        log.warning("advance invoices not issued for orders %s: the shop's requisites are not filled in", ids)
