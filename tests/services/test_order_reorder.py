"""«Повторить заказ» from the order history: every line (or one) into the cart with the same options, quantities
and layouts at today's prices, the same checks as a project reorder, and company orders by role."""

from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.models import CartItem, OptionValue, Project
from app.services.errors import NotFound, PermissionDenied, ValidationError
from app.services.orders import cart as cart_service
from app.services.orders import lookup
from app.services.projects import projects
from tests.factories import add_member, make_company, make_customer, place_cards_and_flyers


def _cart(session, customer):
    return cart_service.get_or_create_cart(session, token=None, customer_id=customer.id)


@pytest.fixture
def past_order(db_session, catalog, customer):
    return place_cards_and_flyers(db_session, customer, catalog)


def _items(session):
    return list(session.scalars(sa.select(CartItem).order_by(CartItem.id)))


def test_the_whole_order_goes_into_the_cart_with_its_options_quantities_and_layouts(
    db_session, catalog, customer, past_order
):
    tier = next(t for t in catalog.cards.price_tiers if t.quantity == 500)
    tier.price = D("1790.00")
    db_session.commit()
    result = projects.reorder_order(db_session, past_order, cart=_cart(db_session, customer), customer=customer)
    db_session.commit()
    items = _items(db_session)
    assert [(i.product_id, i.quantity) for i in items] == [(catalog.cards.id, 500), (catalog.flyers.id, 1000)]
    for item, line in zip(items, past_order.product_lines, strict=True):
        assert item.option_value_ids == [o["value_id"] for o in line.options]
        assert item.layout_file.sha256 == line.layout_file.sha256
        assert item.layout_file_id != line.layout_file_id  # the cart's own snapshot
        assert item.reference_price == line.gross_amount and item.project_id is None
        assert item.preflight["status"] == "ok"
    cards = result.lines[0]
    assert cards.old_price == D("3054.00") and cards.new_price == D("3214.00") and cards.price_changed
    assert not result.lines[1].price_changed and result.refused == [] and result.problems == []
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0  # no project saved
    lines, total = cart_service.price_cart(db_session, _cart(db_session, customer))
    assert all(line.error is None for line in lines)
    assert total == D("3214.00") + past_order.product_lines[1].gross_amount


def test_one_line_is_repeated_alone(db_session, catalog, customer, past_order):
    flyers = past_order.product_lines[1]
    result = projects.reorder_order(
        db_session, past_order, cart=_cart(db_session, customer), customer=customer, line_id=flyers.id
    )
    db_session.commit()
    assert [i.product_id for i in _items(db_session)] == [catalog.flyers.id]
    assert len(result.lines) == 1
    with pytest.raises(NotFound):
        projects.reorder_order(db_session, past_order, cart=_cart(db_session, customer), customer=customer, line_id=0)


def test_a_product_off_sale_is_named_and_the_rest_still_goes_in(db_session, catalog, customer, past_order):
    catalog.flyers.is_active = False
    db_session.commit()
    result = projects.reorder_order(db_session, past_order, cart=_cart(db_session, customer), customer=customer)
    db_session.commit()
    assert [i.product_id for i in _items(db_session)] == [catalog.cards.id]
    assert result.refused == ["Товар «Листовки» больше не продаётся — его повторить нельзя."]


def test_nothing_changes_when_no_line_can_be_repeated(db_session, catalog, customer, past_order):
    catalog.flyers.is_active = False
    catalog.cards.category.is_active = False
    db_session.commit()
    with pytest.raises(ValidationError, match="больше не продаётся"):
        projects.reorder_order(db_session, past_order, cart=_cart(db_session, customer), customer=customer)
    db_session.rollback()
    assert _items(db_session) == []


def test_a_disabled_option_is_flagged_and_a_changed_format_is_preflighted_again(
    db_session, catalog, customer, past_order
):
    paper = db_session.get(OptionValue, catalog.value(catalog.cards, "Дизайнерская 300 г/м²"))
    paper.is_active = False
    fmt = db_session.get(OptionValue, catalog.value(catalog.cards, "90×50 мм (стандарт)"))
    fmt.width_mm, fmt.height_mm = D("85"), D("55")
    db_session.commit()
    cards = past_order.product_lines[0]
    result = projects.reorder_order(
        db_session, past_order, cart=_cart(db_session, customer), customer=customer, line_id=cards.id
    )
    line = result.lines[0]
    assert line.problems == ["Вариант «Дизайнерская 300 г/м²» (Бумага) больше недоступен — выберите другой."]
    assert line.new_price is None
    assert line.rechecked and line.item.preflight["status"] == "error"
    lines, _ = cart_service.price_cart(db_session, _cart(db_session, customer))
    assert "больше недоступен" in lines[0].error


def test_a_full_cart_refuses_and_stores_nothing(db_session, catalog, customer, past_order, monkeypatch):
    monkeypatch.setattr(projects, "MAX_ITEMS", 1)
    with pytest.raises(ValidationError, match="не больше 1 позиций"):
        projects.reorder_order(db_session, past_order, cart=_cart(db_session, customer), customer=customer)
    db_session.rollback()
    assert _items(db_session) == []


def test_company_orders_are_repeated_by_members_who_may_order_for_the_company(
    db_session, catalog, customer, other_customer
):
    company = make_company(db_session, customer)
    add_member(db_session, company, other_customer, "buyer")
    accountant = make_customer(db_session, email="buh@example.ru")
    add_member(db_session, company, accountant, "accountant")
    order = place_cards_and_flyers(db_session, other_customer, catalog, company_id=company.id)
    # The owner sees the buyer's order and repeats it; the layouts become the owner's snapshots.
    seen = lookup.customer_order(db_session, customer.id, order.number)
    result = projects.reorder_order(db_session, seen, cart=_cart(db_session, customer), customer=customer)
    db_session.commit()
    assert {line.item.layout_file.customer_id for line in result.lines} == {customer.id}
    # The accountant sees it but may not order for the company: refused, nothing stored.
    seen = lookup.customer_order(db_session, accountant.id, order.number)
    assert not projects.may_reorder(db_session, seen, customer=accountant)
    with pytest.raises(PermissionDenied, match="владелец и закупщики"):
        projects.reorder_order(db_session, seen, cart=_cart(db_session, accountant), customer=accountant)
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 2
    # A buyer who left the company cannot repeat its order any more.
    from app.services.companies import members

    members.leave(db_session, company, customer=other_customer)
    db_session.commit()
    assert not projects.may_reorder(db_session, order, customer=other_customer)


def test_another_customers_private_order_is_not_found(db_session, customer, other_customer, past_order):
    with pytest.raises(NotFound):
        projects.reorder_order(db_session, past_order, cart=_cart(db_session, other_customer), customer=other_customer)
