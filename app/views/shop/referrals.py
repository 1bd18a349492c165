"""«Пригласить друга»: the customer's link with copy and share buttons and a QR code, the invited friends; the
link itself (`/r/<code>`), which shows the friend's reward and keeps the code in a cookie until registration."""

from __future__ import annotations

import io
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_security import auth_required, current_user

from app.extensions import db
from app.models import Customer
from app.services.referrals import programme
from app.services.referrals import settings as referral_settings

bp = Blueprint("referrals", __name__)
COOKIE = "ref"


def link_for(code: str) -> str:
    return url_for("referrals.landing", code=code, _external=True)


@bp.get("/r/<code>")
def landing(code: str):
    rules = referral_settings.current(db.session)
    row = programme.find_code(db.session, code) if rules.enabled else None
    if row is None:
        return render_template("shop/referral_landing.html", valid=False), 404
    own = current_user.is_authenticated and current_user.id == row.customer_id
    signed_in = current_user.is_authenticated
    if not signed_in and request.cookies.get(COOKIE) != row.code:  # a reload is not another invitation
        programme.count_visit(db.session, row)
        db.session.commit()
    response = Response(
        render_template(
            "shop/referral_landing.html",
            valid=True,
            name=programme.first_name(row.customer),
            offer=rules.friend_offer,
            signed_in=signed_in,
            own=own,
        )
    )
    if not signed_in:  # the last link opened before registration wins
        response.set_cookie(
            COOKIE,
            row.code,
            max_age=rules.cookie_days * 86400,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.app_context_processor
def _registration_offer() -> dict:
    """The registration page reminds a visitor who came by a link of their reward."""
    if request.endpoint != "security.register" or not request.cookies.get(COOKIE):
        return {}
    rules = referral_settings.current(db.session)
    row = programme.find_code(db.session, request.cookies[COOKIE]) if rules.enabled else None
    if row is None:
        return {}
    return {"referral_offer": rules.friend_offer, "referral_name": programme.first_name(row.customer)}


def attach_on_registration(_app, user: Customer, **_kwargs) -> None:  # noqa: ANN001
    """Flask-Security's user_registered: the link's code from the cookie becomes the friend's referral."""
    code = request.cookies.get(COOKIE, "")
    if not code:
        return
    db.session.flush()  # the new account's id
    programme.attach(db.session, friend=user, code=code, ip=request.remote_addr or "")


@bp.get("/account/invite")
@auth_required()
def invite():
    rules = referral_settings.current(db.session)
    code = programme.code_for(db.session, current_user.id)
    db.session.commit()
    link = link_for(code)
    text = f"Печатаю в этой типографии — по моей ссылке у тебя {rules.friend_offer}: {link}"
    share = {
        "Telegram": f"https://t.me/share/url?url={quote(link, safe='')}&text={quote(text, safe='')}",
        "WhatsApp": f"https://wa.me/?text={quote(text, safe='')}",
        "ВКонтакте": f"https://vk.com/share.php?url={quote(link, safe='')}",
        "Почта": f"mailto:?subject={quote('Приглашение в типографию')}&body={quote(text)}",
    }
    return render_template(
        "shop/referral_invite.html",
        rules=rules,
        link=link,
        share=share,
        friends=programme.invited_friends(db.session, current_user.id),
    )


@bp.get("/account/invite/qr.<fmt>")
@auth_required()
def qr(fmt: str):
    if fmt not in ("svg", "png"):
        abort(404)
    link = link_for(programme.code_for(db.session, current_user.id))
    db.session.commit()
    buffer = io.BytesIO()
    import segno  # here: only this page and the documents draw QR codes

    code = segno.make_qr(link, error="m")
    if fmt == "svg":
        code.save(buffer, kind="svg", scale=8, border=2, xmldecl=True)
        mimetype = "image/svg+xml"
    else:
        code.save(buffer, kind="png", scale=10, border=2)
        mimetype = "image/png"
    response = Response(buffer.getvalue(), mimetype=mimetype)
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="priglashenie-qr.{fmt}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
