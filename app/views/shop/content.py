"""Storefront content: pages, news and promotions, images of published content, banner click redirects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, abort, g, redirect, render_template, request, send_file
from markupsafe import Markup

from app.extensions import db
from app.models import NewsKind
from app.services import storage
from app.services.content import banners as content_banners
from app.services.content import image_access as content_image_access
from app.services.content import news as content_news
from app.services.content import pages as content_pages
from app.services.errors import NotFound
from app.services.markup import sanitize_html
from app.services.shoptime import format_date_long, to_shop
from app.views.common import parse_id
from app.views.shop import caching

bp = Blueprint("content", __name__)

IMAGE_MAX_AGE = 300  # seconds: an image taken off the site stops being served soon after


@bp.app_template_filter("content_html")
def content_html(fragment: str | None) -> Markup:
    """Stored HTML is sanitised when saved; it is sanitised again here, on the way out."""
    return Markup(sanitize_html(fragment or ""))


@bp.app_template_filter("shop_date")
def shop_date(moment: datetime | None) -> str:
    """«5 декабря 2026 г.» in the shop's time zone."""
    return format_date_long(to_shop(moment).date()) if moment else ""


@bp.app_template_filter("promo_validity")
def promo_validity(promo) -> str:  # noqa: ANN001 - a PromoCode
    return content_news.promo_validity(promo)


@dataclass(frozen=True)
class MenuPage:
    slug: str
    title: str
    show_in_header: bool


def _menu() -> list[MenuPage]:
    return [MenuPage(p.slug, p.title, p.show_in_header) for p in content_pages.menu_pages(db.session)]


@bp.app_context_processor
def _site_pages() -> dict:
    def site_pages() -> list[MenuPage]:
        if "site_pages" not in g:
            g.site_pages = caching.fragment("menu", _menu)
        return g.site_pages

    return {"site_pages": site_pages}


@bp.get("/pages/<slug>")
def page(slug: str):
    try:
        found = content_pages.published_page(db.session, slug)
    except NotFound:
        abort(404)
    return render_template("shop/page.html", page=found, body=content_pages.page_html(found))


@bp.get("/news/")
def news():
    kind_arg = request.args.get("kind", "")
    kind = NewsKind(kind_arg) if kind_arg in NewsKind.__members__ else None
    number = parse_id(request.args.get("page", "1"))
    if number is None:
        abort(404)
    try:
        listing = content_news.published_items(db.session, kind=kind, page=number)
    except NotFound:
        abort(404)
    return render_template("shop/news_list.html", listing=listing, kind=kind)


@bp.get("/news/<slug>")
def news_item(slug: str):
    try:
        item = content_news.published_item(db.session, slug)
    except NotFound:
        abort(404)
    return render_template("shop/news_item.html", item=item)


@bp.get("/media/<int:image_id>/<variant>")
def media(image_id: int, variant: str):
    try:
        stored = content_image_access.public_image_file(db.session, image_id=image_id, variant=variant)
        path = storage.open_blob(stored)
    except NotFound:
        abort(404)
    response = send_file(path, mimetype=stored.content_type, max_age=IMAGE_MAX_AGE, conditional=True)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


@bp.get("/banners/<int:banner_id>/go")
def banner_click(banner_id: int):
    """Only ever to the banner's own stored link: the request names a banner, never a target."""
    try:
        link = content_banners.follow_banner(db.session, banner_id)
    except NotFound:
        abort(404)
    db.session.commit()
    return redirect(link, code=302)
