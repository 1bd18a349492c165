"""Storefront reviews: «Мои отзывы», writing and editing a review of a bought line, «полезно» votes, review
photos, and what the product page shows (summary, sorted reviews, rich-result data)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_security import auth_required, current_user

from app.extensions import db
from app.models import Order, Product
from app.services import storage
from app.services.errors import DomainError, NotFound
from app.services.reviews import photos, public, submission
from app.services.reviews.photos import PhotoUpload
from app.services.reviews.submission import ReviewInput
from app.views.common import act
from app.views.shop.helpers import customer_id

bp = Blueprint("reviews", __name__)

PUBLIC_PHOTO_MAX_AGE = 300  # seconds: a photo hidden by a moderator stops being served soon after


def _uploads() -> list[PhotoUpload]:
    return [PhotoUpload(f.stream, f.filename or "") for f in request.files.getlist("photos") if f and f.filename]


def _input() -> ReviewInput:
    return ReviewInput(
        rating=request.form.get("rating"),
        text=request.form.get("text", ""),
        name_only=bool(request.form.get("name_only")),
    )


def product_context(product: Product) -> dict:
    """What the product page needs about reviews (called by the product view)."""
    summary = public.rating_summary(db.session, product.id)
    listing = public.product_reviews(
        db.session,
        product_id=product.id,
        sort=request.args.get("sort", public.DEFAULT_SORT),
        with_photos=request.args.get("photos") == "1",
        page=request.args.get("rpage", 1, type=int) or 1,
    )
    cid = customer_id()
    url = url_for("catalog.product", slug=product.slug, _external=True)
    return {
        "review_summary": summary,
        "review_page": listing,
        "review_sorts": public.SORTS,
        "voted_ids": public.voted_ids(db.session, cid, (r.id for r in listing.reviews)),
        "lines_to_review": submission.lines_to_review(db.session, cid, product_id=product.id) if cid else [],
        "product_json_ld": public.product_json_ld(product, summary, url),
    }


@bp.app_template_global()
def review_links(order: Order) -> dict:
    """For «Заказ …»: each product line's review, or None when it may still be reviewed (realised orders only)."""
    return submission.order_line_reviews(db.session, order)


@bp.app_template_global()
def reviews_word(count: int) -> str:
    return public.reviews_word(count)


@bp.get("/account/reviews")
@auth_required()
def mine():
    return render_template(
        "shop/reviews/mine.html",
        lines=submission.lines_to_review(db.session, current_user.id),
        reviews=submission.customer_reviews(db.session, current_user.id),
    )


def _form(*, line=None, review=None, error=None, error_field=None, form=None, status=200):  # noqa: ANN001, ANN202
    values = form or {}
    if review is not None and form is None:
        values = {"rating": str(review.rating), "text": review.text, "name_only": review.name_only}
    return render_template(
        "shop/reviews/form.html",
        line=line,
        review=review,
        form=values,
        error=error,
        error_field=error_field,
        rating_locked=bool(review is not None and submission.rating_locked(review)),
        purchase=review.purchase_label if review is not None else submission.purchase_label(line),
        text_min=submission.TEXT_MIN_CHARS,
        text_max=submission.TEXT_MAX_CHARS,
        max_photos=photos.MAX_PHOTOS,
        photo_max_mb=photos.max_bytes() // (1024 * 1024),
    ), status


@bp.route("/account/reviews/new/<int:line_id>", methods=["GET", "POST"])
@auth_required()
def new(line_id: int):
    try:
        line = submission.reviewable_line(db.session, customer_id=current_user.id, line_id=line_id)
    except NotFound:
        abort(404)
    except DomainError as exc:
        flash(exc.message, "warning")
        return redirect(url_for(".mine"))
    if request.method == "GET":
        return _form(line=line)
    outcome = act(
        lambda: submission.submit_review(
            db.session,
            customer=current_user._get_current_object(),
            line_id=line_id,
            data=_input(),
            photo_uploads=_uploads(),
        ),
        success=lambda review: _submitted_message(review.state.value),
        flash_error=False,
    )
    if (err := outcome.error) is not None:
        return _form(line=line, error=err.message, error_field=err.field, form=request.form, status=400)
    return redirect(url_for(".mine"))


def _submitted_message(state: str) -> str:
    if state == "published":
        return "Спасибо! Отзыв опубликован."
    return "Спасибо! Отзыв отправлен на модерацию — обычно это занимает не больше суток."


def _own(review_id: int):  # noqa: ANN202
    try:
        return submission.own_review(db.session, customer_id=current_user.id, review_id=review_id)
    except NotFound:
        abort(404)


@bp.route("/account/reviews/<int:review_id>/edit", methods=["GET", "POST"])
@auth_required()
def edit(review_id: int):
    review = _own(review_id)
    if request.method == "GET":
        return _form(review=review)
    remove = [int(v) for v in request.form.getlist("remove_photo") if v.isdigit()]
    outcome = act(
        lambda: submission.edit_review(
            db.session,
            customer=current_user._get_current_object(),
            review_id=review_id,
            data=_input(),
            remove_photo_ids=remove,
            photo_uploads=_uploads(),
        ),
        flash_error=False,
    )
    if (err := outcome.error) is not None or outcome.result is None:
        message, field = (err.message, err.field) if err else ("", None)
        return _form(review=_own(review_id), error=message, error_field=field, form=request.form, status=400)
    review, changed = outcome.result
    if not changed:
        flash("Изменений нет.", "info")
    else:
        flash(_submitted_message(review.state.value), "success")
    return redirect(url_for(".mine"))


@bp.post("/reviews/<int:review_id>/helpful")
@auth_required()
def helpful(review_id: int):
    back = request.form.get("next", "")
    if not back.startswith("/") or back.startswith("//") or "\\" in back:
        back = url_for("catalog.home")
    act(
        lambda: public.vote_helpful(db.session, customer=current_user._get_current_object(), review_id=review_id),
        missing_is_404=True,
    )
    return redirect(f"{back}#review-{review_id}")


@bp.get("/reviews/photos/<int:photo_id>/<size>")
def photo(photo_id: int, size: str):
    try:
        stored, is_public = photos.public_photo(db.session, photo_id=photo_id, size=size, customer_id=customer_id())
        path = storage.open_blob(stored)
    except NotFound:
        abort(404)
    response = send_file(path, mimetype=stored.content_type, max_age=PUBLIC_PHOTO_MAX_AGE if is_public else 0)
    if not is_public:
        response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
