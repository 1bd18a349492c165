"""Label PDFs: every format's page size, the text parsed back, the QR codes decoded by zbarimg."""

import io
import math
import shutil
import subprocess
from datetime import date

import pytest
from pypdf import PdfReader

from app.reports import labels
from app.reports.labels import FORMATS, LabelData, label_data, number_from_scan, render_labels
from app.services.errors import ValidationError
from tests.factories import place_order

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
MM = 72 / 25.4


def sample(n: int) -> list[LabelData]:
    names = ["Анастасия Константинопольская", "Иван Петров", "ООО «Ромашка», Кузнецова Анна"]
    return [
        LabelData(
            order_id=i,
            number=f"2026-{i:06d}",
            name=names[i % 3],
            phone="+7 916 555-44-33",
            delivery="Самовывоз" if i % 2 else "Курьер: Москва, ул. Большая Полянка, д. 28, корп. 2, кв. 117",
            items="Визитки стандартные — 500 шт.",
            packages=i % 4 + 1,
            due_date=date(2026, 12, 3) if i % 2 else None,
        )
        for i in range(1, n + 1)
    ]


def pdftotext(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def decoded_qr_codes(pdf: bytes, fmt, tmp_path) -> list[str]:
    """Render the first page at 300 dpi and decode each label's code on its own, as a scanner reads a label."""
    from PIL import Image

    if not shutil.which("zbarimg"):
        pytest.skip("zbarimg (zbar-tools) is not installed")
    subprocess.run(
        ["pdftoppm", "-r", "300", "-png", "-f", "1", "-l", "1", "-", str(tmp_path / "page")], input=pdf, check=True
    )
    page = Image.open(next(tmp_path.glob("page*.png")))
    width, height = page.width / fmt.cols, page.height / fmt.rows
    codes = []
    for row in range(fmt.rows):
        for col in range(fmt.cols):
            cell = tmp_path / f"cell-{row}-{col}.png"
            page.crop((int(col * width), int(row * height), int((col + 1) * width), int((row + 1) * height))).save(cell)
            result = subprocess.run(["zbarimg", "--raw", "-q", str(cell)], capture_output=True, text=True)
            codes.extend(result.stdout.split())
    return sorted(codes)


@pytest.mark.parametrize(
    "key, per_page, page_mm",
    [
        ("thermal_58x40", 1, (58, 40)),
        ("label_100x150", 1, (100, 150)),
        ("a4_2x4", 8, (210, 297)),
        ("a4_3x8", 24, (210, 297)),
    ],
)
def test_each_format_has_its_page_size_text_and_readable_codes(key, per_page, page_mm, tmp_path):
    data = sample(10)
    pdf = render_labels(data, FORMATS[key], font_regular=FONT, font_bold=FONT_BOLD)
    reader = PdfReader(io.BytesIO(pdf))
    printed = labels.per_package(data)  # one label per package: 25 for these ten orders
    assert len(printed) == sum(label.packages for label in data) == 25
    assert len(reader.pages) == math.ceil(25 / per_page)
    box = reader.pages[0].mediabox
    assert (round(float(box.width) / MM), round(float(box.height) / MM)) == page_mm
    text = pdftotext(pdf)
    for label in data:
        assert label.number in text
    assert "Иван Петров" in text and "Самовывоз" in text and "03.12.2026" in text
    assert "Место 1 из 4" in text and "Место 4 из 4" in text and "Мест: " not in text
    on_first_page = [label.number for label in printed[:per_page]]
    assert decoded_qr_codes(pdf, FORMATS[key], tmp_path) == sorted(on_first_page)


def test_labels_of_real_orders_carry_their_data(db_session, catalog, customer, other_customer):
    pickup = place_order(db_session, customer, catalog.cards)
    courier = place_order(
        db_session, other_customer, catalog.flyers, delivery="courier", address="Москва, ул. Тверская, д. 7, кв. 12"
    )
    found = label_data(db_session, [courier.id, pickup.id, 999999])
    assert [label.number for label in found] == [pickup.number, courier.number]
    assert found[0].delivery == "Самовывоз" and found[0].phone == "+7 999 000-11-22"
    assert found[1].delivery == "Курьер: Москва, ул. Тверская, д. 7, кв. 12"
    assert found[1].items == "Листовки — 100 шт." or found[1].items.startswith("Листовки — ")
    text = pdftotext(render_labels(found, FORMATS["a4_3x8"], font_regular=FONT, font_bold=FONT_BOLD))
    assert "Покупатель Первый" in text and "Покупатель Второй" in text and "Тверская" in text


def test_a_missing_font_is_a_clear_message(tmp_path):
    with pytest.raises(ValidationError, match="Не найден шрифт для PDF: .*nope.ttf.*PDF_FONT_REGULAR"):
        render_labels(sample(1), FORMATS["a4_2x4"], font_regular=str(tmp_path / "nope.ttf"), font_bold=FONT_BOLD)
    with pytest.raises(ValidationError, match="PDF_FONT_BOLD"):
        render_labels(sample(1), FORMATS["a4_2x4"], font_regular=FONT, font_bold="")
    with pytest.raises(ValidationError, match="формат"):
        labels.label_format("a5")


def test_long_text_is_cut_with_an_ellipsis_not_spilled(tmp_path):
    long = LabelData(
        1,
        "2026-000001",
        "Я" * 80,
        "+7 916 555-44-33",
        "Курьер: " + "очень длинный адрес " * 20,
        "Позиций: 9. " + "Листовки — 1000 шт.; " * 30,
        1,
        None,
    )
    text = pdftotext(render_labels([long], FORMATS["thermal_58x40"], font_regular=FONT, font_bold=FONT_BOLD))
    assert "…" in text and "2026-000001" in text
    assert text.count("очень длинный адрес") < 20


@pytest.mark.parametrize(
    "scanned, number",
    [
        ("2026-000123", "2026-000123"),
        (" 2026-000123\n", "2026-000123"),
        ("2026000123", "2026-000123"),
        ("ЗАКАЗ:2026-000123", "2026-000123"),
        ("ivan@example.ru", None),
        ("79990001122", None),
    ],
)
def test_a_scanned_label_code_gives_the_order_number(scanned, number):
    assert number_from_scan(scanned) == number
    assert number_from_scan(labels.qr_payload("2026-000777")) == "2026-000777"


def test_a_long_address_and_recipient_are_printed_in_full_on_100x150(tmp_path):
    address = (
        "Курьер: 119002, Москва, переулок Сивцев Вражек, д. 43, строение 2, подъезд 3, этаж 5, офис 512 "
        "(ООО «Альфа-Полиграф-Сервис»); получатель: Константин Константинопольский-Римский, +7 916 555-44-33; "
        "позвонить за час, домофон 512К"
    )
    label = LabelData(
        1, "2026-000123", "Анастасия Константинопольская-Римская", "+7 916 555-44-33", address,
        "Визитки стандартные — 500 шт.", 2, date(2026, 12, 4),
    )  # fmt: skip
    pdf = render_labels([label], FORMATS["label_100x150"], font_regular=FONT, font_bold=FONT_BOLD)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    text = pdftotext(pdf)
    assert "…" not in text
    flat = " ".join(text.split())
    for words in ("Константинопольская-Римская", "строение 2, подъезд 3, этаж 5", "позвонить за час, домофон 512К"):
        assert words in flat, words
    assert "Место 1 из 2" in text and "Место 2 из 2" in text


def test_an_order_in_two_packages_gets_two_labels(db_session, catalog, customer):
    from app.services.actors import Actor
    from app.services.orders.history import acting

    order = place_order(db_session, customer, catalog.cards)
    with acting(db_session, Actor.system("test")):
        order.packages = 2
    db_session.commit()
    found = label_data(db_session, [order.id])
    pdf = render_labels(found, FORMATS["label_100x150"], font_regular=FONT, font_bold=FONT_BOLD)
    text = pdftotext(pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 2
    assert text.count(order.number) == 2 and "Место 1 из 2" in text and "Место 2 из 2" in text
