"""Helpers of the closing-document tests: the shop's requisites, sample data, PDFs read back and QR codes decoded."""

from __future__ import annotations

import shutil
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from app.services.accounting import seller
from app.services.actors import Actor
from app.services.documents.data import DocLine, DocumentData, Party

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
FONT_BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

SHOP = {
    "full_name": "Общество с ограниченной ответственностью «Печатный двор»",
    "short_name": "ООО «Печатный двор»",
    "inn": "1234567894",
    "kpp": "123401001",
    "ogrn": "5077746725964",
    "legal_address": "119021, г. Москва, ул. Льва Толстого, д. 16",
    "bank_name": "ПАО СБЕРБАНК",
    "bik": "044525225",
    "correspondent_account": "30101810400000000225",
    "settlement_account": "40702810200000000001",
    "director": "Генеральный директор Смирнов А. В.",
    "chief_accountant": "Кузнецова Е. П.",
}


def set_shop_requisites(session, *, valid_from: date | None = None, **changes: str):  # noqa: ANN001, ANN201
    version = seller.set_requisites(
        session, seller.SellerData(**(SHOP | changes)), actor=Actor.system("test"), valid_from=valid_from
    )
    session.commit()
    return version


SELLER = Party(
    name=SHOP["full_name"],
    short_name=SHOP["short_name"],
    inn=SHOP["inn"],
    kpp=SHOP["kpp"],
    ogrn=SHOP["ogrn"],
    address=SHOP["legal_address"],
    bank_name=SHOP["bank_name"],
    bik=SHOP["bik"],
    settlement_account=SHOP["settlement_account"],
    correspondent_account=SHOP["correspondent_account"],
    director=SHOP["director"],
    accountant=SHOP["chief_accountant"],
)
BUYER = Party(
    name="Общество с ограниченной ответственностью «Ромашка»",
    short_name="ООО «Ромашка»",
    inn="7707083893",
    kpp="773601001",
    address="117997, г. Москва, ул. Вавилова, д. 19",
    director="Генеральный директор Иванов И. И.",
)


def sample_lines(n: int = 3) -> tuple[DocLine, ...]:
    base = [
        DocLine(
            "Визитки стандартные 90×50 мм, мелованная 300 г/м², 4+4",
            500,
            Decimal("1220.00"),
            Decimal("220.00"),
            Decimal("22"),
        ),
        DocLine("Листовки А5, 130 г/м², 4+0", 1000, Decimal("3599.00"), Decimal("649.00"), Decimal("22")),
        DocLine("Доставка курьером", 1, Decimal("400.00"), Decimal("72.13"), Decimal("22"), okei="", unit="усл. ед."),
    ]
    return tuple(base[i % 3] for i in range(n))


def sample(kind: str, *, day: date = date(2026, 11, 20), lines: int | tuple = 3, **changes) -> DocumentData:  # noqa: ANN003
    return DocumentData(
        kind=kind,
        number="15",
        day=day,
        seller=changes.pop("seller", SELLER),
        buyer=changes.pop("buyer", BUYER),
        lines=sample_lines(lines) if isinstance(lines, int) else lines,
        order_number="2026-000123",
        basis="Заказ № 2026-000123 от 18.11.2026",
        shipped_on=day,
        **changes,
    )


def pdftotext(pdf: bytes) -> str:
    """The text of a PDF, read back by poppler; non-breaking spaces as plain ones, lines joined by spaces."""
    out = subprocess.run(["pdftotext", "-raw", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return " ".join(out.replace("\u00a0", " ").split())


def render_pages(pdf: bytes, tmp_path: Path, dpi: int = 150, name: str = "page") -> list[Path]:
    """Every page rendered by pdftoppm (fails on a PDF it cannot draw)."""
    result = subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-png", "-", str(tmp_path / name)], input=pdf, capture_output=True
    )
    assert result.returncode == 0, result.stderr.decode()
    assert not result.stderr.strip(), result.stderr.decode()
    return sorted(tmp_path.glob(f"{name}*.png"))


def decode_qr(png: Path) -> list[str]:
    if not shutil.which("zbarimg"):
        pytest.skip("zbarimg (zbar-tools) is not installed")
    result = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sbinary", str(png)], capture_output=True)
    return [line for line in result.stdout.decode("utf-8").splitlines() if line]
