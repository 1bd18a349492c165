"""Closing documents drawn as PDF (fpdf2, A4, DejaVu): счёт на оплату with the payment QR code, УПД (status 1
or 2), счёт-фактура, акт, корректировочный документ (УКД / корректировочный счёт-фактура), акт сверки and the
order confirmation of a private customer. Each builder draws a `DocumentData` snapshot and returns bytes;
layouts follow `shared/reference/accounting-ru.md` (ПП № 1137 forms, with the ПП № 26 changes from 01.04.2026).
"""

from __future__ import annotations

import copy
import hashlib
import io
import logging
import os
import struct
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import segno
from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.enums import TextMode
from fpdf.fonts import FontFace, Glyph, SubsetMap, TTFFont
from fpdf.output import (
    CIDSystemInfo,
    OutputProducer,
    PDFFont,
    PDFFontStream,
    PDFType3Font,
    _build_cmap_blocks,
    _cid_font_widths,
)
from fpdf.syntax import Name, PDFArray, PDFContentStream
from fpdf.util import escape_parens

from app.services.documents.data import (
    CURRENCY,
    DocLine,
    DocumentData,
    Party,
    amount_in_words,
    money,
    payment_qr_payload,
    rate_label,
)
from app.services.errors import ValidationError
from app.services.money import ZERO
from app.services.shoptime import format_date_long

# The characters documents use: Latin, Latin-1 («», №-less), Cyrillic, dashes and quotes, №, ₽, ×, …
DOCUMENT_UNICODES = [
    *range(0x20, 0x7F), *range(0xA0, 0x100), *range(0x400, 0x460), *range(0x2010, 0x2040), 0x2116, 0x20BD, 0x2212,
]  # fmt: skip
_FONT_SUBSETS: dict[tuple[str, float], str] = {}
_FONT_LOCK = threading.Lock()
FONT_SUBSET_VERSION = 3  # raise when the subset options change: the file name changes with it


def document_font(path: str) -> str:
    """The font cut down to the characters documents use, made once per process (a file next to the temporary
    files): fpdf2 parses and subsets a 700 KB DejaVu for every PDF otherwise — most of a document's time."""
    key = (path, os.path.getmtime(path))
    with _FONT_LOCK:
        if key not in _FONT_SUBSETS:
            logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # «FFTM NOT subset» is harmless
            options = ftsubset.Options()
            options.glyph_names = True
            options.notdef_outline = True
            options.name_IDs = [0, 1, 2, 3, 4, 5, 6]
            options.layout_features = []
            options.hinting = False
            options.drop_tables += ["FFTM", "GDEF", "GPOS", "GSUB", "hdmx", "kern"]
            font = ftsubset.load_font(path, options)
            try:
                subsetter = ftsubset.Subsetter(options)
                subsetter.populate(unicodes=DOCUMENT_UNICODES)
                subsetter.subset(font)
                data = io.BytesIO()
                ftsubset.save_font(font, data, options)
            finally:
                font.close()
            digest = hashlib.sha1(f"{path}:{key[1]}:{FONT_SUBSET_VERSION}".encode()).hexdigest()[:16]
            target = Path(tempfile.gettempdir()) / f"printshop-document-font-{digest}.ttf"
            fd, partial = tempfile.mkstemp(dir=target.parent, suffix=".ttf")
            with os.fdopen(fd, "wb") as out:
                out.write(data.getvalue())
            os.replace(partial, target)
            _FONT_SUBSETS[key] = str(target)
        return _FONT_SUBSETS[key]


class _FontFile:
    """The document font's file (`document_font`) in pieces, so that a PDF embeds the outlines of the glyphs it
    uses and nothing else, the glyph numbers unchanged: characters are written as glyph numbers
    (Identity-H, CIDToGIDMap /Identity), and the file is put together from the original tables with the unused
    outlines left empty — microseconds, where subsetting it with fontTools for each PDF took tens of
    milliseconds."""

    def __init__(self, data: bytes) -> None:
        font = ttLib.TTFont(io.BytesIO(data), lazy=False)
        self.sfnt_version: bytes = str(font.reader.sfntVersion).encode("latin-1")
        self.tables = {tag: bytes(font.reader[tag]) for tag in font.reader.keys()}
        glyf, loca = self.tables["glyf"], font["loca"].locations
        order = font.getGlyphOrder()
        self.outlines = [glyf[loca[i] : loca[i + 1]] for i in range(len(order))]
        self.components: dict[int, set[int]] = {}
        table = font["glyf"]
        for gid, name in enumerate(order):
            glyph = table[name]  # type: ignore[index]
            if glyph.isComposite():
                self.components[gid] = {font.getGlyphID(c.glyphName) for c in glyph.components}
        head = bytearray(self.tables["head"])
        struct.pack_into(">I", head, 8, 0)  # checkSumAdjustment, computed per file
        struct.pack_into(">h", head, 50, 1)  # indexToLocFormat: long offsets
        self.tables["head"] = bytes(head)

    def program(self, used: set[int]) -> bytes:
        """The TrueType file with the outlines of `used` glyphs (and the glyphs they are made of)."""
        keep, todo = {0}, list(used)
        while todo:
            gid = todo.pop()
            if gid not in keep:
                keep.add(gid)
                todo.extend(self.components.get(gid, ()))
        parts, offsets, offset = [], [], 0
        for gid, outline in enumerate(self.outlines):
            offsets.append(offset)
            if gid in keep and outline:
                outline += b"\0" * (-len(outline) % 4)
                parts.append(outline)
                offset += len(outline)
        offsets.append(offset)
        tables = dict(self.tables, glyf=b"".join(parts), loca=struct.pack(f">{len(offsets)}I", *offsets))
        tags = sorted(tables)
        selector = max(len(tags).bit_length() - 1, 0)
        header = self.sfnt_version + struct.pack(
            ">HHHH", len(tags), 16 << selector, selector, len(tags) * 16 - (16 << selector)
        )
        records, body, position, head_at = [], [], 12 + 16 * len(tags), 0
        for tag in tags:
            data = tables[tag] + b"\0" * (-len(tables[tag]) % 4)
            if tag == "head":
                head_at = position
            records.append(struct.pack(">4sIII", tag.encode("latin-1"), _checksum(data), position, len(tables[tag])))
            body.append(data)
            position += len(data)
        program = bytearray(header + b"".join(records) + b"".join(body))
        struct.pack_into(">I", program, head_at + 8, (0xB1B0AFBA - _checksum(program)) & 0xFFFFFFFF)
        return bytes(program)


def _checksum(data: bytes | bytearray) -> int:
    return sum(struct.unpack(f">{len(data) // 4}I", data[: len(data) // 4 * 4])) & 0xFFFFFFFF


class _GlyphSubset(SubsetMap):
    """fpdf2's record of the characters a PDF uses, with each character written as its glyph number."""

    def __init__(self, font: TTFFont) -> None:  # noqa: D107  (fpdf2's SubsetMap state is not used)
        self.font = font
        self.chars: set[str] = set()
        self._next = 0

    def pick(self, unicode: int) -> int | None:  # type: ignore[override]
        gid = self.font.glyph_ids.get(unicode)
        if gid is None:
            if unicode not in self.font.missing_glyphs:
                self.font.missing_glyphs.append(unicode)
            return None
        self.chars.add(chr(unicode))
        return gid

    def pick_glyph(self, glyph: Glyph | None) -> int | None:
        return None if glyph is None else glyph.glyph_id

    def glyphs(self) -> dict[int, Glyph]:
        """Glyph number → the glyph (its first character, width) of every character used."""
        font, out = self.font, {}
        for char in sorted(self.chars):
            code = ord(char)
            gid = font.glyph_ids.get(code)
            if gid is not None and gid not in out:
                out[gid] = Glyph(gid, (code,), font.cmap[code], int(font.cw[code]))
        return out

    def items(self) -> Iterator[tuple[Glyph | None, int]]:  # type: ignore[override]
        for gid, glyph in self.glyphs().items():
            yield glyph, gid

    def __len__(self) -> int:
        return len(self.chars)

    def get_all_glyph_names(self) -> list[str]:  # type: ignore[override]
        return [glyph.glyph_name for glyph in self.glyphs().values()]


class _DocumentFont(TTFFont):
    """A document font in one PDF: the parsed font shared by all PDFs of the process (read only), its own record
    of the characters used, text encoded by one `str.translate`."""

    __slots__ = ("codes", "font_file", "chars")

    codes: dict[int, str | None]
    font_file: _FontFile
    chars: set[str]

    def encode_text(self, text: str) -> str:
        self.chars.update(text)
        return f"({escape_parens(text.translate(self.codes).encode('utf-16-be').decode('latin-1'))}) Tj"

    def close(self) -> None:
        pass  # shared with other PDFs


_FONT_TEMPLATES: dict[tuple[str, str, float], TTFFont] = {}
_FONT_FILES: dict[str, tuple[_FontFile, dict[int, str | None]]] = {}
_WRAPPED: dict[tuple[str, float, str, float], tuple[str, ...]] = {}


def _font_for_document(path: str, fontkey: str, index: int) -> _DocumentFont:
    """The font of one PDF (made from a template parsed once per process and font file: parsing the TTF for
    every PDF was a third of a document's time)."""
    path = document_font(path)
    key = (path, fontkey, os.path.getmtime(path))
    with _FONT_LOCK:
        template = _FONT_TEMPLATES.get(key)
        if template is None:
            scratch = FPDF()
            scratch.add_font("template", style="B" if fontkey.endswith("B") else "", fname=path)
            loaded = next(iter(scratch.fonts.values()))
            assert isinstance(loaded, TTFFont)
            template = loaded
            template.fontkey = fontkey
            if path not in _FONT_FILES:
                # Characters the font has become their glyph numbers; the others are dropped (fpdf2 does the same).
                codes: dict[int, str | None] = {code: chr(gid) for code, gid in template.glyph_ids.items()}
                _FONT_FILES[path] = (_FontFile(Path(path).read_bytes()), codes)
            template.ttfont.close()
            _FONT_TEMPLATES[key] = template
    font = _DocumentFont.__new__(_DocumentFont)
    for name in _TTF_SLOTS:
        if hasattr(template, name):
            setattr(font, name, getattr(template, name))
    font.font_file, font.codes = _FONT_FILES[path]
    font.i = index
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    subset = _GlyphSubset(font)
    font.subset, font.chars = subset, subset.chars
    return font


_TTF_SLOTS = tuple(name for cls in TTFFont.__mro__ for name in getattr(cls, "__slots__", ()))


class _DocumentOutput(OutputProducer):
    """fpdf2's output, with the document fonts embedded as `_FontFile` makes them (other fonts as fpdf2 does)."""

    def _add_fonts(self, *args: Any, **kwargs: Any) -> dict[int, PDFFont | PDFType3Font]:  # type: ignore[override]
        fonts = sorted(self.fpdf.fonts.values(), key=lambda font: font.i)
        if not all(isinstance(font, _DocumentFont) for font in fonts):
            return super()._add_fonts(*args, **kwargs)
        return {font.i: self._add_document_font(font) for font in fonts}  # type: ignore[arg-type]

    def _add_document_font(self, font: _DocumentFont) -> PDFFont:
        subset = font.subset
        assert isinstance(subset, _GlyphSubset)
        missing = sorted({ord(c) for c in subset.chars if ord(c) not in font.glyph_ids})
        if missing:
            logging.getLogger(__name__).warning(
                "Font %s has no glyphs for %s", font.name, ", ".join(f"U+{code:04X}" for code in missing[:10])
            )
        glyphs = subset.glyphs()
        fontname = f"MPDFAA+{font.name}"
        composite = PDFFont(subtype="Type0", base_font=fontname, encoding="Identity-H")
        self._add_pdf_obj(composite, "fonts")
        cid_font = PDFFont(
            subtype="CIDFontType2",
            base_font=fontname,
            d_w=font.desc.missing_width,
            w=_cid_font_widths({gid: glyph.glyph_width for gid, glyph in glyphs.items()}),
        )
        self._add_pdf_obj(cid_font, "fonts")
        composite.descendant_fonts = PDFArray([cid_font])
        mapping = [f"<{gid:04X}> <{glyph.unicode[0]:04X}>\n" for gid, glyph in sorted(glyphs.items())]  # type: ignore[index]
        to_unicode = PDFContentStream(
            (
                "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo\n"
                "<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n/CMapName /Adobe-Identity-UCS def\n"
                "/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n"
                f"{_build_cmap_blocks(mapping, 'bfchar')}"
                "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
            ).encode("latin-1"),
            compress=True,
        )
        self._add_pdf_obj(to_unicode, "fonts")
        composite.to_unicode = to_unicode
        system_info = CIDSystemInfo()
        self._add_pdf_obj(system_info, "fonts")
        cid_font.c_i_d_system_info = system_info
        descriptor = copy.copy(font.desc)
        descriptor.font_name = Name(fontname)
        self._add_pdf_obj(descriptor, "fonts")
        cid_font.font_descriptor = descriptor
        cid_font.c_i_d_to_g_i_d_map = Name("Identity")  # type: ignore[assignment]
        stream = PDFFontStream(contents=font.font_file.program(set(glyphs)))
        self._add_pdf_obj(stream, "fonts")
        descriptor.font_file2 = stream  # type: ignore[attr-defined]
        return composite


# From this day the forms carry line 5б, the new caption of column 14 and the ОГРНИП line (ПП № 26).
PP26_FROM = date(2026, 4, 1)
DASH = "—"


def _d(day: date | None) -> str:
    return f"{day:%d.%m.%Y}" if day else DASH


class DocumentPdf(FPDF):
    FONT = "DocFont"

    def __init__(self, *, landscape: bool, font_regular: str, font_bold: str, title: str) -> None:
        for path, setting in ((font_regular, "PDF_FONT_REGULAR"), (font_bold, "PDF_FONT_BOLD")):
            if not path or not os.path.isfile(path):
                raise ValidationError(
                    f"Не найден шрифт для PDF: {path or '(не задан)'}. Укажите TTF-файл с кириллицей в настройке "
                    f"{setting}."
                )
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        self.set_margins(8 if landscape else 12, 8, 8 if landscape else 12)
        self.set_auto_page_break(True, 8)
        for style, path in (("", font_regular), ("B", font_bold)):
            font = _font_for_document(path, self.FONT.lower() + style, len(self.fonts) + 1)
            self.fonts[font.fontkey] = font
        self.set_title(title)
        self.set_creator("printshop")
        self.set_line_width(0.2)
        self.add_page()

    def multi_cell(  # type: ignore[override]
        self,
        w: float,
        h: float | None = None,
        text: str = "",
        border: int | str = 0,
        align: str = "L",
        new_x: str = "RIGHT",
        new_y: str = "NEXT",
        **_: Any,
    ) -> bool:
        """Wrapped, left-aligned text: the subset of fpdf2's multi_cell the documents use, drawn with `wrap` and
        `text` (fpdf2's own shapes and measures every character, which made most of a document's time)."""
        x, y = self.get_x(), self.get_y()
        w = w or self.w - self.r_margin - x
        h = h or self.font_size * 1.2
        lines = self.wrap(text, w - 2 * self.c_margin)
        if y + len(lines) * h > self.page_break_trigger and y > self.t_margin + 1:
            self.add_page()
            y = self.t_margin
        for i, line in enumerate(lines):
            if align.upper().startswith("R"):
                tx = x + w - self.c_margin - self.width_of(line)
            elif align.upper().startswith("C"):
                tx = x + (w - self.width_of(line)) / 2
            else:
                tx = x + self.c_margin
            self.text(tx, y + i * h + h / 2 + 0.3 * self.font_size, line)
        bottom = y + len(lines) * h
        if border == "B":
            self.line(x, bottom, x + w, bottom)
        elif border:
            self.rect(x, y, w, bottom - y)
        self.set_xy(
            {"RIGHT": x + w, "LEFT": x, "LMARGIN": self.l_margin}.get(str(new_x), x + w),
            y if str(new_y) == "TOP" else bottom,
        )
        return True

    def font(self, size: float, bold: bool = False) -> None:
        style = "B" if bold else ""
        if self.font_size_pt == size and self.font_style == style and self.current_font is not None:
            return  # fpdf2's set_font checks the same, after a dozen other things (it is called per cell)
        self.set_font(self.FONT, style=style, size=size)

    def text(self, x: float, y: float, text: str = "") -> None:  # type: ignore[override]
        """fpdf2's `text()` for what documents draw (a document font, filled, no underline): the same operators,
        without its checks for features documents do not use (it is called for every line of every cell)."""
        if not self._plain_text():
            super().text(x, y, text)
            return
        self._out(self._text_op(x, y, text))

    def _plain_text(self) -> bool:
        """Text as documents draw it: a document font, filled, not underlined or struck through."""
        return (
            type(self.current_font) is _DocumentFont
            and not (self.underline or self.strikethrough or self._record_text_quad_points)
            and self.text_mode == TextMode.FILL
        )

    def _text_op(self, x: float, y: float, text: str) -> str:
        """The operators fpdf2's `text()` writes for `text` with its baseline at (x, y)."""
        font = self.current_font
        assert type(font) is _DocumentFont
        if not self.current_font_is_set_on_page:
            self._out(self._set_font_for_page(font, self.font_size_pt))
        out = f"BT {x * self.k:.2f} {(self.h - y) * self.k:.2f} Td {font.encode_text(text)} ET"
        if self.fill_color != self.text_color:
            out = f"q {self.text_color.serialize().lower()} {out} Q"  # type: ignore[union-attr]
        return out

    def cell(  # type: ignore[override]
        self,
        w: float | None = None,
        h: float | None = None,
        text: str = "",
        border: int | str = 0,
        new_x: str = "RIGHT",
        new_y: str = "TOP",
        align: str = "L",
        **kwargs: Any,
    ) -> bool:
        """fpdf2's `cell()` for the one-line cells documents draw (no fill, link or markdown): the same operators
        and the same position afterwards, without its text-layout machinery."""
        new_x, new_y, align = str(new_x).upper(), str(new_y).upper(), str(align).upper()
        if (
            kwargs
            or border not in (0, 1)
            or new_x not in ("RIGHT", "LEFT", "LMARGIN")
            or new_y not in ("TOP", "NEXT")
            or align not in ("L", "R", "C", "LEFT", "RIGHT", "CENTER")
            or not self._plain_text()
        ):
            return super().cell(w, h, text, border, new_x=new_x, new_y=new_y, align=align, **kwargs)  # type: ignore[arg-type]
        size = self.font_size
        h = size if h is None else h
        text_w = self.width_of(text) if text else 0.0
        if w is None:
            w = text_w + 2 * self.c_margin
        elif w == 0:
            w = self.w - self.r_margin - self.x
        broke = self._perform_page_break_if_need_be(h)
        x, y, k = self.x, self.y, self.k
        parts = []
        if border == 1:
            parts.append(f"{x * k:.2f} {(self.h - y) * k:.2f} {w * k:.2f} {-h * k:.2f} re S")
        if text:
            if align[0] == "R":
                dx = w - self.c_margin - text_w
            elif align[0] == "C":
                dx = (w - text_w) / 2
            else:
                dx = self.c_margin
            font = self.current_font
            assert type(font) is _DocumentFont
            if not self.current_font_is_set_on_page:
                self._out(self._set_font_for_page(font, self.font_size_pt))
            color = self.text_color != self.fill_color
            parts.append(f"BT {(x + dx) * k:.2f} {(self.h - y - 0.5 * h - 0.3 * size) * k:.2f} Td")
            if color:
                parts.append(self.text_color.serialize().lower())  # type: ignore[union-attr]
            parts += (font.encode_text(text), "ET")
            if color:
                parts = ["q", *parts, "Q"]
        if parts:
            self._out(" ".join(parts))
        self._lasth = h
        if new_x == "RIGHT":
            self.x = x + w
        elif new_x == "LMARGIN":
            self.x = self.l_margin
        if new_y == "NEXT":
            self.y = y + h
        return broke

    def rect(self, x: float, y: float, w: float, h: float, style: str | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        """A plain rectangle, stroked («D») or filled and stroked («DF»), as fpdf2 draws it."""
        if kwargs or style not in (None, "D", "DF", "FD"):
            super().rect(x, y, w, h, style, **kwargs)  # type: ignore[arg-type]
            return
        k, operator = self.k, "S" if style in (None, "D") else "B"
        self._out(f"{x * k:.2f} {(self.h - y) * k:.2f} {w * k:.2f} {-h * k:.2f} re {operator}")

    def width_of(self, text: str) -> float:
        """The width of a line in mm in the current font: the font's advance widths, no shaping."""
        widths: Any = self.current_font.cw  # type: ignore[union-attr]
        return sum(map(widths.__getitem__, map(ord, text))) * self.font_size_pt / (1000 * self.k)

    def wrap(self, text: str, width: float) -> list[str]:
        """Lines of `text` that fit `width` mm (by words; a word longer than the width is cut). The same captions
        are wrapped in every document, so the lines are remembered per font, size, text and width."""
        key = (str(self.current_font.ttffile), self.font_size_pt, text, round(width, 3))  # type: ignore[union-attr]
        lines = _WRAPPED.get(key)
        if lines is None:
            if len(_WRAPPED) > 50_000:
                _WRAPPED.clear()
            lines = _WRAPPED[key] = tuple(self._wrap(text, width))
        return list(lines)

    def _wrap(self, text: str, width: float) -> list[str]:
        lines: list[str] = []
        for paragraph in text.split("\n"):
            line = ""
            for word in paragraph.split():
                candidate = f"{line} {word}" if line else word
                if self.width_of(candidate) <= width:
                    line = candidate
                    continue
                if line:
                    lines.append(line)
                while self.width_of(word) > width and len(word) > 1:
                    cut = len(word) - 1
                    while cut > 1 and self.width_of(word[:cut]) > width:
                        cut -= 1
                    lines.append(word[:cut])
                    word = word[cut:]
                line = word
            lines.append(line)
        return lines

    def grid(self, **options: Any) -> Grid:
        return Grid(self, **options)

    def para(self, text: str, size: float = 9, bold: bool = False, align: str = "L", gap: float = 0.5) -> None:
        self.font(size, bold)
        self.multi_cell(0, size * 0.45, text, align=align, new_x="LMARGIN", new_y="NEXT")
        self.ln(gap)

    def rule(self, width: float = 0.6) -> None:
        self.set_line_width(width)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_line_width(0.2)
        self.ln(2)

    def labelled(self, label: str, value: str, code: str = "", size: float = 7.5, x: float | None = None) -> None:
        """A form line: «Продавец: ООО «Ромашка»          (2)», the value underlined."""
        x = self.l_margin if x is None else x
        width = self.w - self.r_margin - x
        self.set_x(x)
        self.font(size, bold=True)
        label_w = self.get_string_width(label) + 1.5
        self.cell(label_w, size * 0.45, label)
        self.font(size)
        code_w = 9 if code else 0
        value_w = width - label_w - code_w
        y0, step = self.get_y(), size * 0.45
        lines = self.wrap(value or DASH, value_w - 1)
        for i, line in enumerate(lines):
            self.text(x + label_w + 0.5, y0 + step * (i + 1) - step * 0.22, line)
        bottom = y0 + len(lines) * step
        self.line(x + label_w, bottom, x + label_w + value_w, bottom)
        if code:
            self.set_xy(x + label_w + value_w, y0)
            self.cell(code_w, step, f"({code})", align="R")
        self.set_xy(self.l_margin, bottom + 0.6)

    def signature(self, x: float, role: str, name: str, width: float) -> None:
        """«Руководитель ______ (подпись) Иванов И. И. (ф.и.о.)» in a box `width` wide at the current line."""
        y = self.get_y()
        self.set_xy(x, y)
        self.font(7)
        self.multi_cell(width * 0.36, 3.2, role, align="L", new_x="RIGHT", new_y="TOP")
        sign_x = x + width * 0.38
        self.line(sign_x, y + 6, sign_x + width * 0.22, y + 6)
        self.line(sign_x + width * 0.26, y + 6, x + width, y + 6)
        self.set_xy(sign_x + width * 0.26, y + 2.6)
        self.font(7.5)
        self.cell(width * 0.74 - width * 0.26, 3.2, name)
        self.font(5.5)
        self.set_xy(sign_x, y + 6.2)
        self.cell(width * 0.22, 2.4, "(подпись)", align="C")
        self.set_xy(sign_x + width * 0.26, y + 6.2)
        self.cell(width * 0.48, 2.4, "(ф.и.о.)", align="C")
        self.set_xy(self.l_margin, y + 9.5)

    def qr(self, payload: str, x: float, y: float, size: float) -> None:
        """The code as one filled vector path (runs of dark modules), with the quiet zone the standard asks for."""
        # A fixed mask: every mask is valid QR, and choosing the "best" of eight costs most of the time.
        code = segno.make_qr(payload, error="m", encoding="utf-8", mask=0, boost_error=False)
        matrix = code.matrix
        quiet = 4
        step = size / (len(matrix) + 2 * quiet)
        origin_x, origin_y = x + quiet * step, y + quiet * step
        k, page_h = self.k, self.h
        parts = []
        for row_index, row in enumerate(matrix):
            top = (page_h - (origin_y + row_index * step)) * k
            col, length = 0, len(row)
            while col < length:
                if row[col]:
                    start = col
                    while col < length and row[col]:
                        col += 1
                    left = (origin_x + start * step) * k
                    width = ((col - start) * step + 0.02) * k
                    parts.append(f"{left:.2f} {top:.2f} {width:.2f} {-(step + 0.02) * k:.2f} re")
                else:
                    col += 1
        self.set_fill_color(0, 0, 0)
        self._out("\n".join([*parts, "f"]))

    def output_bytes(self) -> bytes:
        return bytes(self.output(output_producer_class=_DocumentOutput))


# --- tables --------------------------------------------------------------------------------------------------


class _GridCell:
    __slots__ = ("text", "colspan", "rowspan", "align", "bold", "fill", "size")

    def __init__(self, text: str, colspan: int, rowspan: int, align: str | None, style: FontFace | None) -> None:
        self.text, self.colspan, self.rowspan, self.align = text, colspan, rowspan, align
        self.bold = bool(style is not None and style.emphasis is not None and "B" in str(style.emphasis.style))
        self.fill = style.fill_color if style is not None else None
        self.size = style.size_pt if style is not None else None


class _GridRow:
    def __init__(self) -> None:
        self.cells: list[_GridCell] = []

    def cell(
        self,
        text: str = "",
        align: str | None = None,
        style: FontFace | None = None,
        colspan: int = 1,
        rowspan: int = 1,
    ) -> None:
        self.cells.append(_GridCell(str(text), colspan, rowspan, align, style))


class Grid:
    """A bordered table with colspan and rowspan, laid out and drawn directly (words measured with the font's
    advance widths): fpdf2's own table shapes every character and was most of a document's drawing time.

    The interface is the part of `FPDF.table()` the documents use: `row()`, `row(texts)`, `row.cell(text,
    align=, style=FontFace(emphasis=, fill_color=, size_pt=), colspan=, rowspan=)`."""

    def __init__(
        self,
        pdf: DocumentPdf,
        *,
        col_widths: Sequence[float],
        line_height: float,
        padding: tuple[float, float] = (0.6, 0.8),
        text_align: str | Sequence[str] = "LEFT",
        width: float | None = None,
        align: str = "CENTER",
        **_: object,
    ) -> None:
        self.pdf = pdf
        total = width or pdf.epw
        scale = total / sum(col_widths)
        self.widths = [w * scale for w in col_widths]
        self.x0 = pdf.l_margin if align == "LEFT" else pdf.l_margin + (pdf.epw - total) / 2
        self.line_height = line_height
        self.pad_y, self.pad_x = padding
        self.aligns = [text_align] * len(self.widths) if isinstance(text_align, str) else list(text_align)
        self.size = pdf.font_size_pt
        self.rows: list[_GridRow] = []

    def row(self, texts: Sequence[str] | None = None) -> _GridRow:
        row = _GridRow()
        self.rows.append(row)
        for text in texts or ():
            row.cell(text)
        return row

    def __enter__(self) -> Grid:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.render()

    def render(self) -> None:
        pdf, widths = self.pdf, self.widths
        occupied: set[tuple[int, int]] = set()
        placed: list[tuple[int, int, _GridCell, list[str]]] = []
        for r, row in enumerate(self.rows):
            c = 0
            for cell in row.cells:
                while (r, c) in occupied:
                    c += 1
                for dr in range(cell.rowspan):
                    for dc in range(cell.colspan):
                        occupied.add((r + dr, c + dc))
                inner = sum(widths[c : c + cell.colspan]) - 2 * self.pad_x
                pdf.font(cell.size or self.size, cell.bold)
                placed.append((r, c, cell, pdf.wrap(cell.text, inner)))
                c += cell.colspan
        heights = [self.line_height + 2 * self.pad_y] * len(self.rows)
        for r, _, cell, lines in placed:
            if cell.rowspan == 1:
                heights[r] = max(heights[r], len(lines) * self._lh(cell) + 2 * self.pad_y)
        for r, _, cell, lines in placed:
            if cell.rowspan > 1:
                need = len(lines) * self._lh(cell) + 2 * self.pad_y
                have = sum(heights[r : r + cell.rowspan])
                if need > have:
                    heights[r + cell.rowspan - 1] += need - have
        # Rows tied by a rowspan stay on one page.
        block_end = list(range(len(self.rows)))
        for r, _, cell, _ in placed:
            for i in range(r, r + cell.rowspan):
                block_end[i] = max(block_end[i], r + cell.rowspan - 1)
        by_row: dict[int, list[tuple[int, _GridCell, list[str]]]] = {}
        for r, c, cell, lines in placed:
            by_row.setdefault(r, []).append((c, cell, lines))
        tops: list[float] = [0.0] * len(self.rows)
        y, r = pdf.get_y(), 0
        while r < len(self.rows):
            end = r
            while end < len(self.rows) and block_end[end] > end:
                end = block_end[end]
            block = sum(heights[r : end + 1])
            if y + block > pdf.page_break_trigger and y > pdf.t_margin + 1:
                pdf.add_page()
                y = pdf.t_margin
            for i in range(r, end + 1):
                tops[i] = y
                y += heights[i]
            for i in range(r, end + 1):
                for c, cell, lines in by_row.get(i, []):
                    self._draw(i, c, cell, lines, tops, heights)
            r = end + 1
        pdf.set_xy(pdf.l_margin, y)

    def _draw(self, r: int, c: int, cell: _GridCell, lines: list[str], tops: list[float], heights: list[float]) -> None:
        pdf, widths = self.pdf, self.widths
        x = self.x0 + sum(widths[:c])
        w = sum(widths[c : c + cell.colspan])
        h = sum(heights[r : r + cell.rowspan])
        if cell.fill is not None:
            pdf.set_fill_color(*_rgb(cell.fill))
            pdf.rect(x, tops[r], w, h, style="DF")
        else:
            pdf.rect(x, tops[r], w, h)
        pdf.font(cell.size or self.size, cell.bold)
        lh = self._lh(cell)
        text_y = tops[r] + (h - len(lines) * lh) / 2
        align = (cell.align or self.aligns[c]).upper()
        plain = pdf._plain_text()
        ops = []
        for line in lines:
            text_y += lh
            if align.startswith("R"):
                tx = x + w - self.pad_x - pdf.width_of(line)
            elif align.startswith("C"):
                tx = x + (w - pdf.width_of(line)) / 2
            else:
                tx = x + self.pad_x
            if plain:
                ops.append(pdf._text_op(tx, text_y - lh * 0.25, line))
            else:
                pdf.text(tx, text_y - lh * 0.25, line)
        if ops:
            pdf._out("\n".join(ops))

    def _lh(self, cell: _GridCell) -> float:
        return self.line_height * (cell.size or self.size) / self.size if cell.size else self.line_height


def _rgb(color: object) -> tuple[int, int, int]:
    if isinstance(color, tuple | list):
        return int(color[0]), int(color[1]), int(color[2])
    r, g, b = (round(v * 255) for v in color.colors[:3])  # type: ignore[attr-defined]
    return r, g, b


def _director(party: Party) -> str:
    """The name part of «Генеральный директор Иванов И. И.» (the position is printed by the form)."""
    words = party.director.split()
    for i in range(len(words)):
        if words[i][:1].isupper() and i and not words[i - 1][:1].isupper():
            return " ".join(words[i:])
    return party.director


def _position(party: Party) -> str:
    name = _director(party)
    position = party.director[: len(party.director) - len(name)].strip()
    return position or ("Индивидуальный предприниматель" if party.is_individual else "Руководитель")


# --- Счёт на оплату, акт, подтверждение заказа ------------------------------------------------------------------


def _goods_table(pdf: DocumentPdf, lines: Sequence[DocLine], name_caption: str) -> None:
    pdf.font(8)
    head = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    with pdf.grid(
        col_widths=(8, 91, 16, 15, 28, 28),
        text_align=("CENTER", "LEFT", "RIGHT", "CENTER", "RIGHT", "RIGHT"),
        line_height=3.8,
        first_row_as_headings=False,
        padding=(0.8, 1),
    ) as table:
        row = table.row()
        for text in ("№", name_caption, "Кол-во", "Ед.", "Цена", "Сумма"):
            row.cell(text, style=head, align="CENTER")
        for i, line in enumerate(lines, 1):
            table.row((str(i), line.name, str(line.quantity), line.unit, money(line.unit_price), money(line.total)))
    pdf.ln(1)


def _totals(pdf: DocumentPdf, data: DocumentData, final_label: str) -> None:
    rows: list[tuple[str, str]] = [("Итого:", money(data.total))]
    by_rate = data.vat_by_rate()
    if all(rate is None for rate, _ in by_rate):
        rows.append(("Без налога (НДС):", DASH))
    for rate, vat in by_rate:
        if rate is not None:
            rows.append((f"В том числе НДС ({rate_label(rate)}):", money(vat)))
    rows.append((final_label, money(data.total)))
    pdf.font(8.5, bold=True)
    for label, value in rows:
        pdf.set_x(pdf.w - pdf.r_margin - 110)
        pdf.cell(80, 4.4, label, align="R")
        pdf.cell(30, 4.4, value, align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)


def render_invoice(data: DocumentData, *, font_regular: str, font_bold: str) -> bytes:
    """Счёт на оплату: the bank block laid out like a payment order, the QR code a banking app scans."""
    pdf = DocumentPdf(landscape=False, font_regular=font_regular, font_bold=font_bold, title=_title(data))
    s = data.seller
    top = pdf.get_y()
    qr_size = 38
    pdf.font(8)
    with pdf.grid(
        width=pdf.epw - qr_size - 4,
        align="LEFT",
        text_align="LEFT",
        col_widths=(42, 42, 16, 46),
        line_height=3.8,
        first_row_as_headings=False,
        padding=(0.8, 1),
    ) as table:
        row = table.row()
        row.cell(f"{s.bank_name}\n\nБанк получателя", colspan=2, rowspan=2)
        row.cell("БИК")
        row.cell(s.bik)
        row = table.row()
        row.cell("Сч. №")
        row.cell(s.correspondent_account)
        row = table.row()
        row.cell(f"ИНН {s.inn}")
        row.cell(f"КПП {s.kpp or DASH}")
        row.cell("Сч. №", rowspan=2)
        row.cell(s.settlement_account, rowspan=2)
        row = table.row()
        row.cell(f"{s.name}\n\nПолучатель", colspan=2)
    bottom = pdf.get_y()
    pdf.qr(payment_qr_payload(data), pdf.w - pdf.r_margin - qr_size, top - 2, qr_size)
    pdf.font(5.5)
    pdf.set_xy(pdf.w - pdf.r_margin - qr_size, top + qr_size - 3)
    pdf.cell(qr_size, 2.5, "Оплата по QR-коду", align="C")
    pdf.set_xy(pdf.l_margin, max(bottom, top + qr_size) + 4)
    pdf.para(f"Счёт на оплату № {data.number} от {format_date_long(data.day)}", size=14, bold=True)
    pdf.rule()
    _parties(pdf, data, ("Поставщик\n(Исполнитель):", "Покупатель\n(Заказчик):"))
    _goods_table(pdf, data.lines, "Товары (работы, услуги)")
    _totals(pdf, data, "Всего к оплате:")
    pdf.para(f"Всего наименований {len(data.lines)}, на сумму {money(data.total)} руб.", size=8.5)
    pdf.para(amount_in_words(data.total), size=9, bold=True, gap=2)
    terms = data.extra.get("terms") or (
        "Оплатить не позднее 5 банковских дней с даты счёта. В назначении платежа укажите номер счёта. "
        "Оплата счёта означает согласие с условиями поставки; товар отпускается по факту поступления денег "
        "на расчётный счёт поставщика."
    )
    pdf.para(terms, size=7.5, gap=2)
    pdf.rule()
    _signatures(pdf, s, short=True)
    return pdf.output_bytes()


def render_act(data: DocumentData, *, font_regular: str, font_bold: str) -> bytes:
    """Акт (выполненных работ, оказанных услуг): the requisites of 402-ФЗ ст. 9 and both parties' signatures."""
    pdf = DocumentPdf(landscape=False, font_regular=font_regular, font_bold=font_bold, title=_title(data))
    pdf.para(f"Акт № {data.number} от {format_date_long(data.day)}", size=14, bold=True)
    pdf.rule()
    _parties(pdf, data, ("Исполнитель:", "Заказчик:"))
    _goods_table(pdf, data.lines, "Наименование работ, услуг")
    _totals(pdf, data, "Всего:")
    pdf.para(f"Всего оказано услуг {len(data.lines)}, на сумму {money(data.total)} руб.", size=8.5)
    pdf.para(amount_in_words(data.total), size=9, bold=True, gap=2)
    pdf.para(
        "Вышеперечисленные работы (услуги) выполнены полностью и в срок. Заказчик претензий по объёму, качеству "
        "и срокам оказания услуг не имеет.",
        size=8,
        gap=3,
    )
    pdf.rule()
    _two_party_signatures(pdf, data, ("ИСПОЛНИТЕЛЬ", "ЗАКАЗЧИК"))
    return pdf.output_bytes()


def render_confirmation(data: DocumentData, *, font_regular: str, font_bold: str) -> bytes:
    """The order confirmation of a private customer, with VAT «в том числе» (the receipt is the cash desk's)."""
    pdf = DocumentPdf(landscape=False, font_regular=font_regular, font_bold=font_bold, title=_title(data))
    pdf.para(f"Подтверждение заказа № {data.order_number} от {format_date_long(data.day)}", size=14, bold=True)
    pdf.rule()
    buyer = ", ".join(p for p in (data.buyer.name, data.buyer.address) if p)
    _parties(pdf, data, ("Продавец:", "Покупатель:"), buyer_line=buyer)
    _goods_table(pdf, data.lines, "Товары (работы, услуги)")
    _totals(pdf, data, "Всего по заказу:")
    pdf.para(f"Всего наименований {len(data.lines)}, на сумму {money(data.total)} руб.", size=8.5)
    pdf.para(amount_in_words(data.total), size=9, bold=True, gap=2)
    pdf.para(
        "Документ подтверждает состав и стоимость заказа. Кассовый чек выдаётся при оплате в соответствии с 54-ФЗ.",
        size=7.5,
    )
    return pdf.output_bytes()


def _parties(pdf: DocumentPdf, data: DocumentData, labels: tuple[str, str], buyer_line: str | None = None) -> None:
    for label, text in (
        (labels[0], data.seller.requisites_line),
        (labels[1], buyer_line if buyer_line is not None else data.buyer.requisites_line),
        ("Основание:", data.basis or DASH),
    ):
        y = pdf.get_y()
        pdf.font(8.5)
        pdf.multi_cell(28, 4, label, align="L", new_x="RIGHT", new_y="TOP")
        pdf.font(8.5, bold=True)
        pdf.multi_cell(0, 4, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(max(pdf.get_y(), y + 8 if "\n" in label else y + 4) + 1.2)
    pdf.ln(1)


def _signatures(pdf: DocumentPdf, seller: Party, *, short: bool) -> None:
    half = pdf.epw / 2 - 4
    y = pdf.get_y()
    if seller.is_individual:
        pdf.signature(pdf.l_margin, "Индивидуальный предприниматель", _director(seller), half)
        return
    pdf.signature(pdf.l_margin, "Руководитель" if short else _position(seller), _director(seller), half)
    pdf.set_y(y)
    pdf.signature(pdf.l_margin + half + 8, "Бухгалтер", seller.accountant, half)


def _two_party_signatures(pdf: DocumentPdf, data: DocumentData, titles: tuple[str, str]) -> None:
    half = pdf.epw / 2 - 4
    y = pdf.get_y()
    for i, (title, party, name) in enumerate(
        ((titles[0], data.seller, _director(data.seller)), (titles[1], data.buyer, _director(data.buyer)))
    ):
        x = pdf.l_margin + i * (half + 8)
        pdf.set_xy(x, y)
        pdf.font(8.5, bold=True)
        pdf.cell(half, 4.5, title, new_x="LEFT", new_y="NEXT")
        pdf.font(8)
        pdf.set_x(x)
        pdf.multi_cell(half, 3.8, party.display_name, new_x="LEFT", new_y="NEXT")
        pdf.set_xy(x, pdf.get_y() + 2)
        pdf.signature(x, _position(party) if name else "Должность", name, half)


# --- Счёт-фактура and УПД ------------------------------------------------------------------------------------

HEADER_SMALL = 4.7


def _redaction_note(day: date, appendix: int) -> str:
    base = f"Приложение № {appendix} к постановлению Правительства Российской Федерации от 26 декабря 2011 г. № 1137"
    if day >= PP26_FROM:
        return base + " (в ред. постановления Правительства РФ от 23.01.2026 № 26)"
    return base + " (в ред. постановления Правительства РФ от 16.08.2024 № 1096)"


def _status_box(pdf: DocumentPdf, title: str, status: int) -> float:
    """The left column of a УПД / УКД: its name, the status and what the statuses mean; returns its width."""
    x, y, width = pdf.l_margin, pdf.get_y(), 40
    pdf.set_xy(x, y)
    pdf.font(9, bold=True)
    pdf.multi_cell(width, 4, title, new_x="LEFT", new_y="NEXT")
    pdf.ln(1.5)
    pdf.set_x(x)
    pdf.font(8)
    pdf.cell(14, 5, "Статус:")
    pdf.font(10, bold=True)
    pdf.cell(8, 5, str(status), border=1, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)
    pdf.set_x(x)
    pdf.font(6)
    pdf.multi_cell(
        width,
        2.8,
        "1 — счёт-фактура и передаточный документ (акт)\n2 — передаточный документ (акт)",
        align="L",
        new_x="LEFT",
        new_y="NEXT",
    )
    pdf.set_y(y)
    return width + 4


def _header_lines(pdf: DocumentPdf, data: DocumentData, x: float) -> None:
    s, b = data.seller, data.buyer
    is_sf = data.upd_status != 2
    title = "Счёт-фактура" if is_sf else "Передаточный документ (акт)"
    pdf.set_x(x)
    pdf.font(10, bold=True)
    pdf.cell(0, 5, f"{title} № {data.number} от {_d(data.day)}", new_x="LMARGIN", new_y="NEXT")
    pdf.font(7.5)
    rev = data.revision
    pdf.labelled("Исправление №", f"{rev.number} от {_d(rev.day)}" if rev else f"{DASH} от {DASH}", "1а", x=x)
    pdf.labelled("Продавец:", s.name, "2", x=x)
    pdf.labelled("Адрес:", s.address, "2а", x=x)
    pdf.labelled("ИНН/КПП продавца:", s.inn_kpp, "2б", x=x)
    advance = data.kind == "advance_invoice"  # nothing is shipped: lines 3, 4 and 5а are dashes
    pdf.labelled("Грузоотправитель и его адрес:", DASH if advance else "он же", "3", x=x)
    consignee = DASH if advance else data.consignee or f"{b.name}, {b.address}"
    pdf.labelled("Грузополучатель и его адрес:", consignee, "4", x=x)
    payments = "; ".join(f"№ {p.number} от {_d(p.day)}" for p in data.payment_docs)
    pdf.labelled("К платёжно-расчётному документу", payments or f"№ {DASH} от {DASH}", "5", x=x)
    shipment = data.extra.get("shipment_doc")
    rows = f"№ п/п 1–{len(data.lines)}" if len(data.lines) > 1 else "№ п/п 1"
    doc = f"№ {shipment['number']} от {_d(date.fromisoformat(shipment['day']))}" if shipment else f"№ {data.number}"
    if not shipment:
        doc += f" от {_d(data.day)}"
    pdf.labelled("Документ об отгрузке", DASH if advance else f"{rows}; {doc}", "5а", x=x)
    if data.day >= PP26_FROM:
        pdf.labelled("Счёт-фактура на аванс (зачтённый):", data.extra.get("advance_invoices") or DASH, "5б", x=x)
    pdf.labelled("Покупатель:", b.name, "6", x=x)
    pdf.labelled("Адрес:", b.address, "6а", x=x)
    pdf.labelled("ИНН/КПП покупателя:", b.inn_kpp, "6б", x=x)
    pdf.labelled("Валюта: наименование, код", CURRENCY, "7", x=x)
    pdf.labelled(
        "Идентификатор государственного контракта, договора (соглашения) (при наличии):",
        data.extra.get("contract_id") or DASH,
        "8",
        x=x,
    )


INVOICE_COLUMNS: tuple[tuple[str, str, float], ...] = (
    # (number, caption, width mm)
    ("А", "Код товара/ работ, услуг", 11),
    ("1", "№ п/п", 7),
    ("1а", "Наименование товара (описание выполненных работ, оказанных услуг), имущественного права", 41),
    ("1б", "Код вида товара", 10),
    ("2", "код", 9),
    ("2а", "условное обозначение (национальное)", 12),
    ("3", "Количество (объём)", 13),
    ("4", "Цена (тариф) за единицу измерения", 16),
    ("5", "Стоимость товаров (работ, услуг), имущественных прав без налога — всего", 19),
    ("6", "В том числе сумма акциза", 11),
    ("7", "Налоговая ставка", 12),
    ("8", "Сумма налога, предъявляемая покупателю", 17),
    ("9", "Стоимость товаров (работ, услуг), имущественных прав с налогом — всего", 19),
    ("10", "цифровой код", 9),
    ("10а", "краткое наименование", 12),
    (
        "11",
        "Регистрационный номер декларации на товары или регистрационный номер партии товара, подлежащего "
        "прослеживаемости",
        19,
    ),
    ("12", "код", 9),
    ("12а", "условное обозначение", 11),
    (
        "13",
        "Количество товара, подлежащего прослеживаемости, в единице измерения, используемой в целях прослеживаемости",
        15,
    ),
    ("14", "Стоимость товара, подлежащего прослеживаемости, без налога на добавленную стоимость", 17),
)
GROUPS = {
    "2": ("Единица измерения", 2),
    "10": ("Страна происхождения товара", 2),
    "12": ("Единица измерения товара, используемая в целях осуществления прослеживаемости", 2),
}


def _invoice_table(pdf: DocumentPdf, data: DocumentData, with_code: bool) -> None:
    columns = [c for c in INVOICE_COLUMNS if with_code or c[0] != "А"]
    caption14 = " в рублях и копейках" if data.day >= PP26_FROM else ", в рублях"
    columns = [(n, cap + (caption14 if n == "14" else ""), w) for n, cap, w in columns]
    scale = pdf.epw / sum(w for _, _, w in columns)
    head = FontFace(size_pt=HEADER_SMALL)
    numbers = FontFace(size_pt=HEADER_SMALL, fill_color=(240, 240, 240))
    pdf.font(6.5)
    aligns = {"1а": "LEFT", "3": "RIGHT", "4": "RIGHT", "5": "RIGHT", "8": "RIGHT", "9": "RIGHT"}
    with pdf.grid(
        col_widths=[w * scale for _, _, w in columns],
        line_height=2.6,
        first_row_as_headings=False,
        padding=(0.6, 0.6),
        text_align=[aligns.get(n, "CENTER") for n, _, _ in columns],
        v_align="MIDDLE",
    ) as table:
        top, sub = table.row(), table.row()
        skip = 0
        for number, caption, _ in columns:
            if skip:
                skip -= 1
                sub.cell(caption, style=head, align="CENTER")
                continue
            if number in GROUPS:
                group, span = GROUPS[number]
                top.cell(group, colspan=span, style=head, align="CENTER")
                sub.cell(caption, style=head, align="CENTER")
                skip = span - 1
            else:
                top.cell(caption, rowspan=2, style=head, align="CENTER")
        row = table.row()
        for number, _, _ in columns:
            row.cell(number, style=numbers, align="CENTER")
        advance = data.kind == "advance_invoice"
        for i, line in enumerate(data.lines, 1):
            if advance:  # the sum received, its VAT at the calculated rate; no quantity, unit or price
                values = {
                    "1": str(i),
                    "1а": line.name,
                    "7": advance_rate_label(line.vat_rate),
                    "8": money(line.vat) if line.vat_rate is not None else "без НДС",
                    "9": money(line.total),
                }
                table.row([values.get(n, DASH) for n, _, _ in columns])
                continue
            values = {
                "А": DASH,
                "1": str(i),
                "1а": line.name,
                "1б": DASH,
                "2": line.okei or DASH,
                "2а": line.unit,
                "3": str(line.quantity),
                "4": money(line.unit_price_net),
                "5": money(line.net),
                "6": "без акциза",
                "7": line.rate_label,
                "8": money(line.vat) if line.vat_rate is not None else "без НДС",
                "9": money(line.total),
            }
            table.row([values.get(n, DASH) for n, _, _ in columns])
        row = table.row()
        before = [n for n, _, _ in columns].index("5")
        bold = FontFace(emphasis="BOLD")
        row.cell("Всего к оплате (9)", colspan=before, style=bold, align="LEFT")
        row.cell(DASH if advance else money(data.net), style=bold)
        row.cell("Х")
        row.cell("Х")
        row.cell(money(data.vat), style=bold)
        row.cell(money(data.total), style=bold)
        row.cell("", colspan=len(columns) - before - 5)
    pdf.ln(1.5)


def advance_rate_label(rate: Decimal | None) -> str:
    """Column 7 of an advance invoice: the calculated rate, «22/122» (п. 4 ст. 164 НК), or «без НДС»."""
    if rate is None:
        return "без НДС"
    r = rate.normalize()
    return f"{format(r, 'f')}/{format(100 + r, 'f')}".replace(".", ",")


def _invoice_signatures(pdf: DocumentPdf, seller: Party, day: date) -> None:
    half = pdf.epw / 2 - 4
    y = pdf.get_y()
    if seller.is_individual:
        pdf.signature(
            pdf.l_margin, "Индивидуальный предприниматель или иное уполномоченное лицо", _director(seller), half
        )
        pdf.set_xy(pdf.l_margin + half + 8, y + 2)
        pdf.font(7)
        if day >= PP26_FROM:
            text = f"ОГРНИП {seller.ogrn} от {seller.ogrn_date or DASH}"
        else:
            text = f"Реквизиты свидетельства о государственной регистрации ИП: ОГРНИП {seller.ogrn}"
        pdf.multi_cell(half, 3.2, text, new_x="LMARGIN", new_y="NEXT")
        pdf.set_y(y + 10)
        return
    pdf.signature(pdf.l_margin, "Руководитель организации или иное уполномоченное лицо", _director(seller), half)
    pdf.set_y(y)
    pdf.signature(pdf.l_margin + half + 8, "Главный бухгалтер или иное уполномоченное лицо", seller.accountant, half)


def _transfer_part(pdf: DocumentPdf, data: DocumentData, basis_label: str) -> None:
    """The передаточная часть of a УПД (lines [8]–[19]): who handed over and who received, dates, makers."""
    if pdf.get_y() > pdf.h - 66:  # both columns start on one page
        pdf.add_page()
    pdf.rule(0.4)
    pdf.font(6.5)
    pdf.labelled(basis_label, data.basis, "8", size=6.5)
    pdf.labelled("Данные о транспортировке и грузе", data.extra.get("transport") or DASH, "9", size=6.5)
    half = pdf.epw / 2 - 4
    y = pdf.get_y()
    left = (
        ("Товар (груз) передал / услуги, результаты работ, права сдал", "10", None),
        ("Дата отгрузки, передачи (сдачи)", "11", format_date_long(data.shipped_on or data.day)),
        ("Иные сведения об отгрузке, передаче", "12", DASH),
        ("Ответственный за правильность оформления факта хозяйственной жизни", "13", None),
        (
            "Наименование экономического субъекта — составителя документа (в т.ч. комиссионера / агента)",
            "14",
            f"{data.seller.display_name}, ИНН/КПП {data.seller.inn_kpp}",
        ),
    )
    right = (
        ("Товар (груз) получил / услуги, результаты работ, права принял", "15", None),
        ("Дата получения (приёмки)", "16", "«___» ____________ 20__ г."),
        ("Иные сведения о получении, приёмке", "17", DASH),
        ("Ответственный за правильность оформления факта хозяйственной жизни", "18", None),
        (
            "Наименование экономического субъекта — составителя документа",
            "19",
            f"{data.buyer.display_name}, ИНН/КПП {data.buyer.inn_kpp}",
        ),
    )
    bottom = y
    for column, (rows, party) in enumerate(((left, data.seller), (right, data.buyer))):
        x = pdf.l_margin + column * (half + 8)
        pdf.set_xy(x, y)
        for caption, code, value in rows:
            pdf.set_x(x)
            pdf.font(6, bold=True)
            pdf.multi_cell(half - 8, 2.8, caption, new_x="RIGHT", new_y="TOP")
            pdf.font(6)
            pdf.cell(8, 2.8, f"[{code}]", align="R", new_x="LEFT", new_y="NEXT")
            pdf.set_x(x)
            if value is None:
                name = _director(party) if party is data.seller else ""
                pdf.signature(x, _position(party) if name else "(должность)", name, half)
            else:
                pdf.font(7)
                pdf.multi_cell(half, 3.2, value, border="B", new_x="LEFT", new_y="NEXT")
                pdf.ln(0.8)
        bottom = max(bottom, pdf.get_y())
    pdf.set_y(bottom)


def render_vat_invoice(data: DocumentData, *, font_regular: str, font_bold: str) -> bytes:
    """Счёт-фактура (ПП № 1137, приложение № 1), an advance one (the sum received, VAT at the calculated rate, no
    quantities) or a УПД (the same plus status, code column and lines 8–19)."""
    upd = data.upd_status is not None
    pdf = DocumentPdf(landscape=True, font_regular=font_regular, font_bold=font_bold, title=_title(data))
    pdf.font(5.5)
    pdf.multi_cell(0, 2.4, _redaction_note(data.day, 1), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    x = pdf.l_margin
    top = pdf.get_y()
    if upd:
        x += _status_box(pdf, "Универсальный передаточный документ", data.upd_status or 1)
    _header_lines(pdf, data, x)
    if upd:
        pdf.line(x - 2.5, top, x - 2.5, pdf.get_y())
    pdf.ln(1)
    _invoice_table(pdf, data, with_code=upd)
    if data.upd_status != 2:
        _invoice_signatures(pdf, data.seller, data.day)
    else:
        pdf.para(f"Всего отпущено на сумму: {amount_in_words(data.total)}", size=7.5)
    if upd:
        pdf.para(f"Документ составлен на {pdf.page_no()} листе(ах). Всего: {amount_in_words(data.total)}", size=6.5)
        _transfer_part(pdf, data, "Основание передачи (сдачи) / получения (приёмки)")
    return pdf.output_bytes()


# --- Корректировочный документ ------------------------------------------------------------------------------

CORRECTION_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("1", "№ п/п", 7),
    ("1а", "Наименование товара (описание выполненных работ, оказанных услуг), имущественного права", 55),
    ("2", "код", 9),
    ("2а", "условное обозначение (национальное)", 13),
    ("", "Показатели", 25),
    ("3", "Количество (объём)", 14),
    ("4", "Цена (тариф) за единицу измерения", 20),
    ("5", "Стоимость товаров (работ, услуг), имущественных прав без налога — всего", 24),
    ("6", "В том числе сумма акциза", 14),
    ("7", "Налоговая ставка", 14),
    ("8", "Сумма налога", 22),
    ("9", "Стоимость товаров (работ, услуг), имущественных прав с налогом — всего", 24),
)
STATES = ("А (до изменения)", "Б (после изменения)", "В (увеличение)", "Г (уменьшение)")


def correction_rows(before: DocLine, after: DocLine) -> list[tuple[str, str, str, str, str]]:
    """Rows А–Г of one corrected line: quantity, unit price, net, VAT, total (increase / decrease as positives)."""

    def values(line: DocLine) -> tuple[str, str, str, str, str]:
        return (str(line.quantity), money(line.unit_price_net), money(line.net), money(line.vat), money(line.total))

    def diff(sign: int) -> tuple[str, str, str, str, str]:
        def part(a: Decimal, b: Decimal) -> str:
            d = (b - a) * sign
            return money(d) if d > 0 else DASH

        dq = (after.quantity - before.quantity) * sign
        return (
            str(dq) if dq > 0 else DASH,
            part(before.unit_price_net, after.unit_price_net),
            part(before.net, after.net),
            part(before.vat, after.vat),
            part(before.total, after.total),
        )

    return [values(before), values(after), diff(1), diff(-1)]


def render_correction(data: DocumentData, *, font_regular: str, font_bold: str) -> bytes:
    """УКД (status 1: корректировочный счёт-фактура + документ об изменении; 2: without the invoice part), lines А–Г."""
    pdf = DocumentPdf(landscape=True, font_regular=font_regular, font_bold=font_bold, title=_title(data))
    pdf.font(5.5)
    pdf.multi_cell(0, 2.4, _redaction_note(data.day, 2), align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    status = data.upd_status or 1
    top = pdf.get_y()
    x = pdf.l_margin + _status_box(pdf, "Универсальный корректировочный документ", status)
    s, b = data.seller, data.buyer
    title = "Корректировочный счёт-фактура" if status == 1 else "Документ об изменении стоимости"
    pdf.set_x(x)
    pdf.font(10, bold=True)
    pdf.cell(0, 5, f"{title} № {data.number} от {_d(data.day)}", new_x="LMARGIN", new_y="NEXT")
    rev = data.revision
    pdf.labelled(
        "Исправление корректировочного счёта-фактуры №",
        f"{rev.number} от {_d(rev.day)}" if rev else f"{DASH} от {DASH}",
        "1а",
        x=x,
    )
    base = data.corrected
    base_text = (
        f"№ {base.number} от {_d(base.day)} ({base.title}), с учётом исправления № {DASH} от {DASH}" if base else DASH
    )
    pdf.labelled("к счёту-фактуре (счетам-фактурам)", base_text, "1б", x=x)
    pdf.labelled("Продавец:", s.name, "2", x=x)
    pdf.labelled("Адрес:", s.address, "2а", x=x)
    pdf.labelled("ИНН/КПП продавца:", s.inn_kpp, "2б", x=x)
    pdf.labelled("Покупатель:", b.name, "3", x=x)
    pdf.labelled("Адрес:", b.address, "3а", x=x)
    pdf.labelled("ИНН/КПП покупателя:", b.inn_kpp, "3б", x=x)
    pdf.labelled("Валюта: наименование, код", CURRENCY, "4", x=x)
    pdf.labelled("Идентификатор государственного контракта, договора (соглашения) (при наличии):", DASH, "5", x=x)
    pdf.line(x - 2.5, top, x - 2.5, pdf.get_y())
    pdf.ln(1)
    scale = pdf.epw / sum(w for _, _, w in CORRECTION_COLUMNS)
    head = FontFace(size_pt=HEADER_SMALL)
    bold = FontFace(emphasis="BOLD")
    pdf.font(6.5)
    with pdf.grid(
        col_widths=[w * scale for _, _, w in CORRECTION_COLUMNS],
        line_height=2.8,
        first_row_as_headings=False,
        padding=(0.6, 0.6),
        text_align=["CENTER", "LEFT", "CENTER", "CENTER", "LEFT"] + ["RIGHT"] * 7,
        v_align="MIDDLE",
    ) as table:
        head_row, sub = table.row(), table.row()
        for number, caption, _ in CORRECTION_COLUMNS:
            if number == "2":
                head_row.cell("Единица измерения", colspan=2, style=head, align="CENTER")
            if number in ("2", "2а"):
                sub.cell(caption, style=head, align="CENTER")
            else:
                head_row.cell(caption, rowspan=2, style=head, align="CENTER")
        row = table.row()
        for number, _, _ in CORRECTION_COLUMNS:
            row.cell(number, style=FontFace(size_pt=HEADER_SMALL, fill_color=(240, 240, 240)), align="CENTER")
        for i, (before, after) in enumerate(zip(data.lines_before, data.lines, strict=True), 1):
            for state_index, values in enumerate(correction_rows(before, after)):
                row = table.row()
                if state_index == 0:
                    row.cell(str(i), rowspan=4)
                    row.cell(before.name, rowspan=4)
                    row.cell(before.okei or DASH, rowspan=4)
                    row.cell(before.unit, rowspan=4)
                row.cell(STATES[state_index])
                quantity, price, net, vat, total = values
                row.cell(quantity)
                row.cell(price)
                row.cell(net)
                row.cell("без акциза" if state_index < 2 else DASH)
                row.cell(before.rate_label if state_index < 2 else DASH)
                row.cell(vat if before.vat_rate is not None or state_index > 1 else "без НДС")
                row.cell(total)
        increase = [_sum_diff(data, 1, attr) for attr in ("net", "vat", "total")]
        decrease = [_sum_diff(data, -1, attr) for attr in ("net", "vat", "total")]
        for label, sums in (
            ("Всего увеличение (сумма строк В)", increase),
            ("Всего уменьшение (сумма строк Г)", decrease),
        ):
            row = table.row()
            row.cell(label, colspan=7, style=bold, align="LEFT")
            row.cell(money(sums[0]) if sums[0] else DASH, style=bold)
            row.cell("Х")
            row.cell("Х")
            row.cell(money(sums[1]) if sums[1] else DASH, style=bold)
            row.cell(money(sums[2]) if sums[2] else DASH, style=bold)
    pdf.ln(1.5)
    if status == 1:
        _invoice_signatures(pdf, s, data.day)
    _transfer_part(pdf, data, "Основание корректировки")
    return pdf.output_bytes()


def _sum_diff(data: DocumentData, sign: int, attr: str) -> Decimal:
    total = ZERO
    for before, after in zip(data.lines_before, data.lines, strict=True):
        d = (getattr(after, attr) - getattr(before, attr)) * sign
        if d > 0:
            total += d
    return total


# --- Акт сверки ------------------------------------------------------------------------------------------------


def render_statement(data: DocumentData, *, font_regular: str, font_bold: str) -> bytes:
    """Акт сверки взаимных расчётов for a period: opening balance, each document and payment, closing balance."""
    pdf = DocumentPdf(landscape=False, font_regular=font_regular, font_bold=font_bold, title=_title(data))
    s, b = data.seller, data.buyer
    pdf.para(f"Акт сверки взаимных расчётов № {data.number}", size=13, bold=True, align="C")
    pdf.para(f"за период с {_d(data.period_from)} по {_d(data.period_to)}", size=9, align="C")
    pdf.para(f"между {s.display_name} и {b.display_name}", size=9, align="C", gap=3)
    pdf.para(
        f"Мы, нижеподписавшиеся, {_position(s)} {s.display_name} {_director(s)}, с одной стороны, и представитель "
        f"{b.display_name}, с другой стороны, составили настоящий акт сверки в том, что состояние взаимных расчётов "
        "по данным учёта следующее:",
        size=8,
        gap=2,
    )
    half = (pdf.epw) / 2
    widths = (17, half - 17 - 44, 22, 22) * 2
    bold = FontFace(emphasis="BOLD")
    head = FontFace(emphasis="BOLD", fill_color=(235, 235, 235))
    pdf.font(7)
    opening_debit, opening_credit = max(data.opening, ZERO), max(-data.opening, ZERO)
    closing_debit, closing_credit = max(data.closing, ZERO), max(-data.closing, ZERO)
    turnover_debit = sum((r.debit for r in data.rows), ZERO)
    turnover_credit = sum((r.credit for r in data.rows), ZERO)

    def amount(value: Decimal) -> str:
        return money(value) if value else ""

    with pdf.grid(
        col_widths=widths,
        line_height=3.3,
        first_row_as_headings=False,
        padding=(0.6, 0.8),
        text_align=("CENTER", "LEFT", "RIGHT", "RIGHT") * 2,
    ) as table:
        row = table.row()
        row.cell(f"По данным {s.display_name}, руб.", colspan=4, style=head, align="CENTER")
        row.cell(f"По данным {b.display_name}, руб.", colspan=4, style=head, align="CENTER")
        row = table.row()
        for _ in range(2):
            for caption in ("Дата", "Документ", "Дебет", "Кредит"):
                row.cell(caption, style=head, align="CENTER")
        row = table.row()
        row.cell("Сальдо начальное", colspan=2, style=bold, align="LEFT")
        row.cell(amount(opening_debit), style=bold)
        row.cell(amount(opening_credit), style=bold)
        row.cell("Сальдо начальное", colspan=2, style=bold, align="LEFT")
        row.cell("")
        row.cell("")
        for item in data.rows:
            table.row((_d(item.day), item.text, amount(item.debit), amount(item.credit), "", "", "", ""))
        row = table.row()
        row.cell("Обороты за период", colspan=2, style=bold, align="LEFT")
        row.cell(amount(turnover_debit), style=bold)
        row.cell(amount(turnover_credit), style=bold)
        row.cell("Обороты за период", colspan=2, style=bold, align="LEFT")
        row.cell("")
        row.cell("")
        row = table.row()
        row.cell("Сальдо конечное", colspan=2, style=bold, align="LEFT")
        row.cell(amount(closing_debit), style=bold)
        row.cell(amount(closing_credit), style=bold)
        row.cell("Сальдо конечное", colspan=2, style=bold, align="LEFT")
        row.cell("")
        row.cell("")
    pdf.ln(2)
    if data.closing > 0:
        outcome = (
            f"на {_d(data.period_to)} задолженность в пользу {s.display_name} составляет {money(data.closing)} руб. "
            f"({amount_in_words(data.closing)})."
        )
    elif data.closing < 0:
        outcome = (
            f"на {_d(data.period_to)} задолженность в пользу {b.display_name} составляет {money(-data.closing)} руб. "
            f"({amount_in_words(-data.closing)})."
        )
    else:
        outcome = f"на {_d(data.period_to)} задолженность отсутствует."
    pdf.para(f"По данным {s.display_name} {outcome}", size=8.5, bold=True, gap=4)
    _two_party_signatures(pdf, data, (f"От {s.display_name}", f"От {b.display_name}"))
    return pdf.output_bytes()


def _title(data: DocumentData) -> str:
    return f"{TITLES.get(data.kind, 'Документ')} № {data.number} от {_d(data.day)}"


TITLES = {
    "invoice": "Счёт на оплату",
    "upd": "УПД",
    "vat_invoice": "Счёт-фактура",
    "act": "Акт",
    "correction": "Корректировочный документ",
    "statement": "Акт сверки",
    "confirmation": "Подтверждение заказа",
    "advance_invoice": "Счёт-фактура на аванс",
}

RENDERERS: dict[str, Callable[..., bytes]] = {
    "invoice": render_invoice,
    "upd": render_vat_invoice,
    "vat_invoice": render_vat_invoice,
    "advance_invoice": render_vat_invoice,
    "act": render_act,
    "correction": render_correction,
    "statement": render_statement,
    "confirmation": render_confirmation,
}


def render_document(data: DocumentData, *, font_regular: str, font_bold: str) -> bytes:
    """The PDF of a document, by its kind."""
    return RENDERERS[data.kind](data, font_regular=font_regular, font_bold=font_bold)
