"""Promo code limits under concurrency: the database keeps once-per-customer and usage limits, and cancelling
an order frees its use."""

import threading
import uuid
from decimal import Decimal as D

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Customer, Order, OrderStatus, PromoCode, PromoKind, PromoRedemption
from app.services.catalog import promo
from app.services.errors import DomainError, ValidationError
from app.services.orders import cart as cart_service
from app.services.orders import placing
from tests.factories import advance, layout_for, place_order

S = OrderStatus


def _checkout(token: str) -> placing.CheckoutData:
    return placing.CheckoutData(
        contact_name="Покупатель",
        contact_email="buyer@example.ru",
        contact_phone="+7 999 000-11-22",
        delivery_method="pickup",
        payment_method="on_receipt",
        promo_code="welcome10",
        checkout_token=token,
    )


def _fill_cart(session, catalog, customer) -> None:  # noqa: ANN001
    from app.services import storage

    cart = cart_service.get_or_create_cart(session, token=None, customer_id=customer.id)
    ids = catalog.defaults(catalog.cards)
    layout = storage.store_bytes(
        session, data=layout_for(catalog.cards, ids), filename="maket.pdf", customer_id=customer.id
    )
    cart_service.add_item(session, cart, product=catalog.cards, quantity=1000, option_value_ids=ids, layout=layout)
    session.commit()


def _uses(session, code: str = "WELCOME10") -> tuple[int, int]:  # noqa: ANN001
    session.expire_all()
    used = session.scalar(sa.select(PromoCode.times_used).where(PromoCode.code == code))
    rows = session.scalar(sa.select(sa.func.count()).select_from(PromoRedemption))
    return used, rows


@pytest.fixture
def welcome10(db_session):  # noqa: ANN001, ANN201
    code = PromoCode(code="WELCOME10", kind=PromoKind.percent, value=D("10"), per_customer_limit=1)
    db_session.add(code)
    db_session.commit()
    return code


def _checkout_in_thread(app, customer_id: int, results: list) -> None:  # noqa: ANN001
    with app.app_context():
        try:
            customer = db.session.get(Customer, customer_id)
            cart = cart_service.find_cart(db.session, token=None, customer_id=customer_id)
            order = placing.place_order(db.session, customer=customer, cart=cart, data=_checkout(uuid.uuid4().hex))
            db.session.commit()
            results.append(order.number)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            db.session.rollback()
            results.append(exc)
        finally:
            db.session.remove()


def _simultaneous_checkouts(app, customer_ids: list[int], monkeypatch) -> tuple[list[str], list[DomainError]]:  # noqa: ANN001
    """One checkout per customer id, each in its own thread and session, all past the promo check at once."""
    all_checked = threading.Barrier(len(customer_ids), timeout=30)
    checked = promo.applicable_promo

    def applicable_then_wait(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        found = checked(*args, **kwargs)
        all_checked.wait()  # every checkout saw the code as usable before any of them stores its order
        return found

    monkeypatch.setattr(promo, "applicable_promo", applicable_then_wait)
    results: list = []
    threads = [threading.Thread(target=_checkout_in_thread, args=(app, cid, results)) for cid in customer_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    placed = [r for r in results if isinstance(r, str)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(placed) + len(refused) == len(customer_ids), results
    return placed, refused


def test_two_simultaneous_checkouts_of_one_customer_get_a_once_per_customer_code_once(
    app, db_session, catalog, customer, welcome10, monkeypatch
):
    _fill_cart(db_session, catalog, customer)
    placed, refused = _simultaneous_checkouts(app, [customer.id, customer.id], monkeypatch)

    assert len(placed) == 1 and len(refused) == 1
    assert refused[0].field == "promo_code"
    assert refused[0].message in (
        promo.RACE_LOST.format(code="WELCOME10"),  # the database refused the second redemption
        "Вы уже использовали этот промокод.",  # the second checkout waited for the first and then saw its use
    )
    orders = db_session.scalars(sa.select(Order)).all()
    assert [(o.number, o.promo_code_text, o.discount_total > 0) for o in orders] == [(placed[0], "WELCOME10", True)]
    assert _uses(db_session) == (1, 1)


def test_the_database_refuses_a_second_use_the_check_did_not_see(db_session, catalog, customer, welcome10, monkeypatch):
    place_order(db_session, customer, catalog.cards, quantity=1000, promo_code="WELCOME10")
    # A checkout that read the customer's uses before the first order was committed.
    monkeypatch.setattr(promo, "_uses_of", lambda *args: [])
    with pytest.raises(ValidationError, match="уже применён к другому вашему заказу") as refused:
        place_order(db_session, customer, catalog.cards, quantity=1000, promo_code="WELCOME10")
    assert refused.value.field == "promo_code"
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1
    assert _uses(db_session) == (1, 1)


def test_one_use_per_customer_and_code_is_a_unique_row(db_session, catalog, customer, welcome10):
    first = place_order(db_session, customer, catalog.cards, quantity=1000, promo_code="WELCOME10")
    second = place_order(db_session, customer, catalog.cards, quantity=1000)
    db_session.add(PromoRedemption(promo_code_id=welcome10.id, customer_id=customer.id, order_id=second.id, seq=1))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()
    assert db_session.scalar(sa.select(PromoRedemption.order_id)) == first.id


def test_the_last_use_of_a_limited_code_goes_to_one_of_two_simultaneous_customers(
    app, db_session, catalog, customer, other_customer, monkeypatch
):
    db_session.add(PromoCode(code="WELCOME10", kind=PromoKind.percent, value=D("10"), usage_limit=1))
    db_session.commit()
    _fill_cart(db_session, catalog, customer)
    _fill_cart(db_session, catalog, other_customer)
    placed, refused = _simultaneous_checkouts(app, [customer.id, other_customer.id], monkeypatch)
    assert len(placed) == 1 and [e.message for e in refused] == ["Лимит использований промокода исчерпан."]
    assert _uses(db_session) == (1, 1)


def test_cancelling_an_order_frees_its_once_per_customer_use(db_session, catalog, customer, welcome10):
    order = place_order(db_session, customer, catalog.cards, quantity=1000, promo_code="WELCOME10")
    advance(db_session, order, S.cancelled)
    assert _uses(db_session) == (0, 0)
    again = place_order(db_session, customer, catalog.cards, quantity=1000, promo_code="WELCOME10")
    assert again.discount_total > 0 and _uses(db_session) == (1, 1)


def test_release_and_redeem_per_order_for_the_state_machine(db_session, catalog, customer, welcome10):
    order = place_order(db_session, customer, catalog.cards, quantity=1000, promo_code="WELCOME10")
    promo.release_orders(db_session, [order.id])
    promo.release_orders(db_session, [order.id])  # twice: the use is given back once
    assert _uses(db_session) == (0, 0)
    assert promo.redeem_orders(db_session, [order.id]) == []
    assert _uses(db_session) == (1, 1)
    # The use went meanwhile to another order: taking it back for the first one is refused.
    promo.release_orders(db_session, [order.id])
    db_session.commit()
    other = place_order(db_session, customer, catalog.cards, quantity=1000, promo_code="WELCOME10")
    assert promo.redeem_orders(db_session, [order.id, other.id]) == [order.id]
    assert _uses(db_session) == (1, 1)


def test_a_mass_cancellation_frees_each_orders_use(db_session, catalog, customer, other_customer, welcome10):
    from app.services.actors import Actor
    from app.services.orders import batches

    orders = [
        place_order(db_session, buyer, catalog.cards, quantity=1000, promo_code="WELCOME10")
        for buyer in (customer, other_customer)
    ]
    assert _uses(db_session) == (2, 2)
    report = batches.change_status(
        db_session, order_ids=[o.id for o in orders], target=S.cancelled, actor=Actor.system("test")
    )
    db_session.commit()
    assert not report.skipped and _uses(db_session) == (0, 0)
    assert place_order(db_session, customer, catalog.cards, quantity=1000, promo_code="WELCOME10").discount_total > 0
