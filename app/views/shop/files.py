"""Downloads of uploaded layouts: only by their owner (or the anonymous cart that uploaded them)."""

from __future__ import annotations

from flask import Blueprint, abort, send_file

from app.extensions import db
from app.services import storage
from app.services.customers import files as customer_files
from app.services.errors import NotFound
from app.views.shop.helpers import cart_token, customer_id

bp = Blueprint("files", __name__, url_prefix="/files")


def send_stored(stored):  # noqa: ANN001, ANN201 - shared with the back office
    """Always as an attachment, never rendered inline by the browser."""
    response = send_file(
        storage.open_blob(stored),
        mimetype=stored.content_type,
        as_attachment=True,
        download_name=stored.original_name,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/<int:file_id>")
def download(file_id: int):
    try:
        stored = customer_files.file_for_customer(
            db.session, file_id, customer_id=customer_id(), cart_token=cart_token()
        )
        return send_stored(stored)
    except NotFound:
        abort(404)
