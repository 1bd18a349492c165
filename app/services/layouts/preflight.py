"""Layout preflight: page count and page boxes of a PDF (pypdf), pixel size and resolution of an image
(Pillow), compared with the product's trim size plus bleed and its number of printed sides.

The report is plain data (stored as JSON on the cart item, the order line and the project version):
{"status": "ok" | "warning" | "error", "messages": [{"level", "text"}], "facts": {...}, "spec": {...}}.
Errors block ordering unless the customer accepts printing the file as it is. Active content in a PDF
(JavaScript, actions run on opening, programs launched, embedded files) is such an error, and staff see it
marked on the order: the file is not to be opened in a viewer that runs it.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from app.models import OptionKind, OptionValue, Product, StoredFile

MM_PER_INCH = 25.4
PT_PER_MM = 72 / MM_PER_INCH
TOLERANCE_MM = 1.0  # PDF sizes are rounded to points by most tools
ASPECT_TOLERANCE = 0.02
MIN_DPI = 300
OK, WARNING, ERROR = "ok", "warning", "error"
LEVELS = {OK: 0, WARNING: 1, ERROR: 2}
STATUS_LABELS = {OK: "Макет в порядке", WARNING: "Есть замечания", ERROR: "Есть ошибки"}
RASTER_KINDS = frozenset({"png", "jpeg", "tiff", "psd"})
PDF_KINDS = frozenset({"pdf", "ai"})


@dataclass(frozen=True)
class Spec:
    """What the layout must be: trim size, bleed per side, printed sides."""

    width_mm: float | None
    height_mm: float | None
    bleed_mm: float
    sides: int

    @property
    def has_size(self) -> bool:
        return bool(self.width_mm and self.height_mm)

    @property
    def full_width(self) -> float:
        return (self.width_mm or 0) + 2 * self.bleed_mm

    @property
    def full_height(self) -> float:
        return (self.height_mm or 0) + 2 * self.bleed_mm

    def as_dict(self) -> dict:
        return asdict(self)


def _num(value: Decimal | float | int | None) -> float | None:
    return None if value is None else float(value)


def spec_for(product: Product, values: Iterable[OptionValue]) -> Spec:
    """The chosen format value's size (else the product's trim size), the product's bleed, the sides value."""
    values = list(values)
    width, height = _num(product.trim_width_mm), _num(product.trim_height_mm)
    fmt = next((v for v in values if v.group.kind == OptionKind.format and v.width_mm and v.height_mm), None)
    if fmt is not None:
        width, height = _num(fmt.width_mm), _num(fmt.height_mm)
    side_value = next((v for v in values if v.group.kind == OptionKind.sides and v.sides), None)
    sides = side_value.sides if side_value is not None else product.max_sides
    return Spec(width, height, float(product.bleed_mm or 0), int(sides or 1))


def spec_for_ids(product: Product, option_value_ids: Iterable[int]) -> Spec:
    ids = {int(i) for i in option_value_ids}
    return spec_for(product, [v for g in product.option_groups for v in g.values if v.id in ids])


def _mm(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def _size(w: float, h: float) -> str:
    return f"{_mm(w)}×{_mm(h)} мм"


class _Report:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.messages: list[dict] = []
        self.facts: dict = {}

    def add(self, level: str, text: str) -> None:
        if {"level": level, "text": text} not in self.messages:
            self.messages.append({"level": level, "text": text})

    def result(self) -> dict:
        status = max((m["level"] for m in self.messages), key=LEVELS.__getitem__, default=OK)
        if status == OK:
            self.messages.insert(0, {"level": OK, "text": "Размер, вылеты и число страниц соответствуют продукту."})
        return {"status": status, "messages": self.messages, "facts": self.facts, "spec": self.spec.as_dict()}


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= TOLERANCE_MM


def _matches(w: float, h: float, tw: float, th: float) -> bool:
    """Either orientation: a 50×90 card is the same product as a 90×50 one."""
    return (_close(w, tw) and _close(h, th)) or (_close(w, th) and _close(h, tw))


def _check_size(report: _Report, w: float, h: float, where: str) -> None:
    spec = report.spec
    if not spec.has_size:
        return
    full = _size(spec.full_width, spec.full_height)
    if _matches(w, h, spec.full_width, spec.full_height):
        return
    if spec.bleed_mm > 0 and _matches(w, h, spec.width_mm or 0, spec.height_mm or 0):
        report.add(
            WARNING,
            f"{where}: нет вылетов — размер {_size(w, h)} равен формату под обрез. Нужно {full} "
            f"(по {_mm(spec.bleed_mm)} мм вылетов с каждой стороны), иначе по краю может остаться белая полоса.",
        )
        return
    report.add(
        ERROR,
        f"{where}: размер {_size(w, h)} не соответствует формату {_size(spec.width_mm or 0, spec.height_mm or 0)}"
        + (f" (с вылетами — {full})." if spec.bleed_mm > 0 else "."),
    )


def _check_pages(report: _Report, pages: int) -> None:
    sides = report.spec.sides
    if pages > sides:
        need = "одна страница" if sides == 1 else f"{sides} страницы"
        kind = "односторонняя" if sides == 1 else "двусторонняя"
        report.add(ERROR, f"В макете {pages} стр., а печать {kind} — нужна {need}.")
    elif pages < sides:
        report.add(WARNING, f"Печать двусторонняя, а в макете {pages} стр. — оборотная сторона останется пустой.")


def _box_mm(box) -> tuple[float, float]:  # noqa: ANN001 - a pypdf RectangleObject
    return abs(float(box.width)) / PT_PER_MM, abs(float(box.height)) / PT_PER_MM


def _check_pdf(report: _Report, path: Path) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and reader.decrypt("") == 0:
            report.add(ERROR, "PDF защищён паролем — сохраните макет без пароля.")
            return
        pages = list(reader.pages)
    except (PdfReadError, OSError, ValueError, KeyError, TypeError):
        report.add(ERROR, "Не удалось прочитать PDF: файл повреждён или это не PDF.")
        return
    report.facts["pages"] = len(pages)
    _check_active_content(report, reader)
    if not pages:
        report.add(ERROR, "В PDF нет ни одной страницы.")
        return
    _check_pages(report, len(pages))
    sizes = []
    for number, page in enumerate(pages, start=1):
        where = "Страница" if len(pages) == 1 else f"Страница {number}"
        media_w, media_h = _box_mm(page.mediabox)
        if "/TrimBox" in page:
            # The layout says where it is cut: compare the trim box with the format, the bleed box with the bleed.
            trim_w, trim_h = _box_mm(page.trimbox)
            bleed_w, bleed_h = _box_mm(page.bleedbox) if "/BleedBox" in page else (media_w, media_h)
            sizes.append(
                {
                    "page": number,
                    "trim": [round(trim_w, 1), round(trim_h, 1)],
                    "media": [round(media_w, 1), round(media_h, 1)],
                }
            )
            spec = report.spec
            if spec.has_size and not _matches(trim_w, trim_h, spec.width_mm or 0, spec.height_mm or 0):
                report.add(
                    ERROR,
                    f"{where}: обрезной формат (TrimBox) {_size(trim_w, trim_h)} не соответствует "
                    f"формату {_size(spec.width_mm or 0, spec.height_mm or 0)}.",
                )
            elif spec.bleed_mm > 0 and (min(bleed_w - trim_w, bleed_h - trim_h) < 2 * spec.bleed_mm - TOLERANCE_MM):
                report.add(
                    WARNING,
                    f"{where}: нет вылетов — нужно по {_mm(spec.bleed_mm)} мм за линией реза с каждой стороны.",
                )
        else:
            sizes.append({"page": number, "media": [round(media_w, 1), round(media_h, 1)]})
            _check_size(report, media_w, media_h, where)
    report.facts["page_sizes"] = sizes


# What a print file never needs and a viewer may run: scripts, actions on opening or on events, programs
# launched, files carried inside, forms that submit or import data, multimedia.
ACTIVE_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "запуск программ",
    "/SubmitForm": "отправка данных",
    "/ImportData": "загрузка данных",
    "/GoToE": "переход во вложенный файл",
    "/GoToR": "открытие другого файла",
    "/Rendition": "мультимедиа",
    "/RichMediaExecute": "мультимедиа",
}
ACTIVE_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "автоматические действия",
    "/EmbeddedFiles": "вложенные файлы",
    "/EmbeddedFile": "вложенные файлы",
    "/XFA": "XFA-формы",
    "/RichMedia": "мультимедиа",
}
MAX_OBJECTS_WALKED = 200_000


def active_content(reader) -> list[str]:  # noqa: ANN001 - a pypdf PdfReader
    """What active content a PDF holds (labels in Russian, sorted), walking every object the document reaches.

    An /OpenAction that only opens a page is harmless; one that runs an action is reported with that action.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    found: set[str] = set()
    seen: set[tuple[int, int]] = set()
    stack: list = [reader.trailer.get("/Root")]
    walked = 0
    while stack and walked < MAX_OBJECTS_WALKED:
        node = stack.pop()
        walked += 1
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                node = node.get_object()
            except Exception:  # noqa: BLE001 - a dangling reference carries nothing to run
                continue
        if isinstance(node, DictionaryObject):
            for name, label in ACTIVE_KEYS.items():
                if name in node:
                    found.add(label)
            if node.get("/Subtype") == "/FileAttachment" or node.get("/Type") == "/EmbeddedFile":
                found.add("вложенные файлы")
            action = node.get("/S")
            if action in ACTIVE_ACTIONS:
                found.add(ACTIVE_ACTIONS[action])
            stack.extend(value for name, value in node.items() if name not in ("/Parent", "/P"))
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return sorted(found)


def _check_active_content(report: _Report, reader) -> None:  # noqa: ANN001 - a pypdf PdfReader
    try:
        found = active_content(reader)
    except Exception:  # noqa: BLE001 - a file too damaged to walk is reported as unreadable elsewhere
        return
    if found:
        report.facts["active_content"] = found
        report.add(
            ERROR,
            f"В PDF есть активное содержимое ({', '.join(found)}): для печати оно не нужно, а при открытии файла "
            "может выполниться. Сохраните макет заново без него (например, как PDF/X) и загрузите новый файл.",
        )


def has_active_content(report: dict | None) -> bool:
    return bool((report or {}).get("facts", {}).get("active_content"))


def _check_raster(report: _Report, path: Path) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with path.open("rb") as fh, Image.open(fh) as image:
                width_px, height_px = image.size
                dpi = image.info.get("dpi")
                frames = getattr(image, "n_frames", 1)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Uploads are bounded in pixels now; a file stored before that is reported, never a server error.
        report.add(ERROR, "Изображение слишком большое для проверки — пришлите макет в PDF.")
        return
    except (UnidentifiedImageError, OSError, ValueError):
        report.add(ERROR, "Не удалось прочитать изображение: файл повреждён.")
        return
    report.facts["pixels"] = [width_px, height_px]
    if dpi:
        report.facts["dpi"] = [round(float(dpi[0])), round(float(dpi[1]))]
    if frames and frames > 1:
        report.facts["pages"] = frames
    spec = report.spec
    if not spec.has_size:
        return
    # Printed at the product's size, what resolution does the image give? (The embedded DPI only hints.)
    if spec.full_width and width_px and height_px:
        long_px, short_px = max(width_px, height_px), min(width_px, height_px)
        with_bleed = (max(spec.full_width, spec.full_height), min(spec.full_width, spec.full_height))
        trim = (max(spec.width_mm or 0, spec.height_mm or 0), min(spec.width_mm or 0, spec.height_mm or 0))
        aspect = long_px / short_px

        def fits(target: tuple[float, float]) -> bool:
            return abs(aspect - target[0] / target[1]) <= ASPECT_TOLERANCE * target[0] / target[1]

        if fits(with_bleed):
            target = with_bleed
        elif spec.bleed_mm > 0 and fits(trim):
            target = trim
            report.add(
                WARNING,
                f"Нет вылетов: пропорции изображения совпадают с форматом под обрез. Нужен макет "
                f"{_size(spec.full_width, spec.full_height)} (по {_mm(spec.bleed_mm)} мм вылетов с каждой стороны).",
            )
        else:
            report.add(
                ERROR,
                f"Пропорции изображения {width_px}×{height_px} px не соответствуют формату "
                f"{_size(spec.width_mm or 0, spec.height_mm or 0)} (с вылетами — "
                f"{_size(spec.full_width, spec.full_height)}).",
            )
            return
        effective = round(long_px / (target[0] / MM_PER_INCH))
        report.facts["effective_dpi"] = effective
        if effective < MIN_DPI:
            report.add(
                WARNING,
                f"Разрешение {effective} dpi — меньше {MIN_DPI} dpi: при печати изображение может быть нечётким.",
            )


BOUNDING_BOX = re.compile(rb"%%(HiRes)?BoundingBox:\s*([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)\s+([-\d.]+)")


def _check_eps(report: _Report, path: Path) -> None:
    with path.open("rb") as fh:
        head = fh.read(65536)
    boxes = {bool(m.group(1)): m for m in BOUNDING_BOX.finditer(head)}
    found = boxes.get(True) or boxes.get(False)
    if found is None:
        report.add(WARNING, "В EPS не указан размер (BoundingBox) — размер проверит специалист.")
        return
    llx, lly, urx, ury = (float(found.group(i)) for i in range(2, 6))
    _check_size(report, (urx - llx) / PT_PER_MM, (ury - lly) / PT_PER_MM, "Макет")


def check_file(path: Path, kind: str, spec: Spec) -> dict:
    """Preflight one stored file against the spec; returns the report (see the module docstring)."""
    report = _Report(spec)
    report.facts["kind"] = kind
    if kind in PDF_KINDS:
        _check_pdf(report, path)
    elif kind in RASTER_KINDS:
        _check_raster(report, path)
    elif kind == "eps":
        _check_eps(report, path)
    else:
        report.add(WARNING, f"Автоматическая проверка файлов {kind.upper()} недоступна — макет проверит специалист.")
    return report.result()


def check_stored(stored: StoredFile, spec: Spec) -> dict:
    from app.services import storage

    return check_file(storage.open_blob(stored), stored.kind, spec)


def needs_recheck(report: dict | None, spec: Spec) -> bool:
    """A report made for another format (or none at all) no longer says anything about this order."""
    return report is None or report.get("spec") != spec.as_dict()


def blocks_ordering(report: dict | None, print_as_is: bool) -> bool:
    return report is not None and report.get("status") == ERROR and not print_as_is


def status_label(report: dict | None) -> str:
    return STATUS_LABELS.get((report or {}).get("status", ""), "Не проверялся")
