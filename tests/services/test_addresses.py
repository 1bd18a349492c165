"""The address book: validation, exactly one primary (also under concurrent changes on PostgreSQL), the cap."""

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Address
from app.services.customers import addresses
from app.services.errors import NotFound, ValidationError
from tests.factories import make_customer


def data(**overrides) -> addresses.AddressData:
    base = {
        "label": "Дом",
        "recipient_name": "Иван Петров",
        "phone": "8 (916) 555-44-33",
        "city": "Москва",
        "street": "ул. Тверская",
        "house": "7",
        "flat": "12",
        "postcode": "125009",
    }
    return addresses.AddressData(**(base | overrides))


def primaries(session, customer_id: int) -> list[int]:
    return list(
        session.scalars(sa.select(Address.id).where(Address.customer_id == customer_id, Address.is_primary.is_(True)))
    )


def test_first_address_becomes_primary_and_phone_is_normalised(db_session, customer):
    first = addresses.add_address(db_session, customer_id=customer.id, data=data())
    second = addresses.add_address(db_session, customer_id=customer.id, data=data(label="Работа"))
    db_session.commit()
    assert first.phone == "+79165554433"
    assert primaries(db_session, customer.id) == [first.id]
    assert not second.is_primary


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"city": "  "}, "city", "Укажите город."),
        ({"street": ""}, "street", "Укажите улицу."),
        ({"house": ""}, "house", "Укажите номер дома."),
        ({"recipient_name": ""}, "recipient_name", "Укажите имя получателя."),
        ({"phone": "12345"}, "phone", "Укажите телефон в формате +7 999 123-45-67."),
        ({"postcode": "12345"}, "postcode", "Индекс — 6 цифр, например 101000."),
        ({"postcode": "12345a"}, "postcode", "Индекс — 6 цифр, например 101000."),
        ({"label": "x" * 41}, "label", "Поле «Название»: не длиннее 40 символов."),
    ],
)
def test_bad_address_is_refused_with_a_russian_message_and_nothing_saved(
    db_session, customer, overrides, field, message
):
    with pytest.raises(ValidationError) as error:
        addresses.add_address(db_session, customer_id=customer.id, data=data(**overrides))
    assert (error.value.field, error.value.message) == (field, message)
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Address)) == 0


def test_switching_and_deleting_the_primary_keeps_exactly_one(db_session, customer):
    a, b, c = (addresses.add_address(db_session, customer_id=customer.id, data=data(label=n)) for n in "ABC")
    addresses.set_primary(db_session, customer_id=customer.id, address_id=c.id)
    db_session.commit()
    assert primaries(db_session, customer.id) == [c.id]
    addresses.delete_address(db_session, customer_id=customer.id, address_id=c.id)
    db_session.commit()
    assert primaries(db_session, customer.id) == [a.id]  # the oldest remaining one is promoted
    addresses.delete_address(db_session, customer_id=customer.id, address_id=b.id)
    addresses.delete_address(db_session, customer_id=customer.id, address_id=a.id)
    db_session.commit()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Address)) == 0


def test_the_database_refuses_a_second_primary(db_session, customer):
    addresses.add_address(db_session, customer_id=customer.id, data=data())
    db_session.commit()
    db_session.add(Address(customer_id=customer.id, is_primary=True, **vars(addresses.validate(data(label="B")))))
    with pytest.raises(IntegrityError):
        db_session.flush()
    db_session.rollback()


def test_address_book_is_capped(db_session, customer, app, monkeypatch):
    monkeypatch.setitem(app.config, "ADDRESS_LIMIT", 3)
    for n in range(3):
        addresses.add_address(db_session, customer_id=customer.id, data=data(label=str(n)))
    db_session.commit()
    with pytest.raises(ValidationError, match="не больше 3 адресов"):
        addresses.add_address(db_session, customer_id=customer.id, data=data(label="лишний"))
    db_session.rollback()
    assert len(addresses.addresses_of(db_session, customer.id)) == 3


def test_another_customers_address_is_not_found(db_session, customer, other_customer):
    theirs = addresses.add_address(db_session, customer_id=other_customer.id, data=data())
    db_session.commit()
    for call in (
        lambda: addresses.customer_address(db_session, customer.id, theirs.id),
        lambda: addresses.set_primary(db_session, customer_id=customer.id, address_id=theirs.id),
        lambda: addresses.delete_address(db_session, customer_id=customer.id, address_id=theirs.id),
        lambda: addresses.update_address(db_session, customer_id=customer.id, address_id=theirs.id, data=data()),
    ):
        with pytest.raises(NotFound):
            call()
        db_session.rollback()
    assert addresses.customer_address(db_session, other_customer.id, theirs.id).city == "Москва"


def _run_concurrently(app, jobs) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(len(jobs))

    def run(job) -> None:  # noqa: ANN001
        with app.app_context():
            try:
                start.wait()
                job(db.session)
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported to the test
                db.session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgres_only
def test_concurrent_primary_switches_leave_exactly_one_primary(app, backend, db_session):
    owner = make_customer(db_session, email="many@example.ru").id
    ids = [addresses.add_address(db_session, customer_id=owner, data=data(label=str(n))).id for n in range(6)]
    db_session.commit()
    jobs = [
        (lambda target: lambda s: addresses.set_primary(s, customer_id=owner, address_id=target))(ids[n % 6])
        for n in range(12)
    ]
    assert _run_concurrently(app, jobs) == []
    db_session.expire_all()
    assert len(primaries(db_session, owner)) == 1


@pytest.mark.postgres_only
def test_concurrent_first_addresses_make_one_primary(app, backend, db_session):
    owner = make_customer(db_session, email="first@example.ru").id

    def adder(label: str):  # noqa: ANN202
        return lambda s: addresses.add_address(s, customer_id=owner, data=data(label=label))

    jobs = [adder(f"A{n}") for n in range(6)]
    assert _run_concurrently(app, jobs) == []
    db_session.expire_all()
    assert len(addresses.addresses_of(db_session, owner)) == 6
    assert len(primaries(db_session, owner)) == 1


@pytest.mark.parametrize("typed", ["57", "д. 57", "д.57", "Д 57", "дом 57"])
def test_a_house_typed_with_its_prefix_is_shown_with_one(db_session, customer, typed):
    address = addresses.add_address(db_session, customer_id=customer.id, data=data(house=typed, flat="кв. 3"))
    db_session.commit()
    assert address.house == "57"
    line = addresses.address_one_line(address)
    assert line == "125009, Москва, ул. Тверская, д. 57, кв. 3"
    chosen = addresses.checkout_address(db_session, customer_id=customer.id, address_id=str(address.id))
    assert chosen.text == "125009, Москва, ул. Тверская, д. 57, кв. 3; получатель: Иван Петров, +7 916 555-44-33"


def test_a_house_of_only_a_prefix_is_refused(db_session, customer):
    with pytest.raises(ValidationError) as refused:
        addresses.add_address(db_session, customer_id=customer.id, data=data(house="д. "))
    assert refused.value.field == "house"


def test_stored_delivery_text_is_shown_without_a_doubled_prefix_and_with_a_readable_phone():
    stored = "Москва, ул. Тверская, д. д. 57, кв./офис 12; получатель: Анна, +79165554433"
    shown = "Москва, ул. Тверская, д. 57, кв./офис 12; получатель: Анна, +7 916 555-44-33"
    assert addresses.delivery_text(stored) == shown
    assert addresses.delivery_text("") == ""


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("+79165554433", "+7 916 555-44-33"),
        ("89165554433", "+7 916 555-44-33"),
        ("8 (916) 555 44 33", "+7 916 555-44-33"),
        ("", ""),
        (None, ""),
        ("доб. 123", "доб. 123"),
    ],
)
def test_one_phone_format_everywhere(raw, shown):
    from app.services.phones import format_phone

    assert format_phone(raw) == shown


def test_order_page_label_and_export_show_the_address_and_phone_the_same_way(
    app, client, db_session, catalog, customer
):
    from app.reports.labels import label_data
    from app.reports.order_export import export_rows
    from tests.factories import login_customer, place_order

    stored = "125009, Москва, ул. Тверская, д. д. 57; получатель: Анна Кузнецова, +79165554433"
    order = place_order(db_session, customer, catalog.cards, delivery="courier", address=stored)
    shown = "125009, Москва, ул. Тверская, д. 57; получатель: Анна Кузнецова, +7 916 555-44-33"
    login_customer(client, customer.email)
    page = client.get(f"/account/orders/{order.number}").get_data(as_text=True)
    assert shown in page and "+7 999 000-11-22" in page and "+79990001122" not in page
    (label,) = label_data(db_session, [order.id])
    assert label.delivery == f"Курьер: {shown}" and label.phone == "+7 999 000-11-22"
    row = export_rows(db_session, [order.id])[-1]
    assert shown in row


# --- default delivery and default billing -------------------------------------------------------------------


def marked(session, customer_id: int, column) -> list[int]:
    return list(session.scalars(sa.select(Address.id).where(Address.customer_id == customer_id, column.is_(True))))


def test_billing_defaults_to_the_delivery_address_until_another_is_marked(db_session, customer):
    home = addresses.add_address(db_session, customer_id=customer.id, data=data())
    office = addresses.add_address(db_session, customer_id=customer.id, data=data(label="Офис", street="Арбат"))
    db_session.commit()
    assert addresses.billing_address(db_session, customer.id).id == home.id  # none marked: the primary
    addresses.set_billing(db_session, customer_id=customer.id, address_id=office.id)
    db_session.commit()
    assert addresses.primary_address(db_session, customer.id).id == home.id  # delivery stays
    assert addresses.billing_address(db_session, customer.id).id == office.id
    # Marking another moves the mark: one billing address per customer.
    addresses.set_billing(db_session, customer_id=customer.id, address_id=home.id)
    db_session.commit()
    assert marked(db_session, customer.id, Address.is_billing) == [home.id]
    addresses.clear_billing(db_session, customer_id=customer.id)
    db_session.commit()
    assert marked(db_session, customer.id, Address.is_billing) == []
    assert addresses.billing_address(db_session, customer.id).id == home.id


def test_a_new_address_can_be_the_billing_one_and_the_same_address_can_be_both(db_session, customer):
    home = addresses.add_address(db_session, customer_id=customer.id, data=data(), make_billing=True)
    db_session.commit()
    assert (home.is_primary, home.is_billing) == (True, True)
    payer = addresses.add_address(
        db_session, customer_id=customer.id, data=data(label="Для документов", recipient_name="Петрова А."),
        make_billing=True,
    )  # fmt: skip
    db_session.commit()
    assert marked(db_session, customer.id, Address.is_primary) == [home.id]
    assert marked(db_session, customer.id, Address.is_billing) == [payer.id]


def test_deleting_the_billing_address_falls_back_to_the_delivery_one(db_session, customer):
    home = addresses.add_address(db_session, customer_id=customer.id, data=data())
    payer = addresses.add_address(db_session, customer_id=customer.id, data=data(label="Офис"), make_billing=True)
    db_session.commit()
    addresses.delete_address(db_session, customer_id=customer.id, address_id=payer.id)
    db_session.commit()
    assert marked(db_session, customer.id, Address.is_billing) == []
    assert addresses.billing_address(db_session, customer.id).id == home.id
    # Deleting the primary that was also the billing one: the next oldest is both.
    work = addresses.add_address(db_session, customer_id=customer.id, data=data(label="Работа"))
    addresses.set_billing(db_session, customer_id=customer.id, address_id=home.id)
    addresses.delete_address(db_session, customer_id=customer.id, address_id=home.id)
    db_session.commit()
    assert addresses.primary_address(db_session, customer.id).id == work.id
    assert addresses.billing_address(db_session, customer.id).id == work.id
    addresses.delete_address(db_session, customer_id=customer.id, address_id=work.id)
    db_session.commit()
    assert addresses.billing_address(db_session, customer.id) is None


def test_another_customers_address_cannot_be_made_billing(db_session, customer, other_customer):
    mine = addresses.add_address(db_session, customer_id=customer.id, data=data())
    theirs = addresses.add_address(db_session, customer_id=other_customer.id, data=data(city="Тверь"))
    db_session.commit()
    with pytest.raises(NotFound):
        addresses.set_billing(db_session, customer_id=customer.id, address_id=theirs.id)
    db_session.rollback()
    assert marked(db_session, other_customer.id, Address.is_billing) == []
    assert addresses.billing_address(db_session, customer.id).id == mine.id


def test_the_database_refuses_a_second_billing_address(db_session, customer):
    first = addresses.add_address(db_session, customer_id=customer.id, data=data(), make_billing=True)
    db_session.commit()
    db_session.add(Address(customer_id=customer.id, is_billing=True, **vars(addresses.validate(data(label="X")))))
    with pytest.raises(IntegrityError):
        db_session.commit()
    db_session.rollback()
    assert marked(db_session, customer.id, Address.is_billing) == [first.id]
