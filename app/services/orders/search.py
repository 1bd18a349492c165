"""Back-office quick search over orders: what kind of text staff typed (an order number, an email, a phone,
words of a name) and the one condition that finds it through an index.

On PostgreSQL fragments are found by pg_trgm GIN indexes (ILIKE '%…%'), number prefixes by a
varchar_pattern_ops btree and whole phones by the phone's btree; SQLite runs the same conditions as scans.
Digits are compared with phones only when the text is a phone: the digits of an email or of a name
(«bulk-1-42456@…») are never a phone fragment.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import InstrumentedAttribute

from app.models import Customer, Order

MIN_PHONE_DIGITS = 4

NUMBER = re.compile(r"^(\d{4})-(\d{0,6})$")
SCANNED_NUMBER = re.compile(r"^(20\d{2})(\d{6})$")  # 2026000123: a label's number without the hyphen
PHONE = re.compile(r"^\+?[\d\s().-]+$")
TRUNK = re.compile(r"^8[\s(-]")  # «8 (999) …», «8-999-…»: the trunk prefix, not a digit of the number


class QueryKind(enum.StrEnum):
    number = "number"
    email = "email"
    phone = "phone"
    words = "words"


@dataclass(frozen=True)
class SearchQuery:
    kind: QueryKind
    text: str  # a number: its prefix «2026-0001»; a phone: «+7…» (its start) or digits (a fragment)


def _phone(text: str) -> str | None:
    """A phone as people write it (+7 (999) 000-11-22, 8-999-000-11-22, 000-11-22): «+7…» when it starts
    with the country code or a trunk 8 (a prefix of the stored +7XXXXXXXXXX), else its digits (a fragment).

    The groups after a hyphen are short (2–3 digits) in a phone; «1-42456» is a piece of an email or a code.
    """
    if not PHONE.match(text):
        return None
    groups = text.split("-")
    if any(len(re.sub(r"\D", "", group)) > 3 for group in groups[1:]):
        return None
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_PHONE_DIGITS or len(digits) > 11:
        return None
    if text.startswith("+7") or len(digits) == 11 or TRUNK.match(text):
        return "+7" + digits[1:] if digits[0] in "78" else None
    return digits if len(digits) <= 10 else None


WHOLE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$")


def classify(text: str) -> SearchQuery | None:
    """What the text is; None for an empty box."""
    text = " ".join((text or "").split())
    if not text:
        return None
    if match := NUMBER.match(text) or SCANNED_NUMBER.match(text):
        return SearchQuery(QueryKind.number, f"{match.group(1)}-{match.group(2)}")
    if "@" in text:
        return SearchQuery(QueryKind.email, text.lower())
    if (phone := _phone(text)) is not None:
        return SearchQuery(QueryKind.phone, phone)
    return SearchQuery(QueryKind.words, text)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column: InstrumentedAttribute[str], text: str) -> sa.ColumnElement[bool]:
    return column.ilike(f"%{_escaped(text)}%", escape="\\")


def order_condition(query: SearchQuery) -> sa.ColumnElement[bool]:
    """The WHERE clause finding the orders a query names."""
    if query.kind is QueryKind.number:
        return Order.number.like(f"{query.text}%")
    if query.kind is QueryKind.email:
        if WHOLE_EMAIL.match(query.text):
            # A whole address: the btree (emails are stored lowercased). A trigram search for it would read the
            # posting lists of trigrams every address shares («exa», «.ru»): slow at a million orders.
            return Order.contact_email == query.text
        return _contains(Order.contact_email, query.text)
    if query.kind is QueryKind.phone:
        if len(query.text) == 12:
            return Order.contact_phone == query.text  # a whole phone: the exact index
        if query.text.startswith("+7"):
            return Order.contact_phone.like(f"{query.text}%")
        return Order.contact_phone.like(f"%{query.text}%")
    return sa.or_(_contains(Order.contact_name, query.text), _contains(Order.contact_email, query.text))


def customer_condition(text: str) -> sa.ColumnElement[bool] | None:
    """Customers whose email or name contains the text (trigram indexes on PostgreSQL); None for an empty box."""
    text = " ".join((text or "").split())
    if not text:
        return None
    return sa.or_(_contains(Customer.email, text), _contains(Customer.full_name, text))
