"""Uploaded files: recognised by content, never by name; refused files store nothing; stored once by hash."""

import io
import zipfile

import pytest
import sqlalchemy as sa

from app.models import StoredFile
from app.services import storage
from app.services.errors import ValidationError
from tests.factories import pdf_bytes, png_bytes


def _zip(names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, b"x")
    return buffer.getvalue()


ACCEPTED = [
    (pdf_bytes(), "layout.pdf", "pdf"),
    (png_bytes(), "photo.png", "png"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 100, "photo.jpg", "jpeg"),
    (b"II*\x00" + b"\x00" * 100, "scan.tif", "tiff"),
    (b"MM\x00*" + b"\x00" * 100, "scan.tiff", "tiff"),
    (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n", "logo.eps", "eps"),
    (b"\xc5\xd0\xd3\xc6" + b"\x00" * 100, "logo.eps", "eps"),
    (b"%PDF-1.6\n%\xe2\xe3\n<</Creator (Adobe Illustrator 27.0)>>\n", "logo.ai", "ai"),
    (b"%!PS-Adobe-3.0\n%%Creator: Adobe Illustrator(R) 8.0\n", "old.ai", "ai"),
    (b"8BPS\x00\x01" + b"\x00" * 100, "photo.psd", "psd"),
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
    assert len(list(storage.blob_path(a.sha256).parent.iterdir())) == 1
