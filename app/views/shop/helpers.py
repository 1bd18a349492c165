"""Request helpers of the storefront: the current cart, the current customer id, where a request came from."""

from __future__ import annotations

from flask import request, session
from flask_security import current_user

from app.extensions import db
from app.models import Cart
from app.services.messaging import subscriptions
from app.services.orders import cart as cart_service


def customer_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def current_cart(create: bool = False) -> Cart | None:
    """The customer's cart, or the anonymous one named in the session (created on demand)."""
    cid = customer_id()
    token = session.get("cart_token")
    if not create:
        return cart_service.find_cart(db.session, token=token, customer_id=cid)
    cart = cart_service.get_or_create_cart(db.session, token=token, customer_id=cid)
    if cid is None:
        session["cart_token"] = cart.token
    return cart


def cart_token() -> str | None:
    return session.get("cart_token")


def origin() -> subscriptions.Origin:
    """The IP address and browser of this request, for the consent log."""
    return subscriptions.Origin(ip=request.remote_addr or "", user_agent=request.user_agent.string or "")
