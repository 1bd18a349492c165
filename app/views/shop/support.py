"""«Поддержка» in the storefront: «Мои обращения», a new ticket (topic and order pre-filled from the order page),
the conversation with replies and files, «Вопрос решён» and the rating. Only for logged-in customers: a
visitor gets a page that says why, with links to log in or register, and every POST is refused."""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_security import current_user
from werkzeug.routing import BuildError

from app.extensions import db
from app.models import TicketTopic
from app.services.errors import DomainError, NotFound, PermissionDenied
from app.services.projects import projects
from app.services.support import attachments, reprint, tickets
from app.services.support.attachments import Upload
from app.views.common import act
from app.views.shop.files import send_stored

bp = Blueprint("support", __name__, url_prefix="/support")
# The order page offers «Сообщить о браке» for orders that have been printed.
bp.add_app_template_global(lambda order: order.status in reprint.PRINTED_STATUSES, "defect_reportable")


def customers_only(view):  # noqa: ANN001, ANN201
    """Visitors get the explanation (200 on the landing pages, 401 elsewhere and on every POST)."""

    @wraps(view)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not current_user.is_authenticated:
            landing = request.method == "GET" and request.endpoint in ("support.index", "support.new")
            return render_template("shop/support/login_required.html"), 200 if landing else 401
        return view(*args, **kwargs)

    return wrapper


def _ticket(ticket_id: int):  # noqa: ANN202
    try:
        return tickets.customer_ticket(db.session, ticket_id, current_user.id)
    except NotFound:
        abort(404)


def _uploads() -> list[Upload]:
    return [Upload(f.stream, f.filename or "file") for f in request.files.getlist("files") if f and f.filename]


@bp.get("/")
@customers_only
def index():
    return render_template(
        "shop/support/index.html",
        rows=tickets.customer_tickets(db.session, current_user.id),
        open_count=tickets.open_count(db.session, current_user.id),
        limits=tickets.limits(),
    )


def _confirm_url() -> str | None:
    """Where to ask for the confirmation email again (only when the shop confirms emails)."""
    try:
        return url_for("security.send_confirmation")
    except BuildError:
        return None


def _render_new(form: dict, *, error: DomainError | None = None, status: int = 200):  # noqa: ANN202
    return render_template(
        "shop/support/new.html",
        form=form,
        error=error,
        topics=list(TicketTopic),
        orders=tickets.order_choices(db.session, current_user.id),
        projects=projects.visible_projects(db.session, current_user.id),
        files_label=attachments.limits_label(),
        max_files=attachments.max_files(),
        confirm_needed=tickets.confirmation_required(current_user),
        confirm_url=_confirm_url(),
        open_count=tickets.open_count(db.session, current_user.id),
        limits=tickets.limits(),
    ), status


@bp.route("/new", methods=["GET", "POST"])
@customers_only
def new():
    if request.method == "GET":
        topic = request.args.get("topic", "")
        form = {
            "topic": topic if topic in TicketTopic._value2member_map_ else "",
            "order": request.args.get("order", "").strip(),
            "project_id": request.args.get("project", "").strip(),
            "subject": "",
            "body": "",
        }
        if form["order"] and not form["topic"]:
            form["topic"] = TicketTopic.order.value
        return _render_new(form)
    form = {k: request.form.get(k, "") for k in ("topic", "order", "project_id", "subject", "body")}
    outcome = act(
        lambda: tickets.open_ticket(
            db.session,
            customer=current_user,
            topic=form["topic"],
            subject=form["subject"],
            body=form["body"],
            order_number=form["order"],
            project_id=form["project_id"] or None,
            uploads=_uploads(),
        ),
        flash_error=False,
    )
    if (exc := outcome.error) is not None or (ticket := outcome.result) is None:
        return _render_new(form, error=exc, status=403 if isinstance(exc, PermissionDenied) else 400)
    flash(f"Обращение № {ticket.id} отправлено. Мы ответим в рабочее время — сообщим об ответе.", "success")
    return redirect(url_for(".show", ticket_id=ticket.id))


def _render_ticket(ticket, *, error: DomainError | None = None, body: str = "", status: int = 200):  # noqa: ANN001, ANN202
    return render_template(
        "shop/support/ticket.html",
        ticket=ticket,
        messages=tickets.public_messages(db.session, ticket),
        reopen_until=tickets.reopen_deadline(ticket),
        error=error,
        body=body,
        files_label=attachments.limits_label(),
        max_files=attachments.max_files(),
    ), status


@bp.get("/<int:ticket_id>")
@customers_only
def show(ticket_id: int):
    return _render_ticket(_ticket(ticket_id))


@bp.post("/<int:ticket_id>/reply")
@customers_only
def reply(ticket_id: int):
    ticket = _ticket(ticket_id)
    body = request.form.get("body", "")
    outcome = act(
        lambda: tickets.customer_reply(db.session, ticket, customer=current_user, body=body, uploads=_uploads()),
        flash_error=False,
    )
    if (exc := outcome.error) is not None or outcome.result is None:
        status = 403 if isinstance(exc, PermissionDenied) else 400
        return _render_ticket(_ticket(ticket_id), error=exc, body=body, status=status)
    written, _ = outcome.result
    if written.id != ticket_id:
        flash(
            f"Обращение № {ticket_id} закрыто давно, поэтому мы открыли новое — № {written.id}. Ваше сообщение в нём.",
            "info",
        )
    else:
        flash("Сообщение отправлено.", "success")
    return redirect(url_for(".show", ticket_id=written.id) + "#last")


@bp.post("/<int:ticket_id>/close")
@customers_only
def close(ticket_id: int):
    ticket = _ticket(ticket_id)
    act(
        lambda: tickets.close_by_customer(db.session, ticket, customer=current_user),
        success="Обращение закрыто. Оцените, пожалуйста, как мы помогли.",
    )
    return redirect(url_for(".show", ticket_id=ticket_id))


@bp.post("/<int:ticket_id>/rate")
@customers_only
def rate(ticket_id: int):
    ticket = _ticket(ticket_id)
    act(
        lambda: tickets.rate(
            db.session,
            ticket,
            customer=current_user,
            rating=request.form.get("rating", ""),
            comment=request.form.get("rating_comment", ""),
        ),
        success="Спасибо за оценку!",
    )
    return redirect(url_for(".show", ticket_id=ticket_id))


@bp.get("/<int:ticket_id>/files/<int:attachment_id>")
@customers_only
def download(ticket_id: int, attachment_id: int):
    try:
        stored = attachments.for_customer(
            db.session, ticket_id=ticket_id, attachment_id=attachment_id, customer_id=current_user.id
        )
        return send_stored(stored)
    except NotFound:
        abort(404)
