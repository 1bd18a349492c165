"""Requisites: published valid examples pass, every single-digit corruption fails, messages are per field."""

import pytest
from stdnum.ru import ogrn as stdnum_ogrn

from app.services.companies import requisites
from app.services.errors import ValidationError

INN10 = ["7707083893", "1234567894"]
INN12 = ["123456789047", "302502032671"]
OGRN = ["1027700132195", "5077746725964"]
OGRNIP = ["309565808600188", "385768585948949"]
BIK, KS, RS = "044525225", "30101810400000000225", "40702810200000000001"


def corruptions(value: str):
    """Every number that differs from `value` in exactly one digit."""
    for i, digit in enumerate(value):
        for other in "0123456789":
            if other != digit:
                yield value[:i] + other + value[i + 1 :]


def ogrnip_with_remainder(remainder: int) -> str:
    """A valid ОГРНИП whose 14-digit body gives this remainder mod 13 (10, 11 or 12 for the stdnum bug)."""
    body = 30956580860000
    while body % 13 != remainder:
        body += 1
    return f"{body}{remainder % 10}"


@pytest.mark.parametrize("value", INN10 + INN12)
def test_published_inn_examples_are_valid_and_every_one_digit_typo_is_caught(value):
    assert requisites.inn_is_valid(value)
    assert [v for v in corruptions(value) if requisites.inn_is_valid(v)] == []
    assert not requisites.inn_is_valid("1234567895")


def test_inn_checks_each_control_digit():
    for value in INN10:
        assert not requisites.inn_is_valid(value[:9] + str((int(value[9]) + 1) % 10))
    for value in INN12:
        assert not requisites.inn_is_valid(value[:10] + str((int(value[10]) + 1) % 10) + value[11])
        assert not requisites.inn_is_valid(value[:11] + str((int(value[11]) + 1) % 10))


@pytest.mark.parametrize("value", OGRN)
def test_ogrn_examples_and_corruptions(value):
    assert requisites.ogrn_is_valid(value)
    assert not requisites.ogrn_is_valid(value[:12] + str((int(value[12]) + 1) % 10))
    assert [v for v in corruptions(value) if requisites.ogrn_is_valid(v)] == []
    assert not requisites.ogrn_is_valid("1022500001328")
    assert not requisites.ogrn_is_valid("0" + value[1:])


@pytest.mark.parametrize("value", OGRNIP)
def test_ogrnip_examples_and_corruptions(value):
    assert requisites.ogrnip_is_valid(value)
    assert not requisites.ogrnip_is_valid(value[:14] + str((int(value[14]) + 1) % 10))
    assert [v for v in corruptions(value) if requisites.ogrnip_is_valid(v)] == []


@pytest.mark.parametrize("remainder", [10, 11, 12])
def test_ogrnip_with_remainder_of_ten_or_more_is_valid_although_stdnum_rejects_it(remainder):
    value = ogrnip_with_remainder(remainder)
    assert int(value[:14]) % 13 == remainder
    assert requisites.ogrnip_is_valid(value)
    assert not stdnum_ogrn.is_valid(value)  # python-stdnum 2.2 omits the final % 10
    assert requisites.check_ogrn(value, individual=True) == value
    assert not requisites.ogrnip_is_valid(value[:14] + str((remainder + 1) % 10))


def test_bank_accounts_are_checked_against_the_bik():
    assert requisites.correspondent_account_is_valid(KS, BIK)
    assert requisites.settlement_account_is_valid(RS, BIK)
    for wrong in corruptions(KS):
        assert not requisites.correspondent_account_is_valid(wrong, BIK)
    for wrong in corruptions(RS):
        assert not requisites.settlement_account_is_valid(wrong, BIK)
    # The same accounts do not fit another bank's BIK.
    assert not requisites.correspondent_account_is_valid(KS, "044030653")
    assert not requisites.settlement_account_is_valid(RS, "044525974")
    assert not requisites.bik_is_valid("04452522") and not requisites.bik_is_valid("04452522A")


@pytest.mark.parametrize("value", ["044525225", "040349602"])
def test_a_bik_starts_with_the_russian_country_code(value):
    assert requisites.check_bik(value) == value
    for country in ("00", "14", "99", "40"):
        assert not requisites.bik_is_valid(country + value[2:])


@pytest.mark.parametrize(
    "value, valid",
    [
        ("773601001", True),
        ("7736AB001", True),
        ("0036010O1", False),
        ("003601001", False),
        ("77360100", False),
        ("7736ab001", False),
        ("773650001", True),  # reason 50: the last code of a Russian organisation
        ("773600001", False),  # reason 00 does not exist
        ("773651001", False),  # 51–99: foreign organisations
        ("773699001", False),
    ],
)
def test_kpp_pattern_and_reason_code_range(value, valid):
    assert requisites.kpp_is_valid(value) is valid


@pytest.mark.parametrize(
    "call, field, text",
    [
        (lambda: requisites.check_inn("77070838", individual=False), "inn", "ИНН организации — 10 цифр."),
        (lambda: requisites.check_inn("7707083894", individual=False), "inn", "контрольная цифра"),
        (lambda: requisites.check_inn("7707083893", individual=True), "inn", "12 цифр"),
        (lambda: requisites.check_kpp("77360100"), "kpp", "КПП — 9 знаков"),
        (lambda: requisites.check_ogrn("1027700132196", individual=False), "ogrn", "ОГРН с ошибкой"),
        (lambda: requisites.check_ogrn("509565808600188", individual=True), "ogrn", "начинается с цифры 3"),
        (lambda: requisites.check_bik("0445"), "bik", "БИК — 9 цифр."),
        (lambda: requisites.check_bik("144525225"), "bik", "БИК российского банка начинается с «04»"),
        (lambda: requisites.check_kpp("773699001"), "kpp", "код причины постановки (5-й и 6-й знаки) «99»"),
        (lambda: requisites.check_settlement_account("40702810200000000002", BIK), "settlement_account", "не сходится"),
        (
            lambda: requisites.check_correspondent_account("3010181040000000022", BIK),
            "correspondent_account",
            "20 цифр",
        ),
    ],
)
def test_each_field_has_its_own_russian_message(call, field, text):
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field
    assert text in caught.value.message


def test_spaces_people_type_are_accepted():
    assert requisites.check_inn(" 7707 083 893 ", individual=False) == "7707083893"
    assert requisites.check_settlement_account("40702 810 2 0000 0000001", BIK) == RS
