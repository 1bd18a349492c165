"""Quick search over orders: the kind of text decides the condition (and its index); digits of an email or a
name are never matched against phones."""

import pytest
import sqlalchemy as sa

from app.models import Order
from app.services.orders import history, search
from app.services.orders.search import QueryKind
from tests.factories import make_customer, place_order


@pytest.mark.parametrize(
    ("text", "kind", "normal"),
    [
        ("2026-000123", QueryKind.number, "2026-000123"),
        ("2026-0001", QueryKind.number, "2026-0001"),
        ("2026000123", QueryKind.number, "2026-000123"),
        ("ivan@example.ru", QueryKind.email, "ivan@example.ru"),
        ("Bulk-1-42456@Example", QueryKind.email, "bulk-1-42456@example"),
        ("+7 (999) 000-11-22", QueryKind.phone, "+79990001122"),
        ("8-999-000-11-22", QueryKind.phone, "+79990001122"),
        ("89990001122", QueryKind.phone, "+79990001122"),
        ("8 (926) 555", QueryKind.phone, "+7926555"),
        ("+7 926", QueryKind.phone, "+7926"),
        ("9990001122", QueryKind.phone, "9990001122"),
        ("000-11-22", QueryKind.phone, "0001122"),
        ("0011", QueryKind.phone, "0011"),
        ("1-42456", QueryKind.words, "1-42456"),
        ("bulk-1-42456", QueryKind.words, "bulk-1-42456"),
        ("123", QueryKind.words, "123"),
        ("Иванов  Пётр", QueryKind.words, "Иванов Пётр"),
    ],
)
def test_the_kind_of_query_is_recognised(text, kind, normal):
    found = search.classify(text)
    assert found is not None and (found.kind, found.text) == (kind, normal)


def test_an_empty_box_is_no_query():
    assert search.classify("   ") is None
    assert search.customer_condition("") is None


@pytest.fixture
def orders(db_session, catalog):
    """Three orders with known contacts: one whose phone holds the digits of another's email."""
    specs = {
        "email": ("Анна Петрова", "bulk-1-42456@example.ru", "+79031112233"),
        "phone": ("Олег Смирнов", "oleg@example.ru", "+79991424560"),
        "name": ("Мария Иванова", "m_iv%@example.ru", "+79265554433"),
    }
    made = {}
    for key, (name, email, phone) in specs.items():
        customer = make_customer(db_session, email=f"{key}@buyers.ru", full_name=name)
        order = place_order(db_session, customer, catalog.cards)
        db_session.execute(  # test data: the contacts as they were typed at checkout
            sa.update(Order)
            .where(Order.id == order.id)
            .values(contact_name=name, contact_email=email, contact_phone=phone),
            execution_options=history.recorded_update(),
        )
        made[key] = order.number
    db_session.commit()
    return made


def _found(session, text: str) -> set[str]:
    query = search.classify(text)
    assert query is not None
    return set(session.scalars(sa.select(Order.number).where(search.order_condition(query))))


def test_digits_from_an_email_are_not_matched_against_phones(db_session, orders):
    # «1-42456» used to become phone LIKE '%142456%' and find Олег's +7 999 142-45-60.
    assert _found(db_session, "1-42456") == {orders["email"]}
    assert _found(db_session, "bulk-1-42456@example") == {orders["email"]}


def test_each_kind_finds_its_orders(db_session, orders):
    assert _found(db_session, "+7 999 142-45-60") == {orders["phone"]}  # a whole phone
    assert _found(db_session, "142-45") == {orders["phone"]}  # a fragment of one
    assert _found(db_session, "8 926 555") == {orders["name"]}  # the start of a phone
    assert _found(db_session, "+7 903") == {orders["email"]}
    assert _found(db_session, "9031112233") == {orders["email"]}  # ten digits, no country code
    assert _found(db_session, "Иванова") == {orders["name"]}
    assert _found(db_session, "oleg@") == {orders["phone"]}
    assert _found(db_session, orders["email"]) == {orders["email"]}
    year = orders["email"][:4]
    assert _found(db_session, f"{year}-") == set(orders.values())  # a number prefix


def test_a_whole_email_is_found_exactly_and_case_does_not_matter(db_session, orders):
    assert _found(db_session, "Bulk-1-42456@Example.RU") == {orders["email"]}
    assert search.order_condition(search.classify("bulk-1-42456@example.ru")).compare(
        Order.contact_email == "bulk-1-42456@example.ru"
    )  # the btree, not a trigram scan
    assert _found(db_session, "1-42456@example.ru") == set()  # a whole address is that address
    assert _found(db_session, "1-42456@example") == {orders["email"]}  # a piece of one is still a fragment


def test_like_wildcards_typed_by_staff_are_plain_characters(db_session, orders):
    assert _found(db_session, "m_iv%@") == {orders["name"]}
    assert _found(db_session, "%@") == {orders["name"]}
    assert _found(db_session, "_") == {orders["name"]}


def test_customers_are_found_by_email_or_name_fragment(db_session, orders):
    from app.models import Customer

    def names(text: str) -> set[str]:
        condition = search.customer_condition(text)
        assert condition is not None
        return set(db_session.scalars(sa.select(Customer.full_name).where(condition)))

    assert names("phone@") == {"Олег Смирнов"}
    assert names("Петрова") == {"Анна Петрова"}
    assert names("buyers.ru") == {"Анна Петрова", "Олег Смирнов", "Мария Иванова"}
