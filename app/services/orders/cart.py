"""The cart: find or create it, add and change items (each checked by the price quote), merge at login."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import Cart, CartItem, Product, StoredFile
from app.services.catalog import products
from app.services.customers import files as customer_files
from app.services.errors import NotFound, ValidationError
from app.services.layouts import preflight
from app.services.money import ZERO

MAX_ITEMS = 50


def new_token() -> str:
    return secrets.token_urlsafe(24)


def find_cart(session: Session, *, token: str | None, customer_id: int | None) -> Cart | None:
    query = sa.select(Cart).options(selectinload(Cart.items).selectinload(CartItem.product))
    if customer_id is not None:
        return session.scalar(query.where(Cart.customer_id == customer_id))
    if token:
        return session.scalar(query.where(Cart.token == token, Cart.customer_id.is_(None)))
    return None


def get_or_create_cart(session: Session, *, token: str | None, customer_id: int | None) -> Cart:
    cart = find_cart(session, token=token, customer_id=customer_id)
    if cart is None:
        cart = Cart(token=new_token(), customer_id=customer_id)
        session.add(cart)
        session.flush()
    return cart


def add_item(
    session: Session,
    cart: Cart,
    *,
    product: Product,
    quantity: int,
    option_value_ids: list[int],
    layout: StoredFile | None,
) -> CartItem:
    """Add a configured product; the quote validates every choice before anything is stored."""
    q = products.quote(session, product=product, quantity=quantity, option_value_ids=option_value_ids)
    if len(cart.items) >= MAX_ITEMS:
        raise ValidationError(f"В корзине может быть не больше {MAX_ITEMS} позиций.")
    if layout is not None and not customer_files.customer_can_read(
        session, layout, customer_id=cart.customer_id, cart_token=cart.token
    ):
        raise NotFound("Файл не найден.")
    item = CartItem(product=product, quantity=q.quantity, option_value_ids=q.option_value_ids, layout_file=layout)
    if layout is not None:
        item.preflight = preflight.check_stored(layout, preflight.spec_for(product, q.values))
    cart.items.append(item)
    session.flush()
    return item


def cart_item(cart: Cart, item_id: int) -> CartItem:
    item = next((i for i in cart.items if i.id == item_id), None)
    if item is None:
        raise NotFound("Позиция не найдена в корзине.")
    return item


def change_quantity(session: Session, cart: Cart, item_id: int, quantity: int) -> CartItem:
    item = cart_item(cart, item_id)
    products.quote(session, product=item.product, quantity=quantity, option_value_ids=item.option_value_ids)
    item.quantity = quantity
    session.flush()
    return item


def change_options(
    session: Session, cart: Cart, item_id: int, *, quantity: int, option_value_ids: list[int]
) -> CartItem:
    """Change quantity and options (paper, format…) keeping the layout; a new format is preflighted again."""
    item = cart_item(cart, item_id)
    q = products.quote(session, product=item.product, quantity=quantity, option_value_ids=option_value_ids)
    item.quantity = q.quantity
    item.option_value_ids = q.option_value_ids
    if item.layout_file is not None:
        spec = preflight.spec_for(item.product, q.values)
        if preflight.needs_recheck(item.preflight, spec):
            item.preflight = preflight.check_stored(item.layout_file, spec)
            item.print_as_is = False  # the acceptance was for the other format's report
    session.flush()
    return item


def replace_layout(session: Session, cart: Cart, item_id: int, layout: StoredFile) -> CartItem:
    """A new layout for a cart line (e.g. after a failed preflight): checked again against the line's product
    and options; an earlier «печатать как есть» was for the old file and is dropped."""
    item = cart_item(cart, item_id)
    if not customer_files.customer_can_read(session, layout, customer_id=cart.customer_id, cart_token=cart.token):
        raise NotFound("Файл не найден.")
    q = products.quote(session, product=item.product, quantity=item.quantity, option_value_ids=item.option_value_ids)
    item.layout_file = layout
    item.preflight = preflight.check_stored(layout, preflight.spec_for(item.product, q.values))
    item.print_as_is = False
    session.flush()
    return item


def accept_as_is(session: Session, cart: Cart, item_id: int, *, accepted: bool) -> CartItem:
    """The customer's "печатать как есть": print despite the preflight errors (or take it back)."""
    item = cart_item(cart, item_id)
    if accepted and (item.preflight or {}).get("status") != preflight.ERROR:
        raise ValidationError("У этого макета нет ошибок проверки — подтверждение не нужно.")
    item.print_as_is = accepted
    session.flush()
    return item


def remove_item(session: Session, cart: Cart, item_id: int) -> None:
    cart.items.remove(cart_item(cart, item_id))
    session.flush()


@dataclass
class CartLine:
    item: CartItem
    quote: products.Quote | None
    error: str | None


def price_cart(session: Session, cart: Cart) -> tuple[list[CartLine], Decimal]:
    """Each item priced with today's prices; an item that can no longer be ordered carries its error."""
    lines = []
    total = ZERO
    for item in cart.items:
        try:
            q = products.quote(
                session, product=item.product, quantity=item.quantity, option_value_ids=item.option_value_ids
            )
        except ValidationError as exc:
            lines.append(CartLine(item, None, exc.message))
            continue
        lines.append(CartLine(item, q, None))
        total += q.total
    return lines, total


def merge_into_customer_cart(session: Session, *, token: str | None, customer_id: int) -> Cart:
    """At login: the anonymous cart's items and files move to the customer's cart."""
    anonymous = find_cart(session, token=token, customer_id=None) if token else None
    cart = get_or_create_cart(session, token=None, customer_id=customer_id)
    if anonymous is not None and anonymous.id != cart.id:
        customer_files.claim_cart_files(session, cart_token=anonymous.token, customer_id=customer_id)
        session.execute(
            sa.update(CartItem)
            .where(CartItem.cart_id == anonymous.id)
            .values(cart_id=cart.id)
            .execution_options(synchronize_session=False)
        )
        session.expire(anonymous, ["items"])
        session.delete(anonymous)
        session.flush()
        session.expire(cart, ["items"])
    return cart
