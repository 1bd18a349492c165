"""Saved projects and reorder: the same file by hash, options carried, today's price, unavailable options
flagged, a disabled product refused, past orders untouched when the project changes."""

import io
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.models import CartItem, DeliveryMethod, OptionValue, Project, StoredFile
from app.services import storage
from app.services.errors import NotFound, ValidationError
from app.services.orders import cart as cart_service
from app.services.orders import lookup, placing
from app.services.projects import projects
from tests.factories import pdf_bytes, place_order


def _cart(session, customer):
    return cart_service.get_or_create_cart(session, token=None, customer_id=customer.id)


@pytest.fixture
def ordered_cards(db_session, catalog, customer):
    """An order of 500 designer-paper cards with rounded corners; the layout is a 94×54 mm PDF."""
    ids = catalog.defaults(catalog.cards, "Дизайнерская 300 г/м²", "Скругление углов")
    return place_order(db_session, customer, catalog.cards, quantity=500, option_ids=ids)


@pytest.fixture
def project(db_session, ordered_cards, customer):
    line = ordered_cards.product_lines[0]
    saved = projects.save_from_order_line(
        db_session, ordered_cards, line.id, customer=customer, name="  Визитки —  Петров "
    )
    db_session.commit()
    return saved


def test_saving_from_an_order_line_keeps_options_quantity_price_and_a_file_snapshot(db_session, ordered_cards, project):
    line = ordered_cards.product_lines[0]
    assert project.name == "Визитки — Петров"
    assert project.quantity == 500 and project.product_id == line.product_id
    assert project.option_value_ids == [o["value_id"] for o in line.options]
    assert project.last_price == line.gross_amount == D("3054.00")
    assert project.last_ordered_at == ordered_cards.created_at
    version = project.current_version
    assert version.number == 1 and version.sha256 == line.layout_file.sha256
    assert version.file_id != line.layout_file_id  # its own row: the project does not borrow the order's
    assert version.preflight["status"] == "ok"


def test_reorder_puts_the_same_file_and_options_in_the_cart_at_todays_price(db_session, catalog, customer, project):
    tier = next(t for t in catalog.cards.price_tiers if t.quantity == 500)
    tier.price = D("1790.00")
    db_session.commit()
    result = projects.reorder(db_session, project, cart=_cart(db_session, customer), customer=customer)
    db_session.commit()
    item = result.item
    assert item.layout_file.sha256 == project.current_version.sha256
    assert item.option_value_ids == project.option_value_ids and item.quantity == 500
    assert result.old_price == D("3054.00")
    assert result.new_price == D("3214.00")  # 1790 × 1.6 + 350
    assert result.price_changed and result.problems == [] and not result.rechecked
    assert item.reference_price == D("3054.00") and item.project_id == project.id
    lines, total = cart_service.price_cart(db_session, _cart(db_session, customer))
    assert total == D("3214.00") and lines[0].error is None


def test_reorder_and_order_again_updates_the_project(db_session, customer, project):
    cart = _cart(db_session, customer)
    projects.reorder(db_session, project, cart=cart, customer=customer)
    order = placing.place_order(
        db_session,
        customer=customer,
        cart=cart,
        data=placing.CheckoutData(
            contact_name="Иван",
            contact_email=customer.email,
            contact_phone="+79990001122",
            delivery_method="pickup",
            payment_method="on_receipt",
            checkout_token="again-1",
        ),
    )
    db_session.commit()
    assert order.product_lines[0].project_id == project.id
    assert order.product_lines[0].layout_file.sha256 == project.current_version.sha256
    db_session.refresh(project)
    assert project.last_ordered_at == order.created_at


def test_an_option_no_longer_available_is_flagged_and_must_be_rechosen(db_session, catalog, customer, project):
    paper = db_session.get(OptionValue, catalog.value(catalog.cards, "Дизайнерская 300 г/м²"))
    paper.is_active = False
    db_session.commit()
    cart = _cart(db_session, customer)
    result = projects.reorder(db_session, project, cart=cart, customer=customer)
    db_session.commit()
    assert result.new_price is None
    assert result.problems == ["Вариант «Дизайнерская 300 г/м²» (Бумага) больше недоступен — выберите другой."]
    lines, _ = cart_service.price_cart(db_session, cart)
    assert "больше недоступен" in lines[0].error
    with pytest.raises(ValidationError, match="больше недоступен"):
        placing.price_order(db_session, customer_id=customer.id, cart=cart, delivery=DeliveryMethod.pickup)
    # Rechosen in the cart, keeping the file: now it can be ordered.
    cart_service.change_options(
        db_session,
        cart,
        result.item.id,
        quantity=500,
        option_value_ids=catalog.defaults(catalog.cards, "Крафт 350 г/м²", "Скругление углов"),
    )
    lines, total = cart_service.price_cart(db_session, cart)
    assert lines[0].error is None and total == (D("1690") * D("1.35") + 350).quantize(D("0.01"))
    assert result.item.layout_file.sha256 == project.current_version.sha256


def test_a_deleted_option_is_named_from_the_snapshot(db_session, catalog, customer, project):
    value = db_session.get(OptionValue, catalog.value(catalog.cards, "Скругление углов"))
    db_session.delete(value)
    db_session.commit()
    result = projects.reorder(db_session, project, cart=_cart(db_session, customer), customer=customer)
    assert result.problems == ["Вариант «Скругление углов» (Отделка) больше не предлагается — выберите другой."]
    assert value.id not in result.item.option_value_ids
    assert result.new_price is not None  # finishing is optional: the rest still prices


def test_a_disabled_product_is_refused_with_a_clear_message(db_session, catalog, customer, project):
    catalog.cards.is_active = False
    db_session.commit()
    with pytest.raises(ValidationError) as caught:
        projects.reorder(db_session, project, cart=_cart(db_session, customer), customer=customer)
    assert caught.value.message == "Товар «Визитки стандартные» больше не продаётся — повторить этот проект нельзя."
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(CartItem)) == 0


def test_a_new_format_is_preflighted_again_on_reorder(db_session, catalog, customer, project):
    fmt = db_session.get(OptionValue, catalog.value(catalog.cards, "90×50 мм (стандарт)"))
    fmt.width_mm, fmt.height_mm = D("85"), D("55")  # the shop changed what "standard" means
    db_session.commit()
    result = projects.reorder(db_session, project, cart=_cart(db_session, customer), customer=customer)
    assert result.rechecked
    assert result.item.preflight["status"] == "error"
    assert result.item.preflight["spec"]["width_mm"] == 85.0


def test_replacing_the_file_makes_a_version_and_past_orders_stay_unchanged(
    db_session, ordered_cards, customer, project
):
    line = ordered_cards.product_lines[0]
    old_file, old_sha = line.layout_file_id, line.layout_file.sha256
    version = projects.replace_file(
        db_session, project, stream=io.BytesIO(pdf_bytes(90, 50, text="Новый")), filename="v2.pdf", customer=customer
    )
    projects.rename(db_session, project, name="Визитки — Петров, 2027")
    db_session.commit()
    assert version.number == 2 and project.current_version is version
    assert version.preflight["status"] == "warning"  # 90×50: no bleed
    assert [v.number for v in project.versions] == [1, 2]
    assert project.versions[0].sha256 == old_sha  # the old version stays reachable
    db_session.expire_all()
    line = lookup.customer_order(db_session, customer.id, ordered_cards.number).product_lines[0]
    assert line.layout_file_id == old_file and line.layout_file.sha256 == old_sha
    assert line.gross_amount == D("3054.00") and line.quantity == 500

    projects.delete(db_session, project)
    db_session.commit()
    db_session.expire_all()
    line = lookup.customer_order(db_session, customer.id, ordered_cards.number).product_lines[0]
    assert line.layout_file.sha256 == old_sha and storage.open_blob(line.layout_file).exists()


def test_the_blob_lives_as_long_as_a_project_references_it(db_session, catalog, customer):
    cart = _cart(db_session, customer)
    upload = storage.store_bytes(
        db_session, data=pdf_bytes(94, 54, text="Один"), filename="a.pdf", customer_id=customer.id
    )
    item = cart_service.add_item(
        db_session,
        cart,
        product=catalog.cards,
        quantity=100,
        option_value_ids=catalog.defaults(catalog.cards),
        layout=upload,
    )
    saved = projects.save_from_cart_item(db_session, cart, item.id, customer=customer, name="Из корзины")
    db_session.commit()
    blob = storage.blob_path(upload.sha256)
    # The cart's file goes (an archived order, an abandoned cart): the project's snapshot keeps the bytes.
    cart_service.remove_item(db_session, cart, item.id)
    assert storage.delete_file(db_session, upload) is False
    db_session.commit()
    assert blob.exists()
    copy = projects.duplicate(db_session, saved, customer=customer)
    db_session.commit()
    assert copy.name == "Из корзины (копия)" and copy.current_version.sha256 == upload.sha256
    projects.delete(db_session, saved)
    db_session.commit()
    assert blob.exists()  # the copy still holds it
    projects.delete(db_session, copy)
    db_session.commit()
    assert not blob.exists()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_a_rolled_back_delete_keeps_the_blob(db_session, customer):
    stored = storage.store_bytes(
        db_session, data=pdf_bytes(94, 54, text="x"), filename="x.pdf", customer_id=customer.id
    )
    db_session.commit()
    assert storage.delete_file(db_session, stored) is True
    db_session.rollback()
    assert storage.blob_path(stored.sha256).exists()


def test_names_are_validated_and_nothing_is_saved(db_session, ordered_cards, customer):
    line = ordered_cards.product_lines[0]
    for name, text in (("   ", "Назовите проект"), ("я" * 201, "не длиннее 200")):
        with pytest.raises(ValidationError, match=text):
            projects.save_from_order_line(db_session, ordered_cards, line.id, customer=customer, name=name)
        db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Project)) == 0


def test_another_customers_project_is_not_found(db_session, ordered_cards, customer, other_customer, project):
    with pytest.raises(NotFound):
        projects.project_for_customer(db_session, project.id, other_customer.id)
    assert projects.visible_projects(db_session, other_customer.id) == []
    assert projects.visible_projects(db_session, customer.id) == [project]
    with pytest.raises(ValidationError, match="где сохранить"):
        projects.save_from_order_line(
            db_session, ordered_cards, ordered_cards.product_lines[0].id, customer=customer, name="x", company_id="999"
        )
