"""«Мои проекты»: saved projects (personal and of my companies) — list with thumbnails, reorder in one click,
rename, duplicate, delete, replace the layout; saving a project from a cart line or an order line."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_security import auth_required, current_user

from app.extensions import db
from app.services import storage
from app.services.companies import members
from app.services.errors import DomainError, NotFound, PermissionDenied
from app.services.layouts import preflight, thumbnails
from app.services.money import format_money
from app.services.orders import lookup
from app.services.projects import projects
from app.views.shop.files import send_stored
from app.views.shop.helpers import current_cart

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


def _finish(action, success: str, target: str):  # noqa: ANN001, ANN202
    try:
        result = action()
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(target)
    flash(success.format(result=result), "success")
    return redirect(target)


@bp.post("/<int:project_id>/rename")
@auth_required()
def rename(project_id: int):
    project = _project(project_id, manage=True)
    return _finish(
        lambda: projects.rename(db.session, project, name=request.form.get("name", "")),
        "Проект переименован.",
        url_for(".show", project_id=project_id),
    )


@bp.post("/<int:project_id>/duplicate")
@auth_required()
def duplicate(project_id: int):
    project = _project(project_id, manage=True)
    try:
        copy = projects.duplicate(db.session, project, customer=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for(".show", project_id=project_id))
    flash(f"Создана копия «{copy.name}».", "success")
    return redirect(url_for(".show", project_id=copy.id))


@bp.route("/<int:project_id>/delete", methods=["GET", "POST"])
@auth_required()
def delete(project_id: int):
    project = _project(project_id, manage=True)
    if request.method == "GET":
        return render_template("shop/project_delete.html", project=project)
    name = project.name
    projects.delete(db.session, project)
    db.session.commit()
    flash(f"Проект «{name}» удалён. Прошлые заказы не изменились.", "success")
    return redirect(url_for(".index"))


@bp.post("/<int:project_id>/replace")
@auth_required()
def replace(project_id: int):
    project = _project(project_id, manage=True)
    upload = request.files.get("layout")
    if not upload or not upload.filename:
        flash("Выберите новый файл макета.", "danger")
        return redirect(url_for(".show", project_id=project_id))
    return _finish(
        lambda: projects.replace_file(
            db.session, project, stream=upload.stream, filename=upload.filename, customer=current_user
        ),
        "Загружена версия {result.number} макета. Прежние версии сохранены.",
        url_for(".show", project_id=project_id),
    )


@bp.post("/<int:project_id>/reorder")
@auth_required()
def reorder(project_id: int):
    project = _project(project_id)
    try:
        result = projects.reorder(db.session, project, cart=current_cart(create=True), customer=current_user)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(request.referrer or url_for(".show", project_id=project_id))
    flash(f"«{project.name}» добавлен в корзину.", "success")
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
    try:
        project = projects.save_from_cart_item(
            db.session,
            cart,
            item_id,
            customer=current_user,
            name=request.form.get("name", ""),
            company_id=request.form.get("company_id", ""),
        )
        db.session.commit()
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("cart.show"))
    flash(f"Проект «{project.name}» сохранён — его можно заказать повторно в «Мои проекты».", "success")
    return redirect(url_for("cart.show"))


@bp.post("/from-order/<number>/<int:line_id>")
@auth_required()
def from_order(number: str, line_id: int):
    try:
        order = lookup.customer_order(db.session, current_user.id, number)
        project = projects.save_from_order_line(
            db.session,
            order,
            line_id,
            customer=current_user,
            name=request.form.get("name", ""),
            company_id=request.form.get("company_id", ""),
        )
        db.session.commit()
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("account.order", number=number))
    flash(f"Проект «{project.name}» сохранён.", "success")
    return redirect(url_for(".show", project_id=project.id))


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
