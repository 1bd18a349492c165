"""Closing-document PDFs drawn from data: each parses back with its requisites, sums and amount in words, renders
with pdftoppm, and the счёт's QR code decodes to the exact ГОСТ Р 56042-2014 string."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.reports.document_pdf import render_document
from app.services.documents.data import DocLine, DocRef, StatementRow, amount_in_words, payment_qr_payload, plural
from app.services.errors import ValidationError
from tests.document_helpers import (
    BUYER,
    FONT,
    FONT_BOLD,
    SELLER,
    decode_qr,
    pdftotext,
    render_pages,
    sample,
    sample_lines,
)


def render(data):  # noqa: ANN001, ANN201
    return render_document(data, font_regular=FONT, font_bold=FONT_BOLD)


@pytest.mark.parametrize(
    ("amount", "words"),
    [
        ("1220.00", "Одна тысяча двести двадцать рублей 00 копеек"),
        ("21.01", "Двадцать один рубль 01 копейка"),
        ("2002.22", "Две тысячи два рубля 22 копейки"),
        ("11.11", "Одиннадцать рублей 11 копеек"),
        ("0.05", "Ноль рублей 05 копеек"),
        ("5219.00", "Пять тысяч двести девятнадцать рублей 00 копеек"),
    ],
)
def test_amount_in_words_has_plurals_feminine_thousands_and_two_digit_kopecks(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_plural_forms_follow_russian_rules():
    forms = ("рубль", "рубля", "рублей")
    assert [plural(n, forms) for n in (1, 2, 5, 11, 12, 21, 22, 25, 111, 101)] == [
        "рубль",
        "рубля",
        "рублей",
        "рублей",
        "рублей",
        "рубль",
        "рубля",
        "рублей",
        "рублей",
        "рубль",
    ]


def test_the_payment_qr_string_follows_gost_r_56042_with_the_sum_in_kopecks():
    payload = payment_qr_payload(sample("invoice"))
    assert payload == (
        "ST00012|Name=Общество с ограниченной ответственностью «Печатный двор»|PersonalAcc=40702810200000000001"
        "|BankName=ПАО СБЕРБАНК|BIC=044525225|CorrespAcc=30101810400000000225|PayeeINN=1234567894"
        "|KPP=123401001|Sum=521900|Purpose=Оплата по счёту № 15 от 20.11.2026, в т.ч. НДС 22% 941,13"
    )
    no_vat = sample("invoice", lines=1, seller=replace(SELLER, name="ИП Пе|тров", kpp=""))
    no_vat = replace(no_vat, lines=(DocLine("Визитки", 100, Decimal("990.50"), Decimal("0.00"), None),))
    text = payment_qr_payload(no_vat)
    assert "|KPP=" not in text and "Name=ИП Пе/тров|" in text
    assert text.endswith("|Sum=99050|Purpose=Оплата по счёту № 15 от 20.11.2026, НДС не облагается")


def test_an_invoice_reads_back_with_bank_block_sums_words_and_a_qr_a_bank_app_decodes(tmp_path):
    data = sample("invoice")
    pdf = render(data)
    text = pdftotext(pdf)
    for needle in (
        "Счёт на оплату № 15 от 20 ноября 2026 г.",
        "ПАО СБЕРБАНК",
        "БИК",
        "044525225",
        "30101810400000000225",
        "40702810200000000001",
        "ИНН 1234567894",
        "КПП 123401001",
        "Получатель",
        "Банк получателя",
        "ООО «Ромашка», ИНН 7707083893, КПП 773601001",
        "Заказ № 2026-000123 от 18.11.2026",
        "1 220,00",
        "3 599,00",
        "Итого: 5 219,00",
        "В том числе НДС (22%): 941,13",
        "Всего к оплате: 5 219,00",
        "Всего наименований 3, на сумму 5 219,00 руб.",
        "Пять тысяч двести девятнадцать рублей 00 копеек",
        "Смирнов А. В.",
        "Кузнецова Е. П.",
    ):
        assert needle in text, needle
    pages = render_pages(pdf, tmp_path, dpi=200)
    assert len(pages) == 1
    assert decode_qr(pages[0]) == [payment_qr_payload(data)]


def test_a_upd_status_1_has_every_line_of_the_form_and_the_transfer_part(tmp_path):
    pdf = render(sample("upd", upd_status=1))
    text = pdftotext(pdf)
    for needle in (
        "Универсальный передаточный документ",
        "Статус: 1",
        "Счёт-фактура № 15 от 20.11.2026",
        "(1а)",
        "Продавец: Общество с ограниченной ответственностью «Печатный двор»",
        "(2а)",
        "ИНН/КПП продавца: 1234567894/123401001",
        "Грузоотправитель и его адрес: он же",
        "(5а)",
        "(5б)",
        "ИНН/КПП покупателя: 7707083893/773601001",
        "Российский рубль, 643",
        "(8)",
        "Всего к оплате (9)",
        "4 277,87",
        "941,13",
        "5 219,00",
        "в рублях и копейках",
        "23.01.2026 № 26",
        "Руководитель организации или иное уполномоченное лицо",
        "Главный бухгалтер или иное уполномоченное лицо",
        "Товар (груз) передал",
        "[10]",
        "[19]",
        "Дата отгрузки, передачи (сдачи)",
        "20 ноября 2026 г.",
        "Пять тысяч двести девятнадцать рублей 00 копеек",
    ):
        assert needle in text, needle
    render_pages(pdf, tmp_path)


def test_before_april_2026_the_form_has_no_line_5b_and_the_old_column_14_caption(tmp_path):
    text = pdftotext(render(sample("upd", upd_status=1, day=date(2026, 3, 31))))
    assert "(5б)" not in text and "в рублях и копейках" not in text and "№ 1096" in text


def test_a_upd_status_2_has_no_invoice_signatures(tmp_path):
    data = sample("upd", upd_status=2, seller=replace(SELLER, vat_payer=False))
    text = pdftotext(render(data))
    assert "Статус: 2" in text and "Передаточный документ (акт) № 15" in text
    assert "Главный бухгалтер или иное уполномоченное лицо" not in text


def test_an_individual_entrepreneur_signs_once_with_ogrnip_and_its_date():
    ip = replace(
        SELLER,
        name="Индивидуальный предприниматель Петров Пётр Петрович",
        inn="123456789047",
        kpp="",
        ogrn="309565808600188",
        ogrn_date="15.03.2009",
        is_individual=True,
        director="Петров П. П.",
    )
    text = pdftotext(render(sample("vat_invoice", seller=ip)))
    assert "Индивидуальный предприниматель или иное уполномоченное лицо" in text
    assert "ОГРНИП 309565808600188 от 15.03.2009" in text
    assert "Главный бухгалтер" not in text


def test_an_act_has_both_parties_the_sums_and_the_no_claims_sentence(tmp_path):
    pdf = render(sample("act"))
    text = pdftotext(pdf)
    for needle in (
        "Акт № 15 от 20 ноября 2026 г.",
        "Исполнитель:",
        "Заказчик:",
        "Всего оказано услуг 3",
        "претензий по объёму, качеству и срокам",
        "ИСПОЛНИТЕЛЬ",
        "ЗАКАЗЧИК",
        "Иванов И. И.",
        "5 219,00",
    ):
        assert needle in text, needle
    render_pages(pdf, tmp_path)


def test_a_correction_shows_before_after_and_the_decrease(tmp_path):
    lines = sample("upd").lines
    after = (lines[0], replace(lines[1], quantity=0, total=Decimal("0.00"), vat=Decimal("0.00")), lines[2])
    data = sample(
        "correction", upd_status=1, lines=after, lines_before=lines, corrected=DocRef("УПД", "15", date(2026, 11, 20))
    )
    pdf = render(data)
    text = pdftotext(pdf)
    for needle in (
        "Универсальный корректировочный документ",
        "Корректировочный счёт-фактура № 15",
        "к счёту-фактуре (счетам-фактурам) № 15 от 20.11.2026 (УПД)",
        "А (до изменения)",
        "Б (после изменения)",
        "В (увеличение)",
        "Г (уменьшение)",
        "Всего уменьшение (сумма строк Г)",
        "2 950,00 Х Х 649,00 3 599,00",
    ):
        assert needle in text, needle
    render_pages(pdf, tmp_path)


def test_a_statement_shows_opening_rows_turnover_and_closing_balance(tmp_path):
    data = sample(
        "statement",
        period_from=date(2026, 11, 1),
        period_to=date(2026, 11, 30),
        opening=Decimal("1000.00"),
        rows=(
            StatementRow(date(2026, 11, 5), "Оплата, заказ № 2026-000100", credit=Decimal("1000.00")),
            StatementRow(date(2026, 11, 20), "Реализация (УПД № 15), заказ № 2026-000123", debit=Decimal("5219.00")),
        ),
    )
    assert data.closing == Decimal("5219.00")
    text = pdftotext(render(data))
    for needle in (
        "Акт сверки взаимных расчётов № 15",
        "за период с 01.11.2026 по 30.11.2026",
        "Сальдо начальное 1 000,00",
        "Обороты за период 5 219,00 1 000,00",
        "Сальдо конечное 5 219,00",
        "задолженность в пользу ООО «Печатный двор» составляет 5 219,00 руб.",
    ):
        assert needle in text, needle


def test_twenty_lines_flow_onto_a_second_page_and_still_render(tmp_path):
    pdf = render(sample("upd", upd_status=1, lines=20))
    assert len(render_pages(pdf, tmp_path, dpi=50)) >= 1
    assert "Всего к оплате (9)" in pdftotext(pdf)


def test_a_missing_font_is_a_clear_message():
    with pytest.raises(ValidationError, match="PDF_FONT_REGULAR"):
        render_document(sample("act"), font_regular="/nonexistent.ttf", font_bold=FONT_BOLD)


def test_buyer_party_keeps_requisites_line():
    assert BUYER.requisites_line.startswith("ООО «Ромашка», ИНН 7707083893, КПП 773601001")


def test_each_pdf_embeds_a_valid_font_with_the_outlines_of_its_own_characters_only():
    """The parsed font is shared by every PDF of the process; each PDF's font file keeps the glyph numbering and
    carries outlines only for what that PDF prints (checksums valid, so strict readers accept it)."""
    import io

    from fontTools.ttLib import TTFont
    from pypdf import PdfReader

    def embedded(pdf: bytes) -> dict[str, TTFont]:
        fonts = {}
        for page in PdfReader(io.BytesIO(pdf)).pages:
            for ref in page["/Resources"]["/Font"].values():
                cid_font = ref.get_object()["/DescendantFonts"][0].get_object()
                descriptor = cid_font["/FontDescriptor"].get_object()
                assert cid_font["/CIDToGIDMap"] == "/Identity"
                fonts[str(cid_font["/BaseFont"])] = TTFont(
                    io.BytesIO(descriptor["/FontFile2"].get_object().get_data()), checkChecksums=2
                )
        return fonts

    def act(name: str) -> bytes:
        return render(replace(sample("act", lines=1), lines=(DocLine(name, 1, Decimal("10.00"), Decimal("0"), None),)))

    first = act("Щётка")
    second = act("Жёлудь")
    for pdf, used, unused in ((first, "Щ", "Ж"), (second, "Ж", "Щ")):
        regular = next(font for name, font in embedded(pdf).items() if "Bold" not in name)
        glyf, cmap = regular["glyf"], regular.getBestCmap()
        assert glyf[cmap[ord(used)]].numberOfContours > 0
        assert glyf[cmap[ord(unused)]].numberOfContours == 0
    assert "Щётка" in pdftotext(first) and "Жёлудь" in pdftotext(second)


def test_an_advance_invoice_has_the_payment_the_calculated_rate_and_no_quantities(tmp_path):
    from app.reports.document_pdf import advance_rate_label

    lines = tuple(replace(line, name=f"Предварительная оплата: {line.name}", quantity=0) for line in sample_lines(3))
    data = sample("advance_invoice", lines=lines, payment_docs=(DocRef("Оплата", "2026-000123", date(2026, 11, 19)),))
    text = pdftotext(render(data))
    for needle in (
        "Счёт-фактура № 15 от 20.11.2026",
        "К платёжно-расчётному документу № 2026-000123 от 19.11.2026",
        "Грузоотправитель и его адрес: —",
        "Грузополучатель и его адрес: —",
        "Документ об отгрузке —",
        "22/122 220,00 1 220,00",
        "22/122 649,00 3 599,00",
        "22/122 72,13 400,00",
        "Всего к оплате (9) — Х Х 941,13 5 219,00",
    ):
        assert needle in text, needle
    assert " 500 " not in text and "Универсальный" not in text and "Статус" not in text
    render_pages(render(data), tmp_path)
    assert [advance_rate_label(Decimal(r)) for r in ("22", "20.00", "10", "5", "7")] == [
        "22/122",
        "20/120",
        "10/110",
        "5/105",
        "7/107",
    ]
    assert advance_rate_label(None) == "без НДС"
