"""Which customer may download which stored file: their own uploads, their orders' and projects' layouts, and
by role the files of their companies' orders and projects. Everyone else gets NotFound."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import OrderLine, Project, ProjectVersion, StoredFile
from app.models.orders import Order
from app.services.companies import members
from app.services.errors import NotFound

ACCEPTED_LABEL = "PDF, PNG, JPEG, TIFF, AI, EPS, PSD, CDR"
CHUNK = 1024 * 1024


def customer_can_read(session: Session, stored: StoredFile, *, customer_id: int | None, cart_token: str | None) -> bool:
    if customer_id is not None and stored.customer_id == customer_id:
        return True
    if cart_token and stored.customer_id is None and stored.cart_token == cart_token:
        return True
    if customer_id is None:
        return False
    on_own_order = session.scalar(
        sa.select(sa.func.count())
        .select_from(OrderLine)
        .join(Order)
        .where(OrderLine.layout_file_id == stored.id, Order.customer_id == customer_id)
    )
    return bool(on_own_order) or _shared_with_customer(session, stored, customer_id)


def _shared_with_customer(session: Session, stored: StoredFile, customer_id: int) -> bool:
    """Company members read the files of company-wide projects, and (by role) of the company's orders."""
    members_of = members.company_ids_with(customer_id, frozenset(members.ROLE_RIGHTS))
    in_project = session.scalar(
        sa.select(sa.func.count())
        .select_from(ProjectVersion)
        .join(Project)
        .where(
            ProjectVersion.file_id == stored.id,
            sa.or_(Project.customer_id == customer_id, Project.company_id.in_(members_of)),
        )
    )
    if in_project:
        return True
    on_company_order = session.scalar(
        sa.select(sa.func.count())
        .select_from(OrderLine)
        .join(Order)
        .where(
            OrderLine.layout_file_id == stored.id,
            Order.company_id.in_(members.company_ids_with(customer_id, members.ORDER_VIEW_ROLES)),
        )
    )
    return bool(on_company_order)


def file_for_customer(session: Session, file_id: int, *, customer_id: int | None, cart_token: str | None) -> StoredFile:
    """The file if this customer (or this anonymous cart) may download it; NotFound otherwise."""
    stored = session.get(StoredFile, file_id)
    if stored is None or not customer_can_read(session, stored, customer_id=customer_id, cart_token=cart_token):
        raise NotFound("Файл не найден.")
    return stored


def claim_cart_files(session: Session, *, cart_token: str, customer_id: int) -> None:
    """After login, files uploaded anonymously from this cart become the customer's."""
    session.execute(
        sa.update(StoredFile)
        .where(StoredFile.cart_token == cart_token, StoredFile.customer_id.is_(None))
        .values(customer_id=customer_id, cart_token=None)
    )
