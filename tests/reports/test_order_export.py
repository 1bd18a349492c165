"""CSV export for Russian Excel: BOM, semicolons, decimal commas, no formulas smuggled in."""

import csv
import io

from app.reports.order_export import COLUMNS, export_rows, to_csv
from tests.factories import place_order


def test_export_is_utf8_with_bom_semicolons_and_decimal_commas(db_session, catalog, customer, other_customer):
    first = place_order(db_session, customer, catalog.cards)
    second = place_order(
        db_session, other_customer, catalog.flyers, delivery="courier", address='=HYPERLINK("http://x") Москва, 1'
    )
    data = to_csv(export_rows(db_session, [second.id, first.id]))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == list(COLUMNS)
    assert [r[0] for r in rows[1:]] == [first.number, second.number]
    row = dict(zip(COLUMNS, rows[1], strict=True))
    assert row["Статус"] == "Новый" and row["Получение"] == "Самовывоз" and row["Получатель"] == "Покупатель Первый"
    assert row["Сумма, ₽"] == "790,00" and row["Телефон"] == "8 999 000-11-22"
    assert row["Позиции"] == "Визитки стандартные — 100 шт."
    assert dict(zip(COLUMNS, rows[2], strict=True))["Адрес"].startswith("'=HYPERLINK")
