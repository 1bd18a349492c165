"""Back-office reviews: the moderation queue with filters, the review page (preview exactly as on the site,
approve / reject with a reason, public reply, pin, hide a photo, the log), mass approve / reject with a result
per review, the review settings and the moderation figures."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, g, make_response, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from app.extensions import db
from app.models.reviews import FlagRule, RejectReason, Review, ReviewFlag, ReviewPhoto, ReviewState
from app.reports import reviews as review_report
from app.services import storage
from app.services.actors import Actor
from app.services.errors import NotFound
from app.services.reviews import moderation, photos, settings
from app.services.shoptime import shop_today
from app.views.admin.base import ShopInterface, ShopModelView, dt_cell, enum_select
from app.views.common import act, report_period

EXCERPT_CHARS = 140


class FilterFlagRule(BaseFilter):
    """Reviews the automatic rules held: by any rule, or by one."""

    name = "задержан правилом"
    arg_name = "flag_rule"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        if value == "any":
            return query.filter(Review.flags.any())
        if value == "none":
            return query.filter(~Review.flags.any())
        if value in FlagRule._value2member_map_:
            return query.filter(Review.flags.any(ReviewFlag.rule == FlagRule(value)))
        return query


class FilterHasPhotos(BaseFilter):
    name = "фото"
    arg_name = "has_photos"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        if value == "yes":
            return query.filter(Review.photo_count > 0)
        if value == "no":
            return query.filter(Review.photo_count == 0)
        return query


def stars_cell(value: int | None) -> Markup:
    if not value:
        return Markup("")
    on = Markup('<span class="stars-on text-nowrap" title="%s из 5">%s</span>') % (value, "★" * value)
    return on + Markup('<span class="stars-off">%s</span>') % ("★" * (5 - value))


def excerpt_cell(value: str | None) -> str:
    text = " ".join((value or "").split())
    return text if len(text) <= EXCERPT_CHARS else text[: EXCERPT_CHARS - 1] + "…"


def flags_cell(value) -> Markup:  # noqa: ANN001 - the review's flags
    if not value:
        return Markup('<span class="text-muted">—</span>')
    return Markup(" ").join(
        Markup('<span class="label label-warning" title="%s">%s</span>') % (flag.detail, flag.rule.label)
        for flag in value
    )


STATE_LABELS = {"pending": "label-info", "published": "label-success", "rejected": "label-danger"}


def state_cell(value) -> Markup:  # noqa: ANN001
    state = ReviewState(value)
    return Markup('<span class="label %s">%s</span>') % (STATE_LABELS[state.value], state.label)


class ReviewView(ShopModelView):
    datamodel = ShopInterface(
        Review,
        extra_filters={"flags": [FilterFlagRule], "photos": [FilterHasPhotos]},
        list_loads=[selectinload(Review.product), selectinload(Review.flags)],
    )
    list_title = "Отзывы"
    show_title = "Отзыв"
    list_template = "admin/reviews/list.html"
    base_permissions = ["can_list", "can_show", "can_moderate"]
    method_permission_name = {
        "approve_action": "moderate",
        "reject_action": "moderate",
        "reject_many": "moderate",
        "decide": "moderate",
        "reply": "moderate",
        "pin": "moderate",
        "hide_photo": "moderate",
        "preview": "show",
        "photo": "show",
    }
    list_columns = ["submitted_at", "product", "rating", "state", "flags", "photo_count", "author_name", "text"]
    search_columns = ["state", "rating", "product", "flags", "photos", "submitted_at", "author_name", "text"]
    order_columns = ["submitted_at", "rating", "state", "photo_count", "author_name"]
    label_columns = {
        "submitted_at": "Отправлен",
        "product": "Товар",
        "rating": "Оценка",
        "state": "Состояние",
        "flags": "Правила",
        "photos": "Фото",
        "photo_count": "Фото",
        "author_name": "Автор",
        "text": "Текст",
    }
    search_form_extra_fields = {
        "state": enum_select(ReviewState, "Состояние"),
        "flags": SelectField(
            "Правила",
            choices=[("any", "любым правилом"), ("none", "не задержан")] + [(r.value, r.label) for r in FlagRule],
        ),
        "photos": SelectField("Фото", choices=[("yes", "есть"), ("no", "нет")]),
    }
    formatters_columns = {
        "submitted_at": dt_cell,
        "rating": stars_cell,
        "state": state_cell,
        "flags": flags_cell,
        "photo_count": lambda v: v or "—",
        "text": excerpt_cell,
        "product": lambda v: v.name if v else "",
    }
    base_order = ("submitted_at", "desc")
    page_size = 50

    # --- helpers ------------------------------------------------------------------------------------

    def _actor(self) -> Actor:
        return Actor.staff(g.user)

    def _review(self, pk: int) -> Review:
        review = db.session.scalar(
            db.select(Review)
            .where(Review.id == pk)
            .options(
                selectinload(Review.photos),
                selectinload(Review.flags),
                selectinload(Review.events),
            )
        )
        if review is None:
            abort(404)
        return review

    def _result_page(self, report: moderation.ModerationReport):  # noqa: ANN202
        return self.render_template("admin/reviews/result.html", report=report, title="Результат модерации")

    # --- list actions -------------------------------------------------------------------------------

    @action("approve_action", "Опубликовать", "Опубликовать выбранные отзывы?", "fa-check", multiple=True)
    def approve_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        outcome = act(
            lambda: moderation.approve(
                db.session, review_ids=[item.id for item in items if item is not None], actor=self._actor()
            )
        )
        if outcome.result is None:
            return redirect(url_for(".list"))
        return self._result_page(outcome.result)

    @action("reject_action", "Отклонить…", None, "fa-ban", multiple=True)
    def reject_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        ids = ",".join(str(item.id) for item in items if item is not None)
        return redirect(url_for(".reject_many", ids=ids))

    @expose("/reject", methods=["GET", "POST"])
    @has_access
    def reject_many(self):  # noqa: ANN201
        ids = moderation.parse_ids([request.values.get("ids", "")])
        found = list(db.session.scalars(db.select(Review).where(Review.id.in_(ids)).order_by(Review.id)))
        if not found:
            flash("Не выбрано ни одного отзыва.", "danger")
            return redirect(url_for(".list"))
        error = None
        if request.method == "POST":
            outcome = act(
                lambda: moderation.reject(
                    db.session,
                    review_ids=ids,
                    actor=self._actor(),
                    reason=request.form.get("reason", ""),
                    comment=request.form.get("comment", ""),
                ),
                flash_error=False,
            )
            if outcome.result is not None:
                return self._result_page(outcome.result)
            error = outcome.error.message if outcome.error else None
        return self.render_template(
            "admin/reviews/reject.html",
            reviews=found,
            ids=",".join(str(r.id) for r in found),
            reasons=list(RejectReason),
            chosen=request.form.get("reason", ""),
            comment=request.form.get("comment", ""),
            error=error,
            title="Отклонить отзывы",
        ), (400 if error else 200)

    # --- one review ---------------------------------------------------------------------------------

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):  # noqa: ANN001, ANN201
        try:
            review = self._review(int(pk))
        except ValueError:
            abort(404)
        return self.render_template(
            "admin/reviews/show.html",
            review=review,
            reasons=list(RejectReason),
            can_moderate=self._can("can_moderate"),
            field_labels=moderation.FIELD_LABELS,
            state_label=moderation.state_label,
            title=f"Отзыв №{review.id}",
        )

    @expose("/preview/<int:pk>")
    @has_access
    def preview(self, pk: int):  # noqa: ANN201
        """The review exactly as the product page renders it (the same macro and the shop's styles)."""
        review = self._review(pk)
        response = make_response(self.render_template("admin/reviews/preview.html", review=review))
        # Shown in a frame of the review page only.
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
        response.headers["Content-Security-Policy"] = (
            "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'self'; base-uri 'none'"
        )
        return response

    @expose("/photo/<int:photo_id>/<size>")
    @has_access
    def photo(self, photo_id: int, size: str):  # noqa: ANN201
        try:
            stored = photos.staff_photo(db.session, photo_id=photo_id, size=size)
            path = storage.open_blob(stored)
        except NotFound:
            abort(404)
        response = send_file(path, mimetype=stored.content_type, max_age=0)
        response.headers["Cache-Control"] = "private, no-store"
        response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response

    @expose("/decide/<int:pk>", methods=["POST"])
    @has_access
    def decide(self, pk: int):  # noqa: ANN201
        self._review(pk)
        decision = request.form.get("decision", "")
        if decision == "approve":
            run = lambda: moderation.approve(db.session, review_ids=[pk], actor=self._actor())  # noqa: E731
        elif decision == "reject":
            run = lambda: moderation.reject(  # noqa: E731
                db.session,
                review_ids=[pk],
                actor=self._actor(),
                reason=request.form.get("reason", ""),
                comment=request.form.get("comment", ""),
            )
        else:
            abort(400)
        done = act(run)
        if done.result is None:
            return redirect(url_for(".show", pk=pk))
        outcome = done.result.outcomes[0]
        flash(f"Отзыв {outcome.title}: {outcome.message}.", "success" if outcome.changed else "warning")
        return redirect(url_for(".show", pk=pk))

    def _simple(self, pk: int, run, done: str):  # noqa: ANN001, ANN202
        self._review(pk)
        act(run, success=done, missing_is_404=True)
        return redirect(url_for(".show", pk=pk))

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk: int):  # noqa: ANN201
        text = request.form.get("reply", "")
        return self._simple(
            pk,
            lambda: moderation.reply(db.session, review_id=pk, actor=self._actor(), text=text),
            "Ответ сохранён." if text.strip() else "Ответ удалён.",
        )

    @expose("/pin/<int:pk>", methods=["POST"])
    @has_access
    def pin(self, pk: int):  # noqa: ANN201
        pinned = request.form.get("pinned") == "1"
        return self._simple(
            pk,
            lambda: moderation.set_pinned(db.session, review_id=pk, actor=self._actor(), pinned=pinned),
            "Отзыв закреплён." if pinned else "Отзыв откреплён.",
        )

    @expose("/photo/<int:photo_id>/hide", methods=["POST"])
    @has_access
    def hide_photo(self, photo_id: int):  # noqa: ANN201
        photo = db.session.get(ReviewPhoto, photo_id)
        if photo is None:
            abort(404)
        hidden = request.form.get("hidden") == "1"
        return self._simple(
            photo.review_id,
            lambda: moderation.set_photo_hidden(db.session, photo_id=photo_id, actor=self._actor(), hidden=hidden),
            "Фото скрыто." if hidden else "Фото снова показывается.",
        )


class ReviewSettingsView(BaseView):
    """Auto-publication and the invitation delay; the page says the rules never look at the rating."""

    default_view = "index"
    method_permission_name = {"index": "list", "save": "edit"}
    base_permissions = ["can_list", "can_edit"]

    @expose("/")
    @has_access
    def index(self):  # noqa: ANN201
        return self.render_template(
            "admin/reviews/settings.html",
            settings=settings.current(db.session),
            can_edit=self.appbuilder.sm.has_access("can_edit", self.class_permission_name),
            rules=list(FlagRule),
            title="Настройки отзывов",
        )

    @expose("/save", methods=["POST"])
    @has_access
    def save(self):  # noqa: ANN201
        act(
            lambda: settings.save(
                db.session,
                auto_publish=request.form.get("auto_publish") == "1",
                invite_after_days=request.form.get("invite_after_days", ""),
                actor=Actor.staff(g.user),
            ),
            success="Настройки отзывов сохранены.",
        )
        return redirect(url_for(".index"))


class ReviewFiguresView(BaseView):
    """Moderation figures for the manager."""

    default_view = "index"
    method_permission_name = {"index": "list"}
    base_permissions = ["can_list"]

    @expose("/")
    @has_access
    def index(self):  # noqa: ANN201
        start, end = report_period(
            request.args,
            today=shop_today(),
            default_start=lambda end: end - timedelta(weeks=12) + timedelta(days=1),
            max_days=3 * 366,
        )
        grouping = request.args.get("grouping", "week")
        figures = review_report.review_figures(db.session, start=start, end=end, grouping=grouping)
        return self.render_template(
            "admin/reviews/figures.html",
            figures=figures,
            groupings=review_report.GROUPINGS,
            format_wait=review_report.format_wait,
            title="Отзывы: показатели модерации",
        )
