"""Layout preflight on generated files: size and bleed, page count, resolution; the report blocks ordering."""

import io
import uuid

import pytest
from fpdf import FPDF
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject, RectangleObject

from app.services import storage
from app.services.errors import ValidationError
from app.services.layouts import preflight, thumbnails
from app.services.orders import cart as cart_service
from app.services.orders import placing
from tests.factories import bomb_png, login_staff, make_staff, pdf_bytes, pdf_with_active_content

MM = 72 / 25.4


def _check(tmp_path, data: bytes, kind: str, spec: preflight.Spec) -> dict:
    path = tmp_path / f"layout.{kind}"
    path.write_bytes(data)
    return preflight.check_file(path, kind, spec)


def _texts(report: dict) -> str:
    return " ".join(m["text"] for m in report["messages"])


def jpeg_bytes(size: tuple[int, int], dpi: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 90, 200)).save(buffer, format="JPEG", dpi=(dpi, dpi))
    return buffer.getvalue()


@pytest.fixture
def card_spec(catalog):
    """Business cards, default options: 90×50 mm trim, 2 mm bleed, one side."""
    spec = preflight.spec_for_ids(catalog.cards, catalog.defaults(catalog.cards))
    assert spec == preflight.Spec(90.0, 50.0, 2.0, 1)
    return spec


def test_card_with_bleed_passes(tmp_path, card_spec):
    report = _check(tmp_path, pdf_bytes(94, 54), "pdf", card_spec)
    assert report["status"] == "ok", report
    assert report["facts"]["pages"] == 1
    assert report["facts"]["page_sizes"][0]["media"] == [94.0, 54.0]


def test_card_without_bleed_warns_no_bleed(tmp_path, card_spec):
    report = _check(tmp_path, pdf_bytes(90, 50), "pdf", card_spec)
    assert report["status"] == "warning"
    assert "нет вылетов" in _texts(report)
    assert "94×54 мм" in _texts(report)


def test_portrait_card_is_the_same_format(tmp_path, card_spec):
    assert _check(tmp_path, pdf_bytes(54, 94), "pdf", card_spec)["status"] == "ok"


def test_a4_layout_for_a_card_is_an_error(tmp_path, card_spec):
    report = _check(tmp_path, pdf_bytes(210, 297), "pdf", card_spec)
    assert report["status"] == "error"
    assert "210×297 мм не соответствует формату 90×50 мм (с вылетами — 94×54 мм)" in _texts(report)


def test_two_pages_on_a_one_sided_product_is_an_error(tmp_path, catalog):
    spec = preflight.spec_for_ids(catalog.stickers, catalog.defaults(catalog.stickers))
    assert spec.sides == 1 and catalog.stickers.max_sides == 1
    report = _check(tmp_path, pdf_bytes(54, 54, pages=2), "pdf", spec)
    assert report["status"] == "error"
    assert "В макете 2 стр., а печать односторонняя — нужна одна страница." in _texts(report)


def test_sides_follow_the_chosen_option(tmp_path, catalog):
    two_sided = preflight.spec_for_ids(catalog.cards, catalog.defaults(catalog.cards, "Двусторонняя 4+4"))
    assert two_sided.sides == 2
    assert _check(tmp_path, pdf_bytes(94, 54, pages=2), "pdf", two_sided)["status"] == "ok"
    one_page = _check(tmp_path, pdf_bytes(94, 54, pages=1), "pdf", two_sided)
    assert one_page["status"] == "warning" and "оборотная сторона" in _texts(one_page)


def test_format_option_overrides_the_product_size(tmp_path, catalog):
    a5 = preflight.spec_for_ids(catalog.flyers, catalog.defaults(catalog.flyers, "A5 (148×210 мм)"))
    assert (a5.width_mm, a5.height_mm) == (148.0, 210.0)
    assert _check(tmp_path, pdf_bytes(152, 214), "pdf", a5)["status"] == "ok"
    assert _check(tmp_path, pdf_bytes(109, 152), "pdf", a5)["status"] == "error"  # an A6 layout


def test_trim_box_is_used_when_the_layout_declares_it(tmp_path, card_spec):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(100, 60)))
    page = writer.pages[0]
    page.trimbox = RectangleObject([5 * MM, 5 * MM, 95 * MM, 55 * MM])  # 90×50 trim inside a 100×60 sheet
    page.bleedbox = RectangleObject([3 * MM, 3 * MM, 97 * MM, 57 * MM])
    buffer = io.BytesIO()
    writer.write(buffer)
    assert _check(tmp_path, buffer.getvalue(), "pdf", card_spec)["status"] == "ok"

    page.bleedbox = RectangleObject([5 * MM, 5 * MM, 95 * MM, 55 * MM])
    buffer = io.BytesIO()
    writer.write(buffer)
    report = _check(tmp_path, buffer.getvalue(), "pdf", card_spec)
    assert report["status"] == "warning" and "нет вылетов" in _texts(report)

    page.trimbox = RectangleObject([0, 0, 85 * MM, 55 * MM])
    buffer = io.BytesIO()
    writer.write(buffer)
    report = _check(tmp_path, buffer.getvalue(), "pdf", card_spec)
    assert report["status"] == "error" and "TrimBox" in _texts(report)
    assert len(PdfReader(io.BytesIO(buffer.getvalue())).pages) == 1


def test_72_dpi_jpeg_warns_about_resolution(tmp_path, card_spec):
    size_px = (round(94 / 25.4 * 72), round(54 / 25.4 * 72))  # 94×54 mm at 72 dpi
    report = _check(tmp_path, jpeg_bytes(size_px, 72), "jpeg", card_spec)
    assert report["status"] == "warning"
    assert "Разрешение 72 dpi — меньше 300 dpi" in _texts(report)
    assert report["facts"]["dpi"] == [72, 72]


def test_300_dpi_image_with_bleed_passes_and_wrong_proportions_fail(tmp_path, card_spec):
    good = (round(94 / 25.4 * 300), round(54 / 25.4 * 300))
    assert _check(tmp_path, jpeg_bytes(good, 300), "jpeg", card_spec)["status"] == "ok"
    square = _check(tmp_path, jpeg_bytes((1200, 1200), 300), "jpeg", card_spec)
    assert square["status"] == "error" and "Пропорции изображения 1200×1200 px" in _texts(square)
    no_bleed = _check(tmp_path, jpeg_bytes((1063, 591), 300), "jpeg", card_spec)  # 90×50 mm
    assert no_bleed["status"] == "warning" and "Нет вылетов" in _texts(no_bleed)


def test_broken_pdf_and_unknown_kinds_are_reported(tmp_path, card_spec):
    assert _check(tmp_path, b"%PDF-1.4\nnot really", "pdf", card_spec)["status"] == "error"
    cdr = _check(tmp_path, b"RIFF\x00\x00\x00\x00CDR", "cdr", card_spec)
    assert cdr["status"] == "warning" and "CDR недоступна" in _texts(cdr)


def test_upload_to_cart_is_preflighted_and_errors_block_the_order_until_accepted(db_session, catalog, customer):
    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=customer.id)
    a4 = storage.store_bytes(db_session, data=pdf_bytes(210, 297), filename="a4.pdf", customer_id=customer.id)
    item = cart_service.add_item(
        db_session,
        cart,
        product=catalog.cards,
        quantity=100,
        option_value_ids=catalog.defaults(catalog.cards),
        layout=a4,
    )
    assert item.preflight["status"] == "error"
    db_session.commit()
    data = placing.CheckoutData(
        contact_name="Иван",
        contact_email=customer.email,
        contact_phone="+79990001122",
        delivery_method="pickup",
        payment_method="on_receipt",
        checkout_token=uuid.uuid4().hex,
    )
    with pytest.raises(ValidationError, match="не прошёл проверку.*печатать как есть"):
        placing.place_order(db_session, customer=customer, cart=cart, data=data)
    db_session.rollback()
    assert len(cart.items) == 1

    cart_service.accept_as_is(db_session, cart, item.id, accepted=True)
    order = placing.place_order(db_session, customer=customer, cart=cart, data=data)
    db_session.commit()
    line = order.product_lines[0]
    assert line.print_as_is is True and line.preflight["status"] == "error"


def test_accepting_a_layout_without_errors_is_refused(db_session, catalog, customer):
    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=customer.id)
    good = storage.store_bytes(db_session, data=pdf_bytes(94, 54), filename="ok.pdf", customer_id=customer.id)
    item = cart_service.add_item(
        db_session,
        cart,
        product=catalog.cards,
        quantity=100,
        option_value_ids=catalog.defaults(catalog.cards),
        layout=good,
    )
    with pytest.raises(ValidationError, match="нет ошибок"):
        cart_service.accept_as_is(db_session, cart, item.id, accepted=True)


def test_changing_the_format_in_the_cart_rechecks_the_layout(db_session, catalog, customer):
    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=customer.id)
    layout = storage.store_bytes(db_session, data=pdf_bytes(94, 54), filename="card.pdf", customer_id=customer.id)
    item = cart_service.add_item(
        db_session,
        cart,
        product=catalog.cards,
        quantity=100,
        option_value_ids=catalog.defaults(catalog.cards),
        layout=layout,
    )
    assert item.preflight["status"] == "ok"
    cart_service.change_options(
        db_session,
        cart,
        item.id,
        quantity=200,
        option_value_ids=catalog.defaults(catalog.cards, "Крафт 350 г/м²"),
    )
    assert item.preflight["status"] == "ok" and item.quantity == 200 and item.layout_file_id == layout.id
    cart_service.change_options(
        db_session, cart, item.id, quantity=200, option_value_ids=catalog.defaults(catalog.cards, "85×55 мм (евро)")
    )
    assert item.preflight["status"] == "error"
    assert item.preflight["spec"]["width_mm"] == 85.0


def test_thumbnail_of_a_pdf_is_rendered_and_cached(app, db_session, customer):
    pdf = FPDF(unit="mm", format=(94, 54))
    pdf.add_page()
    pdf.set_fill_color(220, 20, 20)
    pdf.rect(0, 0, 94, 54, style="F")
    stored = storage.store_bytes(db_session, data=bytes(pdf.output()), filename="red.pdf", customer_id=customer.id)
    path = thumbnails.thumbnail(stored)
    assert path is not None and path.is_relative_to(app.instance_path)
    with Image.open(path) as image:
        assert max(image.size) == thumbnails.SIZE
        red, green, blue = image.convert("RGB").getpixel((image.width // 2, image.height // 2))
        assert red > 200 and green < 60 and blue < 60
    mtime = path.stat().st_mtime_ns
    assert thumbnails.thumbnail(stored) == path and path.stat().st_mtime_ns == mtime


def test_thumbnail_of_an_image_and_of_an_undrawable_file(db_session, customer):
    png = io.BytesIO()
    Image.new("RGB", (1000, 500), (0, 128, 0)).save(png, format="PNG")
    stored = storage.store_bytes(db_session, data=png.getvalue(), filename="g.png", customer_id=customer.id)
    with Image.open(thumbnails.thumbnail(stored)) as image:
        assert image.size == (320, 160)
    eps = storage.store_bytes(
        db_session,
        data=b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 266 153\n",
        filename="a.eps",
        customer_id=customer.id,
    )
    assert thumbnails.thumbnail(eps) is None


@pytest.mark.parametrize(
    ("kind", "found"),
    [("javascript", "JavaScript"), ("launch", "запуск программ"), ("attachment", "вложенные файлы")],
)
def test_active_content_in_a_pdf_is_an_error(tmp_path, card_spec, kind, found):
    report = _check(tmp_path, pdf_with_active_content(kind, pdf_bytes(94, 54)), "pdf", card_spec)
    assert report["status"] == "error" and found in report["facts"]["active_content"]
    assert "активное содержимое" in _texts(report) and found in _texts(report)
    assert preflight.blocks_ordering(report, print_as_is=False)


def test_an_open_action_that_only_shows_the_first_page_is_not_active_content(tmp_path, card_spec):
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(94, 54)))
    writer._root_object[NameObject("/OpenAction")] = ArrayObject(
        [writer.pages[0].indirect_reference, NameObject("/Fit")]
    )
    out = io.BytesIO()
    writer.write(out)
    report = _check(tmp_path, out.getvalue(), "pdf", card_spec)
    assert report["status"] == "ok" and "active_content" not in report["facts"]


def test_a_layout_with_javascript_blocks_the_order_until_accepted_and_staff_see_the_finding(
    app, staff_client, db_session, catalog, customer
):
    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=customer.id)
    ids = catalog.defaults(catalog.cards)
    layout = storage.store_bytes(
        db_session,
        data=pdf_with_active_content("javascript", pdf_bytes(94, 54)),
        filename="js.pdf",
        customer_id=customer.id,
    )
    item = cart_service.add_item(
        db_session, cart, product=catalog.cards, quantity=100, option_value_ids=ids, layout=layout
    )
    assert item.preflight["status"] == "error" and item.preflight["facts"]["active_content"] == ["JavaScript"]
    db_session.commit()
    data = placing.CheckoutData(
        contact_name="Иван",
        contact_email=customer.email,
        contact_phone="+79990001122",
        delivery_method="pickup",
        payment_method="on_receipt",
        checkout_token=uuid.uuid4().hex,
    )
    with pytest.raises(ValidationError, match="не прошёл проверку"):
        placing.place_order(db_session, customer=customer, cart=cart, data=data)
    db_session.rollback()
    cart_service.accept_as_is(db_session, cart, item.id, accepted=True)
    order = placing.place_order(db_session, customer=customer, cart=cart, data=data)
    db_session.commit()

    login_staff(staff_client, make_staff(app, "Operator"))
    page = staff_client.get(f"/admin/orderview/show/{order.id}").get_data(as_text=True)
    assert 'data-testid="admin-active-content"' in page
    assert "В PDF есть активное содержимое (JavaScript)" in page


def test_a_decompression_bomb_stored_before_uploads_were_bounded_is_reported_not_raised(tmp_path, card_spec):
    report = _check(tmp_path, bomb_png(), "png", card_spec)
    assert report["status"] == "error" and "слишком большое" in _texts(report)


def test_a_failed_layout_is_replaced_on_the_cart_line_and_checkout_keeps_its_summary(
    app, client, db_session, catalog, customer
):
    from tests.factories import login_customer

    login_customer(client, customer.email)
    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=customer.id)
    a4 = storage.store_bytes(db_session, data=pdf_bytes(210, 297), filename="a4.pdf", customer_id=customer.id)
    item = cart_service.add_item(
        db_session,
        cart,
        product=catalog.cards,
        quantity=100,
        option_value_ids=catalog.defaults(catalog.cards),
        layout=a4,
    )
    item.print_as_is = False
    db_session.commit()
    cart_page = client.get("/cart/").get_data(as_text=True)
    assert f'action="/cart/items/{item.id}/layout"' in cart_page and "Заменить макет" in cart_page
    # Checkout cannot place it, but its summary still lists the line and says what to do.
    checkout = client.get("/checkout/").get_data(as_text=True)
    assert 'data-testid="checkout-lines"' in checkout and "Визитки стандартные, 100 шт." in checkout
    assert "замените файл или подтвердите печать как есть" in checkout

    # No file: refused, nothing changes.
    response = client.post(f"/cart/items/{item.id}/layout", data={}, follow_redirects=True)
    assert "Выберите файл макета." in response.get_data(as_text=True)
    db_session.expire_all()
    assert item.layout_file_id == a4.id and item.preflight["status"] == "error"

    good = (io.BytesIO(pdf_bytes(94, 54)), "vizitka-94x54.pdf")
    response = client.post(
        f"/cart/items/{item.id}/layout",
        data={"layout": good},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Макет заменён и проверен заново." in page and "vizitka-94x54.pdf" in page
    db_session.expire_all()
    assert item.layout_file.original_name == "vizitka-94x54.pdf" and item.preflight["status"] != "error"
    assert "Подтвердить заказ" in client.get("/checkout/").get_data(as_text=True)


def test_a_layout_cannot_be_put_on_another_customers_cart_line(
    app, client, db_session, catalog, customer, other_customer
):
    from tests.factories import login_customer

    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=customer.id)
    item = cart_service.add_item(
        db_session, cart, product=catalog.cards, quantity=100, option_value_ids=catalog.defaults(catalog.cards),
        layout=storage.store_bytes(db_session, data=pdf_bytes(94, 54), filename="mine.pdf", customer_id=customer.id),
    )  # fmt: skip
    db_session.commit()
    login_customer(client, other_customer.email)
    good = (io.BytesIO(pdf_bytes(94, 54)), "chuzhoj.pdf")
    response = client.post(
        f"/cart/items/{item.id}/layout",
        data={"layout": good},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Позиция не найдена" in response.get_data(as_text=True) or "Корзина пуста" in response.get_data(as_text=True)
    db_session.expire_all()
    assert item.layout_file.original_name == "mine.pdf"
