"""Order labels: what a label says (data first), then one PDF of many labels in a chosen format (fpdf2).

A label holds the order number in big type and as a QR code (the bare number, so a scanner typing
it into the back office's search box opens the order), the recipient and phone, delivery method and
address (or «Самовывоз»), an item summary, the package («Место 1 из 2») and the due date. An order
shipped in several packages gets one label per package. The recipient and the address are printed in
full: wrapped over the free space, the type made smaller when they do not fit, and cut with «…» only
when even the smallest type does not fit.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from app.models import DeliveryMethod, LineKind, Order
from app.services.customers.addresses import delivery_text
from app.services.errors import ValidationError
from app.services.phones import format_phone

PT = 25.4 / 72  # mm per point
QUIET_ZONE = 4  # modules of white around a QR code, as the standard asks; decoders miss codes with less


@dataclass(frozen=True)
class LabelFormat:
    key: str
    title: str
    page: tuple[float, float]  # mm, portrait as printed
    cols: int = 1
    rows: int = 1

    @property
    def label_size(self) -> tuple[float, float]:
        return self.page[0] / self.cols, self.page[1] / self.rows

    @property
    def per_page(self) -> int:
        return self.cols * self.rows


FORMATS: dict[str, LabelFormat] = {
    f.key: f
    for f in (
        LabelFormat("thermal_58x40", "Термоэтикетка 58×40 мм", (58, 40)),
        LabelFormat("label_100x150", "Этикетка 100×150 мм", (100, 150)),
        LabelFormat("a4_2x4", "Лист A4, 2×4 (105×74 мм)", (210, 297), cols=2, rows=4),
        LabelFormat("a4_3x8", "Лист A4, 3×8 (70×37 мм)", (210, 297), cols=3, rows=8),
    )
}
DEFAULT_FORMAT = "label_100x150"


def label_format(key: str) -> LabelFormat:
    try:
        return FORMATS[key]
    except KeyError:
        raise ValidationError("Выберите формат этикеток из списка.", field="format") from None


@dataclass(frozen=True)
class LabelData:
    order_id: int
    number: str
    name: str
    phone: str
    delivery: str  # «Самовывоз» or «Курьер: адрес»
    items: str
    packages: int
    due_date: date | None
    package: int = 1  # which of the order's packages this label goes on


def per_package(labels: Sequence[LabelData]) -> list[LabelData]:
    """One label per package: an order in 2 packages gets «Место 1 из 2» and «Место 2 из 2»."""
    return [replace(label, package=n) for label in labels for n in range(1, max(label.packages, 1) + 1)]


def qr_payload(number: str) -> str:
    """What the label's QR code holds: the order number as it is (digits and a hyphen type the same in any layout)."""
    return number


SCANNED_NUMBER = re.compile(r"(?<!\d)(\d{4})-?(\d{6})(?!\d)")


def number_from_scan(text: str) -> str | None:
    """The order number in what a scanner typed: the label's QR («2026-000123»), also without the hyphen
    or with a prefix or line end around it; None when there is none."""
    match = SCANNED_NUMBER.search(text or "")
    return f"{match.group(1)}-{match.group(2)}" if match else None


def label_data(session: Session, order_ids: Sequence[int]) -> list[LabelData]:
    """The labels of these orders, by order number (orders that do not exist are left out)."""
    found: list[Order] = []
    ids = list(order_ids)
    for start in range(0, len(ids), 5000):
        found.extend(
            session.scalars(
                sa.select(Order).where(Order.id.in_(ids[start : start + 5000])).options(selectinload(Order.lines))
            )
        )
    labels = []
    for order in sorted(found, key=lambda o: o.number):
        products = [line for line in order.lines if line.kind == LineKind.product]
        items = "; ".join(f"{line.product_name} — {line.quantity} шт." for line in products)
        delivery = order.delivery_method.label
        if order.delivery_method != DeliveryMethod.pickup and order.delivery_address:
            delivery = f"{delivery}: {delivery_text(order.delivery_address)}"
        labels.append(
            LabelData(
                order_id=order.id,
                number=order.number,
                name=order.contact_name,
                phone=format_phone(order.contact_phone),
                delivery=delivery,
                items=f"Позиций: {len(products)}. {items}" if len(products) > 1 else items,
                packages=order.packages,
                due_date=order.due_date,
            )
        )
    return labels


# --- drawing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """Type sizes (pt), QR size (mm) and line limits of one label size."""

    qr: float
    number: float
    name: float
    name_lines: int
    delivery: float
    delivery_lines: int
    items: float
    items_lines: int
    footer: float
    qr_at_bottom: bool = False  # tall labels: text across the top, the code and the footer below


def design_for(width: float, height: float) -> Design:
    if height >= 120:  # 100×150
        return Design(qr=40, number=32, name=16, name_lines=2, delivery=13, delivery_lines=4, items=11,
                      items_lines=5, footer=18, qr_at_bottom=True)  # fmt: skip
    if height >= 60:  # 105×74
        return Design(qr=30, number=22, name=11, name_lines=2, delivery=10, delivery_lines=3, items=9,
                      items_lines=2, footer=12)  # fmt: skip
    # 58×40 and 70×37: the number stays the biggest thing on the label.
    return Design(qr=min(height - 17, 22), number=13, name=7.5, name_lines=1, delivery=6.5, delivery_lines=1,
                  items=6, items_lines=1, footer=8)  # fmt: skip


class LabelSheet:
    """Draws labels one after another into pages of a format."""

    FONT = "LabelFont"

    def __init__(self, fmt: LabelFormat, *, font_regular: str, font_bold: str) -> None:
        for path, setting in ((font_regular, "PDF_FONT_REGULAR"), (font_bold, "PDF_FONT_BOLD")):
            if not path or not os.path.isfile(path):
                raise ValidationError(
                    f"Не найден шрифт для PDF: {path or '(не задан)'}. Укажите TTF-файл с кириллицей в настройке "
                    f"{setting}."
                )
        from fpdf import FPDF  # here, not at import: fpdf2 brings numpy (~30 MB in every web worker)

        self.fmt = fmt
        self.pdf = FPDF(unit="mm", format=fmt.page)
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margin(0)
        self.pdf.set_title("Этикетки заказов")
        self.pdf.set_creator("printshop")
        self.pdf.add_font(self.FONT, style="", fname=font_regular)
        self.pdf.add_font(self.FONT, style="B", fname=font_bold)
        self.width, self.height = fmt.label_size
        self.design = design_for(self.width, self.height)
        self.count = 0

    def add(self, label: LabelData) -> None:
        slot = self.count % self.fmt.per_page
        if slot == 0:
            self.pdf.add_page()
        col, row = slot % self.fmt.cols, slot // self.fmt.cols
        self._draw(label, col * self.width, row * self.height)
        self.count += 1

    def output(self) -> bytes:
        return bytes(self.pdf.output())

    # Text ----------------------------------------------------------------------------------------

    def _font(self, size: float, bold: bool = False) -> None:
        self.pdf.set_font(self.FONT, style="B" if bold else "", size=size)

    def _fit(self, text: str, width: float, max_lines: int) -> list[str]:
        """Wrap `text` into at most `max_lines` lines of `width` mm; a cut line ends with «…»."""
        # The font's own advance widths: what get_string_width() sums, without its per-call text
        # parsing (no shaping, spacing or stretching is used here). Labels measure thousands of strings.
        font, size_pt, k = self.pdf.current_font, self.pdf.font_size_pt, self.pdf.k
        assert font is not None  # _font() has been called

        def width_of(line: str) -> float:
            return font.get_text_width(line, size_pt, None)[1] / k

        words = text.split()
        lines: list[str] = []
        i = 0
        while i < len(words) and len(lines) < max_lines:
            line = words[i]
            i += 1
            while i < len(words) and width_of(f"{line} {words[i]}") <= width:
                line = f"{line} {words[i]}"
                i += 1
            lines.append(line)
        for n, line in enumerate(lines):
            if width_of(line) > width or (n == len(lines) - 1 and i < len(words)):
                while line and width_of(line + "…") > width:
                    line = line[:-1]
                lines[n] = line.rstrip(" ,;.") + "…"
        return lines

    def _lines(self, x: float, y: float, lines: list[str], size: float) -> float:
        step = size * PT * 1.2
        for line in lines:
            y += step
            self.pdf.text(x, y - size * PT * 0.25, line)
        return y

    def _shrink(self, text: str, width: float, height: float, size: float, *, bold: bool, least: float) -> float:
        """Print `text` wrapped into `width` × `height` mm: at `size` pt if it fits, else at the largest size
        down to `least` that fits, else at `least` cut with «…». Returns the size chosen (the font is set)."""
        current = size
        while True:
            self._font(current, bold=bold)
            lines = max(1, int(height // (current * PT * 1.2)))
            wrapped = self._fit(text, width, lines + 1)
            fits = len(wrapped) <= lines and not any(line.endswith("…") for line in wrapped)
            if fits or current <= least:
                return current
            current = max(least, current - 0.5)

    def _block(self, x: float, y: float, text: str, width: float, height: float, size: float, *,
               bold: bool, least: float) -> float:  # fmt: skip
        chosen = self._shrink(text, width, height, size, bold=bold, least=least)
        lines = max(1, int(height // (chosen * PT * 1.2)))
        return self._lines(x, y, self._fit(text, width, lines), chosen)

    # One label -----------------------------------------------------------------------------------

    def _draw(self, label: LabelData, x0: float, y0: float) -> None:
        d, w, h = self.design, self.width, self.height
        pad = max(1.5, min(w, h) * 0.045)
        full = w - 2 * pad
        x = x0 + pad
        if d.qr_at_bottom:
            qr_x, qr_y, side = x0 + w - pad - d.qr, y0 + h - pad - d.qr, full
        else:
            qr_x, qr_y, side = x0 + w - pad - d.qr, y0 + pad, full - d.qr - pad * 0.5
        self._qr(qr_payload(label.number), qr_x, qr_y, d.qr)

        size = d.number
        self._font(size, bold=True)
        while size > 6 and self.pdf.get_string_width(label.number) > side:
            size -= 0.5
            self._font(size, bold=True)
        y = self._lines(x, y0 + pad, [label.number], size)
        # The recipient in full: as many lines as the design gives, in smaller type when needed.
        y = self._block(
            x, y, label.name, side, d.name * PT * 1.2 * d.name_lines + 0.01, d.name, bold=True, least=d.name * 0.6
        )
        self._font(d.name)
        y = self._lines(x, y, [label.phone], d.name)

        bottom = y0 + h - pad
        if d.qr_at_bottom:
            text_bottom = qr_y - pad * 0.5  # the text runs across the label above the code and the footer
        else:
            y = max(y, y0 + pad + d.qr)
            text_bottom = bottom - d.footer * PT * 1.35
        y += pad * 0.3
        # The address gets all the free space but one line kept for the items; the items get what is left.
        items_line = d.items * 0.75 * PT * 1.2 if label.items else 0
        y = self._block(
            x, y, label.delivery, full, max(text_bottom - y - items_line, d.delivery * 0.6 * PT * 1.2),
            d.delivery, bold=True, least=d.delivery * 0.6,
        )  # fmt: skip
        if label.items and text_bottom - y >= d.items * 0.75 * PT * 1.2:
            self._block(x, y, label.items, full, text_bottom - y, d.items, bold=False, least=d.items * 0.75)

        due = f"{label.due_date:%d.%m.%Y}" if label.due_date else "—"
        place = f"Место {label.package} из {max(label.packages, 1)}"
        self._font(d.footer, bold=True)
        if d.qr_at_bottom:
            step = d.footer * PT * 1.25
            self.pdf.text(x, bottom - 2 * step, place)
            self.pdf.text(x, bottom - step, "Срок:")
            self.pdf.text(x, bottom, due)
        else:
            text = f"Срок: {due}"
            self._font(d.footer * 0.85, bold=True)
            self.pdf.text(x, bottom, place)
            self.pdf.text(x0 + w - pad - self.pdf.get_string_width(text), bottom, text)

    def _qr(self, payload: str, x: float, y: float, size: float) -> None:
        # A fixed mask: every mask is valid QR, and choosing the "best" of eight makes the code 4× slower.
        import segno

        code = segno.make_qr(payload, error="m", mask=0, boost_error=False)
        matrix = code.matrix
        modules = len(matrix) + 2 * QUIET_ZONE
        step = size / modules
        origin_x, origin_y = x + QUIET_ZONE * step, y + QUIET_ZONE * step
        # All dark runs as one filled path: the PDF operators fpdf2's rect() writes (`x y w h re`, then
        # `f`), once per code instead of once per run — rect() per run was most of the labels' time.
        k, page_h = self.pdf.k, self.pdf.h
        run_h = -(step + 0.02) * k  # a hair wider than the run, so renderers leave no seams between modules
        parts = []
        for row_index, row in enumerate(matrix):
            top = (page_h - (origin_y + row_index * step)) * k
            col = 0
            length = len(row)
            while col < length:
                if row[col]:
                    start = col
                    while col < length and row[col]:
                        col += 1
                    left = (origin_x + start * step) * k
                    parts.append(f"{left:.2f} {top:.2f} {((col - start) * step + 0.02) * k:.2f} {run_h:.2f} re")
                else:
                    col += 1
        parts.append("f")
        self.pdf._out("\n".join(parts))


def render_labels(labels: Sequence[LabelData], fmt: LabelFormat, *, font_regular: str, font_bold: str) -> bytes:
    """One PDF with a label per package of each order, in the given format."""
    if not labels:
        raise ValidationError("Нет заказов для печати этикеток.")
    sheet = LabelSheet(fmt, font_regular=font_regular, font_bold=font_bold)
    for label in per_package(labels):
        sheet.add(label)
    return sheet.output()
