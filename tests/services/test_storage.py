"""Uploaded files: recognised by content, never by name; refused files store nothing; stored once by hash."""

import io
import zipfile

import pytest
import sqlalchemy as sa

from app.models import StoredFile
from app.services import storage
from app.services.errors import ValidationError
from tests.factories import bomb_png, pdf_bytes, png_bytes, truncated_pdf


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    return buffer.getvalue()


def _image(fmt: str, **save) -> bytes:  # noqa: ANN003
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format=fmt, **save)
    return buffer.getvalue()


def _psd() -> bytes:
    """A 2×1 RGB Photoshop file (Pillow reads PSD but cannot write it)."""
    import struct

    header = b"8BPS" + struct.pack(">H6xHIIHH", 1, 3, 1, 2, 8, 3)
    return header + struct.pack(">III", 0, 0, 0) + struct.pack(">H", 0) + bytes(range(6))


def _illustrator_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(50, 50))
    pdf.set_creator("Adobe Illustrator 27.0")
    pdf.add_page()
    return bytes(pdf.output())


ACCEPTED = [
    (pdf_bytes(), "layout.pdf", "pdf"),
    (png_bytes(), "photo.png", "png"),
    (_image("JPEG"), "photo.jpg", "jpeg"),
    (_image("TIFF"), "scan.tif", "tiff"),
    (_image("TIFF", compression="tiff_lzw"), "scan.tiff", "tiff"),
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n", "logo.eps", "eps"),
    (b"\xc5\xd0\xd3\xc6" + b"\x00" * 100, "logo.eps", "eps"),
    (_illustrator_pdf(), "logo.ai", "ai"),
    (b"%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 8.0\n", "old.ai", "ai"),
    (_psd(), "photo.psd", "psd"),
    (b"RIFF\x10\x00\x00\x00CDRvLIST", "card.cdr", "cdr"),
    (_zip(["content/riffData.cdr", "META-INF/x"]), "card.cdr", "cdr"),
    (pdf_bytes(), "renamed.txt", "pdf"),  # the content decides, not the name
]

REFUSED = [
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg"),
    (b"<!doctype html><script>alert(1)</script>", "layout.pdf"),
    (b"MZ\x90\x00" + b"\x00" * 100, "layout.png"),
    (_zip(["word/document.xml"]), "layout.cdr"),
    (b"%!PS-Adobe-3.0\n%%Creator: some printer driver\n", "print.ps"),
    (b"GIF89a" + b"\x00" * 20, "anim.gif"),
]


@pytest.mark.parametrize(("data", "name", "kind"), ACCEPTED)
def test_print_files_are_recognised_by_content(db_session, data, name, kind):
    stored = storage.store_bytes(db_session, data=data, filename=name)
    assert stored.kind == kind
    assert storage.open_blob(stored).read_bytes() == data
    db_session.commit()
    assert storage.blob_path(stored.sha256).read_bytes() == data


@pytest.mark.parametrize(("data", "name"), REFUSED)
def test_other_files_are_refused_with_the_accepted_list_and_nothing_is_stored(db_session, data, name):
    before = {p for p in storage.upload_root().rglob("*")} if storage.upload_root().exists() else set()
    with pytest.raises(ValidationError, match="Допустимые форматы: PDF, PNG, JPEG, TIFF, AI, EPS, PSD, CDR"):
        storage.store_bytes(db_session, data=data, filename=name)
    after = set(storage.upload_root().rglob("*"))
    assert after == before
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_empty_and_too_large_files_are_refused(db_session, app, monkeypatch):
    with pytest.raises(ValidationError, match="пустой"):
        storage.store_bytes(db_session, data=b"", filename="empty.pdf")
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 1024)
    with pytest.raises(ValidationError, match="слишком большой: максимум 0 МБ") as exc:
        storage.store_bytes(db_session, data=pdf_bytes() + b" " * 2048, filename="big.pdf")
    assert exc.value.field == "layout"


def test_same_content_is_stored_once_but_each_upload_has_its_row(db_session):
    data = pdf_bytes()
    a = storage.store_bytes(db_session, data=data, filename="a.pdf")
    b = storage.store_bytes(db_session, data=data, filename="../../b.pdf")
    assert a.sha256 == b.sha256 and a.id != b.id
    assert b.original_name == "b.pdf"
    db_session.commit()
    assert len(list(storage.blob_path(a.sha256).parent.iterdir())) == 1


def _encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes()))
    writer.encrypt(user_password="secret", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _pdf_without_pages() -> bytes:
    from pypdf import PdfWriter

    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (bomb_png, "bomb.png", "Изображение слишком большое: максимум 80 мегапикселей"),
        (lambda: _image("TIFF")[:60], "cut.tif", "Не удалось прочитать изображение: файл повреждён"),
        (truncated_pdf, "cut.pdf", "Не удалось прочитать PDF: файл повреждён или сохранён не полностью"),
        (lambda: b"%PDF-1.7\n" + b"garbage " * 100, "junk.pdf", "Не удалось прочитать PDF"),
        (_encrypted_pdf, "locked.pdf", "PDF защищён паролем"),
        (_pdf_without_pages, "empty.pdf", "В PDF нет ни одной страницы"),
    ],
    ids=["bomb", "broken-tiff", "truncated-pdf", "junk-pdf", "encrypted-pdf", "no-pages"],
)
def test_bombs_and_unreadable_files_are_refused_and_nothing_is_stored(db_session, make, name, message):
    before = set(storage.upload_root().rglob("*")) if storage.upload_root().exists() else set()
    with pytest.raises(ValidationError, match=message) as refused:
        storage.store_bytes(db_session, data=make(), filename=name)
    assert refused.value.field == "layout"
    assert set(storage.upload_root().rglob("*")) == before
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_the_pixel_limit_is_a_setting_and_the_size_is_named(db_session, app, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_PIXELS", 1_000_000)
    with pytest.raises(ValidationError, match="1200×1000 px, максимум 1 мегапикселей"):
        storage.store_bytes(db_session, data=png_bytes((1200, 1000)), filename="big.png")
    assert storage.store_bytes(db_session, data=png_bytes((1000, 1000)), filename="ok.png").kind == "png"
