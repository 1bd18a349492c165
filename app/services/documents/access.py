"""Who may see which document on the storefront: a company's owner and accountant see all of its documents, a
buyer those of the orders they placed, a private customer those of their own orders; nobody else any."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import CompanyMember, Customer, Document, MemberRole, Order
from app.services.errors import NotFound

SEEING_ALL = (MemberRole.owner, MemberRole.accountant)


def visible_filter(customer_id: int) -> sa.ColumnElement[bool]:
    companies = sa.select(CompanyMember.company_id).where(
        CompanyMember.customer_id == customer_id, CompanyMember.role.in_(SEEING_ALL)
    )
    own_orders = sa.select(Order.id).where(Order.customer_id == customer_id)
    return sa.or_(Document.company_id.in_(companies), Document.order_id.in_(own_orders))


def customer_documents(session: Session, customer: Customer, *, company_id: int | None = None) -> list[Document]:
    """The documents the customer may see, newest first (of one company when `company_id` is given)."""
    query = sa.select(Document).where(visible_filter(customer.id)).order_by(Document.day.desc(), Document.id.desc())
    if company_id is not None:
        query = query.where(Document.company_id == company_id)
    return list(session.scalars(query))


def order_documents_for_customer(session: Session, customer: Customer, order_id: int) -> list[Document]:
    query = sa.select(Document).where(Document.order_id == order_id, visible_filter(customer.id)).order_by(Document.id)
    return list(session.scalars(query))


def document_for_customer(session: Session, customer: Customer, document_id: int) -> Document:
    """The document if the customer may see it; NotFound otherwise (the same answer as for a missing one)."""
    document = session.scalar(sa.select(Document).where(Document.id == document_id, visible_filter(customer.id)))
    if document is None:
        raise NotFound("Документ не найден.")
    return document
