"""Thumbnails of layouts: the first page of a PDF (pypdfium2) or the image itself (Pillow), rendered once per
content hash and cached as PNG under the instance folder."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from flask import current_app

from app.models import StoredFile
from app.services import storage

SIZE = 320  # longest side, px
PDF_KINDS = frozenset({"pdf", "ai"})
IMAGE_KINDS = frozenset({"png", "jpeg", "tiff", "psd"})


def cache_root() -> Path:
    return Path(current_app.config.get("THUMBNAIL_DIR") or Path(current_app.instance_path) / "thumbnails")


def cache_path(sha256: str) -> Path:
    return cache_root() / sha256[:2] / f"{sha256}-{SIZE}.png"


def can_render(stored: StoredFile) -> bool:
    return stored.kind in PDF_KINDS or stored.kind in IMAGE_KINDS


def _render_pdf(source: Path):  # noqa: ANN202 - a PIL image
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(source))
    try:
        page = document[0]
        width, height = page.get_size()
        scale = SIZE / max(width, height, 1)
        image = page.render(scale=scale).to_pil()
        page.close()
        return image
    finally:
        document.close()


def _render_image(source: Path):  # noqa: ANN202 - a PIL image
    from PIL import Image

    with Image.open(source) as image:
        image.draft("RGB", (SIZE, SIZE))  # JPEG: decode at a reduced scale, fast for large photos
        image.thumbnail((SIZE, SIZE))
        if image.mode not in ("RGB", "RGBA", "L"):
            return image.convert("RGB")
        return image.copy()


def thumbnail(stored: StoredFile) -> Path | None:
    """The cached PNG of this file (rendered now if missing); None when the kind or the file cannot be drawn."""
    if not can_render(stored):
        return None
    target = cache_path(stored.sha256)
    if target.exists():
        return target
    source = storage.open_blob(stored)
    try:
        image = _render_pdf(source) if stored.kind in PDF_KINDS else _render_image(source)
    except Exception:  # noqa: BLE001 - a broken upload gets no picture, never a server error
        current_app.logger.warning("Thumbnail of file %s (%s) could not be rendered", stored.id, stored.kind)
        return None
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".thumb-", suffix=".png")
    with os.fdopen(fd, "wb") as out:
        image.save(out, format="PNG", optimize=True)
    os.replace(tmp, target)  # atomic: two requests rendering at once both leave a whole file
    return target
