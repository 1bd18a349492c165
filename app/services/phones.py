"""Russian phone numbers: one normal form (+7XXXXXXXXXX) from the usual ways of writing them, and one way of
showing them (+7 916 555-44-33) on every page, label and export."""

import re

from app.services.errors import ValidationError

PHONE_DIGITS = re.compile(r"\D+")


def normalize_phone(raw: str) -> str:
    """+7XXXXXXXXXX from the usual ways of writing a Russian number; ValidationError otherwise."""
    digits = PHONE_DIGITS.sub("", raw or "")
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) != 10 or digits[0] not in "3489":
        raise ValidationError("Укажите телефон в формате +7 999 123-45-67.", field="contact_phone")
    return "+7" + digits


def format_phone(phone: str | None) -> str:
    """+7 916 555-44-33 from +79165554433 (or 89165554433, 8 916 555 44 33…); anything else as it is."""
    if not phone:
        return ""
    digits = PHONE_DIGITS.sub("", phone)
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) == 10:
        return f"+7 {digits[:3]} {digits[3:6]}-{digits[6:8]}-{digits[8:]}"
    return phone
