"""What a closing document says, as plain data: the parties' requisites, the lines, the sums, the amount in
words and the payment QR string. An issued document stores this as its snapshot (JSON) and its PDF is drawn
from it, so a document never reads today's rows again."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import Any

from app.services.money import ZERO, format_money, format_rate, to_money

OKEI_PIECE = ("796", "шт")
OKEI_SERVICE = ("", "усл. ед.")
CURRENCY = "Российский рубль, 643"


@dataclass(frozen=True)
class Party:
    """One side of a document, its requisites as of the document's date."""

    name: str  # full name: «Общество с ограниченной ответственностью «Ромашка»»
    inn: str
    short_name: str = ""
    kpp: str = ""
    ogrn: str = ""
    ogrn_date: str = ""  # an ИП's ОГРНИП assignment date (ПП № 26): «dd.mm.yyyy»
    address: str = ""
    is_individual: bool = False  # an ИП: one signature block, ОГРНИП line
    vat_payer: bool = True
    bank_name: str = ""
    bik: str = ""
    settlement_account: str = ""
    correspondent_account: str = ""
    director: str = ""  # «Генеральный директор Иванов И. И.» or just the name
    accountant: str = ""
    phone: str = ""
    email: str = ""

    @property
    def display_name(self) -> str:
        return self.short_name or self.name

    @property
    def inn_kpp(self) -> str:
        return f"{self.inn}/{self.kpp}" if self.kpp else self.inn

    @property
    def requisites_line(self) -> str:
        """«ООО «Ромашка», ИНН 7707083893, КПП 773601001, 117997, г. Москва, …» as a счёт names a party."""
        parts = [self.display_name, f"ИНН {self.inn}"] if self.inn else [self.display_name]
        if self.kpp:
            parts.append(f"КПП {self.kpp}")
        if self.address:
            parts.append(self.address)
        if self.phone:
            parts.append(f"тел. {self.phone}")
        return ", ".join(parts)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Party:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass(frozen=True)
class DocLine:
    """One row: what, how many, and the sums «в том числе» per line (5 + 8 = 9 exactly)."""

    name: str
    quantity: int
    total: Decimal  # column 9: with VAT
    vat: Decimal  # column 8
    vat_rate: Decimal | None  # None: без НДС
    okei: str = OKEI_PIECE[0]
    unit: str = OKEI_PIECE[1]

    @property
    def net(self) -> Decimal:  # column 5
        return self.total - self.vat

    @property
    def unit_price_net(self) -> Decimal:  # column 4, shown rounded
        return to_money(self.net / self.quantity) if self.quantity else ZERO

    @property
    def unit_price(self) -> Decimal:
        return to_money(self.total / self.quantity) if self.quantity else ZERO

    @property
    def rate_label(self) -> str:
        return rate_label(self.vat_rate)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "quantity": self.quantity,
            "total": str(self.total),
            "vat": str(self.vat),
            "vat_rate": None if self.vat_rate is None else str(self.vat_rate),
            "okei": self.okei,
            "unit": self.unit,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocLine:
        rate = data.get("vat_rate")
        return cls(
            name=data["name"],
            quantity=int(data["quantity"]),
            total=Decimal(data["total"]),
            vat=Decimal(data["vat"]),
            vat_rate=None if rate is None else Decimal(rate),
            okei=data.get("okei", OKEI_PIECE[0]),
            unit=data.get("unit", OKEI_PIECE[1]),
        )


@dataclass(frozen=True)
class DocRef:
    """Another document named by this one: «Счёт-фактура № 15 от 20.01.2026»."""

    title: str
    number: str
    day: date

    @property
    def label(self) -> str:
        return f"{self.title} № {self.number} от {self.day:%d.%m.%Y}"

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "number": self.number, "day": self.day.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocRef:
        return cls(title=data["title"], number=data["number"], day=date.fromisoformat(data["day"]))


@dataclass(frozen=True)
class StatementRow:
    """A row of an акт сверки: a sale, a return or a payment, seen from the seller (debit: the buyer owes)."""

    day: date
    text: str
    debit: Decimal = ZERO
    credit: Decimal = ZERO

    def to_dict(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "text": self.text, "debit": str(self.debit), "credit": str(self.credit)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StatementRow:
        return cls(date.fromisoformat(data["day"]), data["text"], Decimal(data["debit"]), Decimal(data["credit"]))


@dataclass(frozen=True)
class DocumentData:
    """Everything a document shows. `kind` is a `DocumentKind` value; fields a kind does not use stay empty."""

    kind: str
    number: str
    day: date
    seller: Party
    buyer: Party
    lines: tuple[DocLine, ...] = ()
    order_number: str = ""
    basis: str = ""  # «Заказ № 2026-000123 от 01.12.2026»
    upd_status: int | None = None  # 1: счёт-фактура + передаточный документ; 2: передаточный документ only
    revision: DocRef | None = None  # line 1а: «Исправление № 1 от …»
    corrected: DocRef | None = None  # a correction: the document (счёт-фактура / УПД) it corrects
    lines_before: tuple[DocLine, ...] = ()  # a correction: the lines as the corrected document had them
    payment_docs: tuple[DocRef, ...] = ()  # line 5: payments received before the shipment
    shipped_on: date | None = None
    consignee: str = ""  # line 4: name and address of the грузополучатель
    # акт сверки
    period_from: date | None = None
    period_to: date | None = None
    opening: Decimal = ZERO  # the buyer's debt at the start (negative: an advance)
    rows: tuple[StatementRow, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    # Sums -------------------------------------------------------------------------------------------

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), ZERO)

    @property
    def vat(self) -> Decimal:
        return sum((line.vat for line in self.lines), ZERO)

    @property
    def net(self) -> Decimal:
        return self.total - self.vat

    @property
    def total_before(self) -> Decimal:
        return sum((line.total for line in self.lines_before), ZERO)

    @property
    def vat_before(self) -> Decimal:
        return sum((line.vat for line in self.lines_before), ZERO)

    @property
    def closing(self) -> Decimal:
        return self.opening + sum((r.debit - r.credit for r in self.rows), ZERO)

    def vat_by_rate(self) -> list[tuple[Decimal | None, Decimal]]:
        """VAT per rate, rates in descending order (lines without VAT give one «без НДС» entry)."""
        sums: dict[Decimal | None, Decimal] = {}
        for line in self.lines:
            sums[line.vat_rate] = sums.get(line.vat_rate, ZERO) + line.vat
        return sorted(sums.items(), key=lambda item: -1 if item[0] is None else item[0], reverse=True)

    # JSON -------------------------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "number": self.number,
            "day": self.day.isoformat(),
            "seller": asdict(self.seller),
            "buyer": asdict(self.buyer),
            "lines": [line.to_dict() for line in self.lines],
            "order_number": self.order_number,
            "basis": self.basis,
            "upd_status": self.upd_status,
            "revision": self.revision.to_dict() if self.revision else None,
            "corrected": self.corrected.to_dict() if self.corrected else None,
            "lines_before": [line.to_dict() for line in self.lines_before],
            "payment_docs": [ref.to_dict() for ref in self.payment_docs],
            "shipped_on": self.shipped_on.isoformat() if self.shipped_on else None,
            "consignee": self.consignee,
            "period_from": self.period_from.isoformat() if self.period_from else None,
            "period_to": self.period_to.isoformat() if self.period_to else None,
            "opening": str(self.opening),
            "rows": [row.to_dict() for row in self.rows],
            "extra": self.extra,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DocumentData:
        def day_or_none(value: str | None) -> date | None:
            return date.fromisoformat(value) if value else None

        return cls(
            kind=data["kind"],
            number=data["number"],
            day=date.fromisoformat(data["day"]),
            seller=Party.from_dict(data["seller"]),
            buyer=Party.from_dict(data["buyer"]),
            lines=tuple(DocLine.from_dict(x) for x in data.get("lines", [])),
            order_number=data.get("order_number", ""),
            basis=data.get("basis", ""),
            upd_status=data.get("upd_status"),
            revision=DocRef.from_dict(data["revision"]) if data.get("revision") else None,
            corrected=DocRef.from_dict(data["corrected"]) if data.get("corrected") else None,
            lines_before=tuple(DocLine.from_dict(x) for x in data.get("lines_before", [])),
            payment_docs=tuple(DocRef.from_dict(x) for x in data.get("payment_docs", [])),
            shipped_on=day_or_none(data.get("shipped_on")),
            consignee=data.get("consignee", ""),
            period_from=day_or_none(data.get("period_from")),
            period_to=day_or_none(data.get("period_to")),
            opening=Decimal(data.get("opening", "0.00")),
            rows=tuple(StatementRow.from_dict(x) for x in data.get("rows", [])),
            extra=data.get("extra") or {},
        )


# Words and strings --------------------------------------------------------------------------------------


def plural(n: int, forms: tuple[str, str, str]) -> str:
    """рубль / рубля / рублей for 1 / 2 / 5 (11–14 take the third form)."""
    n = abs(n)
    if 11 <= n % 100 <= 14:
        return forms[2]
    return forms[0] if n % 10 == 1 else forms[1] if 2 <= n % 10 <= 4 else forms[2]


def amount_in_words(amount: Decimal) -> str:
    """«Одна тысяча двести двадцать рублей 00 копеек»: roubles in words (capitalised), kopecks in two digits."""
    amount = abs(to_money(amount))
    roubles = int(amount)
    kopecks = int((amount - roubles) * 100)
    from num2words import num2words  # here: only documents need it, not every web worker

    words = num2words(roubles, lang="ru")
    text = f"{words} {plural(roubles, ('рубль', 'рубля', 'рублей'))} {kopecks:02d} "
    text += plural(kopecks, ("копейка", "копейки", "копеек"))
    return text[:1].upper() + text[1:]


def rate_label(rate: Decimal | None) -> str:
    """«22%» (column 7 of a счёт-фактура), or «без НДС»."""
    return "без НДС" if rate is None else format_rate(rate).replace("\u00a0", "")


def money(value: Decimal) -> str:
    """1 220,00 (a non-breaking space between thousands) — amounts in documents carry no currency sign."""
    return format_money(value, currency=False)


def vat_phrase(data: DocumentData) -> str:
    """«в т.ч. НДС 22% 220,00» (several rates joined), or «НДС не облагается»."""
    parts = [f"НДС {rate_label(rate)} {money(vat)}" for rate, vat in data.vat_by_rate() if rate is not None]
    return "в т.ч. " + ", ".join(parts) if parts else "НДС не облагается"


def payment_qr_payload(data: DocumentData) -> str:
    """The payment QR string of a счёт, ГОСТ Р 56042-2014 (UTF-8 header ST00012, «|» between fields).

    The mandatory block (Name, PersonalAcc, BankName, BIC, CorrespAcc) comes first and in order; the sum is
    in kopecks. A «|» inside a value would split it, so it is replaced.
    """
    seller = data.seller
    purpose = f"Оплата по счёту № {data.number} от {data.day:%d.%m.%Y}, {vat_phrase(data)}"
    pairs = [
        ("Name", seller.name[:160]),
        ("PersonalAcc", seller.settlement_account),
        ("BankName", seller.bank_name[:45]),
        ("BIC", seller.bik),
        ("CorrespAcc", seller.correspondent_account),
        ("PayeeINN", seller.inn),
    ]
    if seller.kpp:
        pairs.append(("KPP", seller.kpp))
    pairs += [("Sum", str(int(to_money(data.total) * 100))), ("Purpose", purpose[:210])]
    clean = [(key, " ".join(str(value).replace("|", "/").split())) for key, value in pairs]
    return "ST00012|" + "|".join(f"{key}={value}" for key, value in clean)
