"""Russian phone numbers: one normal form (+7XXXXXXXXXX) from the usual ways of writing them."""

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
