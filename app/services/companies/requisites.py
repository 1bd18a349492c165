"""Russian company requisites: formats and check digits of ИНН, КПП, ОГРН, ОГРНИП, БИК and bank accounts.

The algorithms follow the reference in shared/reference/accounting-ru.md §6. python-stdnum is not used
for ОГРНИП: version 2.2 omits the final `% 10` and rejects valid numbers whose remainder is 10, 11 or 12.
Each `check_*` returns the normalised value or raises ValidationError with a Russian message for its field.
"""

from __future__ import annotations

import re

from app.services.errors import ValidationError

INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_11 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
INN12_WEIGHTS_12 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
ACCOUNT_WEIGHTS = (7, 1, 3)
KPP_PATTERN = re.compile(r"^([0-9][1-9]|[1-9][0-9])[0-9]{2}[0-9A-Z]{2}[0-9]{3}$")
KPP_RUSSIAN_REASONS = 50
BIK_COUNTRY = "04"  # the first two digits of every Russian bank's БИК
SPACES = re.compile(r"[\s\u00a0-]+")


def _digits(value: str | None) -> str:
    """Spaces, non-breaking spaces and dashes people type between groups are dropped."""
    return SPACES.sub("", value or "")


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False)) % 11 % 10


def inn_is_valid(value: str) -> bool:
    if not value.isdigit() or not value.isascii():
        return False
    if len(value) == 10:
        return _weighted(value, INN10_WEIGHTS) == int(value[9])
    if len(value) == 12:
        return _weighted(value, INN12_WEIGHTS_11) == int(value[10]) and _weighted(value, INN12_WEIGHTS_12) == int(
            value[11]
        )
    return False


def kpp_is_valid(value: str) -> bool:
    """The FNS format, and a reason code (5th–6th characters) a Russian organisation gets: 01–50, or letters.

    КПП has no check digit: codes 51–99 are for foreign organisations, which have no ОГРН to register here.
    """
    return bool(KPP_PATTERN.match(value)) and _kpp_reason_ok(value[4:6])


def _kpp_reason_ok(reason: str) -> bool:
    return not reason.isdigit() or 1 <= int(reason) <= KPP_RUSSIAN_REASONS


def ogrn_is_valid(value: str) -> bool:
    """ОГРН: 13 digits, the last = int(first 12) % 11 % 10, the first not 0."""
    if len(value) != 13 or not value.isdigit() or not value.isascii() or value[0] == "0":
        return False
    return int(value[:12]) % 11 % 10 == int(value[12])


def ogrnip_is_valid(value: str) -> bool:
    """ОГРНИП: 15 digits starting with 3 (or 4), the last = int(first 14) % 13 % 10."""
    if len(value) != 15 or not value.isdigit() or not value.isascii() or value[0] not in "34":
        return False
    return int(value[:14]) % 13 % 10 == int(value[14])


def bik_is_valid(value: str) -> bool:
    """9 digits starting with the country code «04» (no check digit)."""
    return len(value) == 9 and value.isdigit() and value.isascii() and value.startswith(BIK_COUNTRY)


def _account_key_ok(control: str) -> bool:
    return sum(int(d) * ACCOUNT_WEIGHTS[i % 3] for i, d in enumerate(control)) % 10 == 0


def settlement_account_is_valid(account: str, bik: str) -> bool:
    """р/с: 20 digits; the 23 digits BIK[-3:] + account weighted 7,1,3… sum to a multiple of 10."""
    if len(account) != 20 or not account.isdigit() or not account.isascii() or not bik_is_valid(bik):
        return False
    return _account_key_ok(bik[-3:] + account)


def correspondent_account_is_valid(account: str, bik: str) -> bool:
    """к/с: 20 digits; the key is checked over "0" + BIK[4:6] + account."""
    if len(account) != 20 or not account.isdigit() or not account.isascii() or not bik_is_valid(bik):
        return False
    return _account_key_ok("0" + bik[4:6] + account)


def check_inn(value: str | None, *, individual: bool) -> str:
    inn = _digits(value)
    expected = 12 if individual else 10
    who = "индивидуального предпринимателя" if individual else "организации"
    if not inn:
        raise ValidationError("Укажите ИНН.", field="inn")
    if not inn.isdigit() or len(inn) != expected:
        raise ValidationError(f"ИНН {who} — {expected} цифр.", field="inn")
    if not inn_is_valid(inn):
        raise ValidationError("ИНН с ошибкой: не сходится контрольная цифра. Проверьте номер.", field="inn")
    return inn


def check_kpp(value: str | None) -> str:
    kpp = _digits(value).upper()
    if not kpp:
        raise ValidationError("Укажите КПП.", field="kpp")
    if not KPP_PATTERN.match(kpp):
        raise ValidationError(
            "КПП — 9 знаков: 4 цифры кода налоговой, 2 цифры или латинские буквы причины постановки, 3 цифры.",
            field="kpp",
        )
    if not kpp_is_valid(kpp):
        raise ValidationError(
            f"КПП с ошибкой: код причины постановки (5-й и 6-й знаки) «{kpp[4:6]}» — у российской организации "
            f"он от 01 до {KPP_RUSSIAN_REASONS}. Проверьте КПП по выписке ЕГРЮЛ.",
            field="kpp",
        )
    return kpp


def check_ogrn(value: str | None, *, individual: bool) -> str:
    ogrn = _digits(value)
    name = "ОГРНИП" if individual else "ОГРН"
    expected = 15 if individual else 13
    if not ogrn:
        raise ValidationError(f"Укажите {name}.", field="ogrn")
    if not ogrn.isdigit() or len(ogrn) != expected:
        raise ValidationError(f"{name} — {expected} цифр.", field="ogrn")
    if individual and ogrn[0] not in "34":
        raise ValidationError("ОГРНИП начинается с цифры 3.", field="ogrn")
    valid = ogrnip_is_valid(ogrn) if individual else ogrn_is_valid(ogrn)
    if not valid:
        raise ValidationError(f"{name} с ошибкой: не сходится контрольная цифра. Проверьте номер.", field="ogrn")
    return ogrn


def check_bik(value: str | None) -> str:
    bik = _digits(value)
    if len(bik) != 9 or not bik.isdigit() or not bik.isascii():
        raise ValidationError("БИК — 9 цифр.", field="bik")
    if not bik_is_valid(bik):
        raise ValidationError(
            f"БИК российского банка начинается с «{BIK_COUNTRY}». Проверьте БИК в реквизитах банка.", field="bik"
        )
    return bik


def check_settlement_account(value: str | None, bik: str) -> str:
    account = _digits(value)
    if len(account) != 20 or not account.isdigit():
        raise ValidationError("Расчётный счёт — 20 цифр.", field="settlement_account")
    if not settlement_account_is_valid(account, bik):
        raise ValidationError(
            "Расчётный счёт не сходится с БИК: проверьте номер счёта и БИК банка.", field="settlement_account"
        )
    return account


def check_correspondent_account(value: str | None, bik: str) -> str:
    account = _digits(value)
    if len(account) != 20 or not account.isdigit():
        raise ValidationError("Корреспондентский счёт — 20 цифр.", field="correspondent_account")
    if not correspondent_account_is_valid(account, bik):
        raise ValidationError(
            "Корреспондентский счёт не сходится с БИК: проверьте номер счёта и БИК банка.",
            field="correspondent_account",
        )
    return account
