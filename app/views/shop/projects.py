"""«Мои проекты»: saved projects (personal and of my companies) — list with thumbnails, reorder in one click,
rename, duplicate, delete, replace the layout; saving a project from a cart line or an order line."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_security import auth_required, current_user

from app.extensions import db
from app.models import Cart
from app.services import storage
from app.services.companies import members
from app.services.errors import NotFound, PermissionDenied
from app.services.layouts import preflight, thumbnails
from app.services.money import format_money
from app.services.orders import lookup
from app.services.projects import projects
from app.views.common import act, form_error, same_site_referrer
from app.views.shop.files import send_stored
from app.views.shop.forms import LayoutForm, ProjectNameForm, SaveProjectForm
from app.views.shop.helpers import current_cart


def _cart() -> Cart:
    cart = current_cart(create=True)
    assert cart is not None  # created on demand
    return cart


bp = Blueprint("projects", __name__, url_prefix="/account/projects")


def _project(project_id: int, *, manage: bool = False):  # noqa: ANN202
    try:
        return projects.project_for_customer(db.session, project_id, current_user.id, manage=manage)
    except NotFound:
        abort(404)
    except PermissionDenied:
        abort(403)


bp.add_app_template_global(preflight.status_label, "preflight_label")  # macros are imported without context


@bp.get("/")
@auth_required()
def index():
    return render_template(
        "shop/projects.html",
        projects=projects.visible_projects(db.session, current_user.id),
    )


@bp.get("/<int:project_id>")
@auth_required()
def show(project_id: int):
    project = _project(project_id)
    member = members.membership(db.session, project.company_id, current_user.id) if project.company_id else None
    can_manage = project.company_id is None or members.can(member, "manage_projects")
    return render_template(
        "shop/project.html",
        project=project,
        can_manage=can_manage,
        accepted=storage.ACCEPTED_LABEL,
        max_mb=current_app.config["UPLOAD_MAX_BYTES"] // (1024 * 1024),
    )


def _thumbnail_response(version):  # noqa: ANN001, ANN202
    path = thumbnails.thumbnail(version.file) if version is not None else None
    if path is None:
        abort(404)
    response = send_file(path, mimetype="image/png", max_age=3600)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.get("/<int:project_id>/thumbnail.png")
@auth_required()
def thumbnail(project_id: int):
    return _thumbnail_response(_project(project_id).current_version)


@bp.get("/<int:project_id>/versions/<int:number>/thumbnail.png")
@auth_required()
def version_thumbnail(project_id: int, number: int):
    try:
        return _thumbnail_response(projects.version_of(_project(project_id), number))
    except NotFound:
        abort(404)


@bp.get("/<int:project_id>/versions/<int:number>/file")
@auth_required()
def version_file(project_id: int, number: int):
    try:
        return send_stored(projects.version_of(_project(project_id), number).file)
    except NotFound:
        abort(404)


@bp.post("/<int:project_id>/rename")
@auth_required()
def rename(project_id: int):
    project = _project(project_id, manage=True)
    form = ProjectNameForm()
    if form.validate():
        act(lambda: projects.rename(db.session, project, name=form.name.data or ""), success="Проект переименован.")
    else:
        flash(form_error(form), "danger")
    return redirect(url_for(".show", project_id=project_id))


@bp.post("/<int:project_id>/duplicate")
@auth_required()
def duplicate(project_id: int):
    project = _project(project_id, manage=True)
    outcome = act(
        lambda: projects.duplicate(db.session, project, customer=current_user),
        success=lambda copy: f"Создана копия «{copy.name}».",
    )
    return redirect(url_for(".show", project_id=outcome.result.id if outcome.result else project_id))


@bp.route("/<int:project_id>/delete", methods=["GET", "POST"])
@auth_required()
def delete(project_id: int):
    project = _project(project_id, manage=True)
    if request.method == "GET":
        return render_template("shop/project_delete.html", project=project)
    act(
        lambda: projects.delete(db.session, project),
        success=f"Проект «{project.name}» удалён. Прошлые заказы не изменились.",
    )
    return redirect(url_for(".index"))


@bp.post("/<int:project_id>/replace")
@auth_required()
def replace(project_id: int):
    project = _project(project_id, manage=True)
    form = LayoutForm()
    upload = form.layout.data if form.validate() else None
    if not upload or not upload.filename:
        flash("Выберите новый файл макета.", "danger")
        return redirect(url_for(".show", project_id=project_id))
    act(
        lambda: projects.replace_file(
            db.session, project, stream=upload.stream, filename=upload.filename, customer=current_user
        ),
        success=lambda version: f"Загружена версия {version.number} макета. Прежние версии сохранены.",
    )
    return redirect(url_for(".show", project_id=project_id))


@bp.post("/<int:project_id>/reorder")
@auth_required()
def reorder(project_id: int):
    project = _project(project_id)
    outcome = act(
        lambda: projects.reorder(db.session, project, cart=_cart(), customer=current_user),
        success=f"«{project.name}» добавлен в корзину.",
    )
    result = outcome.result
    if result is None:
        return redirect(same_site_referrer() or url_for(".show", project_id=project_id))
    if result.price_changed:
        flash(
            f"Цена изменилась: в прошлый раз {format_money(result.old_price)}, "
            f"сейчас {format_money(result.new_price)}.",
            "info",
        )
    for problem in result.problems:
        flash(problem, "warning")
    if result.rechecked:
        flash(f"Формат изменился — макет проверен заново: {preflight.status_label(result.item.preflight)}.", "info")
    return redirect(url_for("cart.show"))


def _scope_choices() -> list:
    return [
        m.company
        for m in members.customer_memberships(db.session, current_user.id)
        if members.can(m, "manage_projects")
    ]


@bp.post("/from-cart/<int:item_id>")
@auth_required()
def from_cart(item_id: int):
    cart = current_cart()
    if cart is None:
        abort(404)
    form = SaveProjectForm()
    if not form.validate():
        flash(form_error(form), "danger")
        return redirect(url_for("cart.show"))
    act(
        lambda: projects.save_from_cart_item(
            db.session, cart, item_id, customer=current_user, name=form.name.data or "", company_id=form.company_value
        ),
        success=lambda project: f"Проект «{project.name}» сохранён — его можно заказать повторно в «Мои проекты».",
        missing_is_404=True,
    )
    return redirect(url_for("cart.show"))


@bp.post("/from-order/<number>/<int:line_id>")
@auth_required()
def from_order(number: str, line_id: int):
    form = SaveProjectForm()
    if not form.validate():
        flash(form_error(form), "danger")
        return redirect(url_for("account.order", number=number))
    outcome = act(
        lambda: projects.save_from_order_line(
            db.session,
            lookup.customer_order(db.session, current_user.id, number),
            line_id,
            customer=current_user,
            name=form.name.data or "",
            company_id=form.company_value,
        ),
        success=lambda project: f"Проект «{project.name}» сохранён.",
        missing_is_404=True,
    )
    if outcome.result is None:
        return redirect(url_for("account.order", number=number))
    return redirect(url_for(".show", project_id=outcome.result.id))


@bp.app_context_processor
def _scopes() -> dict:
    """Where the current customer may save a project: personally, or in a company they manage projects of."""
    return {
        "project_scopes": lambda: (
            members.companies_with_right(db.session, current_user.id, "manage_projects")
            if current_user.is_authenticated
            else []
        )
    }
