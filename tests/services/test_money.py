"""VAT extraction "в том числе" and discount allocation: the published test vectors."""

from decimal import Decimal as D

import pytest

from app.services.money import allocate, extract_vat, format_money, to_money


@pytest.mark.parametrize(
    ("gross", "rate", "net", "vat"),
    [
        (D("1220.00"), D("22"), D("1000.00"), D("220.00")),
        (D("100.00"), D("22"), D("81.97"), D("18.03")),
        (D("120.00"), D("20"), D("100.00"), D("20.00")),
        (D("110.00"), D("10"), D("100.00"), D("10.00")),
        (D("500.00"), None, D("500.00"), D("0.00")),
        (D("0.01"), D("22"), D("0.01"), D("0.00")),
    ],
)
def test_vat_is_extracted_from_gross_half_up(gross, rate, net, vat):
    assert extract_vat(gross, rate) == (net, vat)
    assert net + vat == gross


def test_vat_of_seven_lines_is_summed_per_line_not_per_document():
    lines = [extract_vat(D("10.00"), D("22"))[1] for _ in range(7)]
    assert sum(lines) == D("12.60")
    assert extract_vat(D("70.00"), D("22"))[1] == D("12.62")


def test_allocation_sums_exactly_and_is_proportional():
    parts = allocate(D("100.00"), [D("1"), D("1"), D("1")])
    assert parts == [D("33.34"), D("33.33"), D("33.33")]
    assert sum(allocate(D("0.05"), [D("3"), D("7")])) == D("0.05")
    assert allocate(D("10.00"), [D("0"), D("0")]) == [D("0.00"), D("0.00")]


def test_money_never_accepts_float_and_formats_russian_style():
    with pytest.raises(TypeError):
        to_money(1.5)  # type: ignore[arg-type]
    assert format_money(D("1220")) == "1\u00a0220,00\u00a0₽"
