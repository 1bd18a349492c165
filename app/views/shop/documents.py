"""Documents in the storefront: a company's documents page, a document's PDF, a private order's confirmation.
What a customer may see is decided by `app.services.documents.access`; anything else is 404."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template
from flask_security import auth_required, current_user

from app.extensions import db
from app.models import Document
from app.services.companies import members as company_members
from app.services.documents import access, issuing
from app.services.errors import DomainError, NotFound, PermissionDenied
from app.services.orders import lookup

bp = Blueprint("documents", __name__)


def _pdf(data: bytes, filename: str) -> Response:
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/companies/<int:company_id>/documents")
@auth_required()
def company_documents(company_id: int):
    try:
        company = company_members.company_for_member(db.session, company_id, current_user.id)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)
    member = company_members.membership(db.session, company.id, current_user.id)
    documents = access.customer_documents(db.session, current_user, company_id=company.id)
    return render_template(
        "shop/company_documents.html",
        company=company,
        documents=documents,
        sees_all=member is not None and member.role in access.SEEING_ALL,
    )


@bp.get("/documents/<int:document_id>")
@auth_required()
def download(document_id: int):
    try:
        document: Document = access.document_for_customer(db.session, current_user, document_id)
    except NotFound:
        abort(404)
    return _pdf(issuing.pdf_bytes(document), document.filename)


@bp.get("/account/orders/<number>/confirmation.pdf")
@auth_required()
def confirmation(number: str):
    try:
        order = lookup.customer_order(db.session, current_user.id, number)
    except NotFound:
        abort(404)
    try:
        data = issuing.order_confirmation(db.session, order)
    except DomainError:
        abort(404)
    return _pdf(data, f"zakaz-{order.number}.pdf")
