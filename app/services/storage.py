"""The one storage service for uploaded files: type checked by content, stored by SHA-256, access-checked.

An upload is written under a temporary name, checked (type, size, an image's pixel count, a PDF's
readability) and moved to its place only when the transaction that stores its row commits: a refused
file or a failed request leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session, object_session

from app.models import StoredFile
from app.services.errors import NotFound, ValidationError

ACCEPTED_LABEL = "PDF, PNG, JPEG, TIFF, AI, EPS, PSD, CDR"
CHUNK = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    kind: str
    content_type: str


PRINT_TYPES = {
    "pdf": FileType("pdf", "application/pdf"),
    "ai": FileType("ai", "application/postscript"),
    "eps": FileType("eps", "application/postscript"),
    "png": FileType("png", "image/png"),
    "jpeg": FileType("jpeg", "image/jpeg"),
    "tiff": FileType("tiff", "image/tiff"),
    "psd": FileType("psd", "image/vnd.adobe.photoshop"),
    "cdr": FileType("cdr", "application/vnd.corel-draw"),
}
IMAGE_KINDS = frozenset({"png", "jpeg"})
# What Pillow may open, by the kind `sniff` found: each raster upload is opened as that format only.
RASTER_FORMATS = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF", "psd": "PSD"}
PDF_KINDS = frozenset({"pdf", "ai"})


def sniff(head: bytes, path: Path | None = None) -> FileType | None:
    """Recognise a print file by its leading bytes (and, for CorelDRAW X4+, its ZIP entries)."""
    if head.startswith(b"%PDF-"):
        # Illustrator saves PDF-compatible .ai files; they name themselves in the first kilobytes.
        return PRINT_TYPES["ai"] if b"Adobe Illustrator" in head or b"<illustrator:" in head else PRINT_TYPES["pdf"]
    if head.startswith(b"%!PS-Adobe"):
        first_line = head.split(b"\n", 1)[0].split(b"\r", 1)[0]
        if b"Adobe Illustrator" in head[:4096] and b"EPSF" not in first_line:
            return PRINT_TYPES["ai"]
        return PRINT_TYPES["eps"] if b"EPSF" in first_line else None
    if head.startswith(b"\xc5\xd0\xd3\xc6"):  # DOS EPS binary header (PostScript + preview)
        return PRINT_TYPES["eps"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PRINT_TYPES["png"]
    if head.startswith(b"\xff\xd8\xff"):
        return PRINT_TYPES["jpeg"]
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return PRINT_TYPES["tiff"]
    if head.startswith(b"8BPS\x00\x01"):
        return PRINT_TYPES["psd"]
    if head.startswith(b"RIFF") and head[8:11] in (b"CDR", b"cdr"):
        return PRINT_TYPES["cdr"]
    if head.startswith(b"PK\x03\x04") and path is not None:
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError):
            return None
        if "content/riffData.cdr" in names or "content/root.dat" in names:
            return PRINT_TYPES["cdr"]
    return None


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def blob_path(sha256: str) -> Path:
    return upload_root() / sha256[:2] / sha256[2:4] / sha256


def clean_name(name: str | None) -> str:
    name = os.path.basename((name or "").replace("\\", "/")).strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '<>:"|?*')
    return (name or "file")[:255]


def store_upload(
    session: Session,
    *,
    stream: BinaryIO,
    filename: str | None,
    customer_id: int | None = None,
    cart_token: str | None = None,
    allowed_kinds: frozenset[str] | None = None,
    max_pixels: int | None = None,
    field: str = "layout",
    read_through: bool = True,
) -> StoredFile:
    """Check and store an uploaded file; raise ValidationError (and store nothing) when it is refused.

    The bytes reach their place when the session commits (`open_blob` finds them before that).
    `max_pixels` bounds a raster image (default `UPLOAD_MAX_PIXELS`). `read_through=False` skips opening an image
    or PDF to check it can be read: for files the application drew itself (closing documents).
    """
    limit = int(current_app.config["UPLOAD_MAX_BYTES"])
    root = upload_root()
    root.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    fd, tmp_name = tempfile.mkstemp(dir=root, prefix=".upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise ValidationError(f"Файл слишком большой: максимум {limit // (1024 * 1024)} МБ.", field=field)
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationError("Файл пустой. Выберите файл макета.", field=field)
        with tmp.open("rb") as fh:
            head = fh.read(8192)
        file_type = sniff(head, tmp)
        accepted = allowed_kinds or frozenset(PRINT_TYPES)
        if file_type is None or file_type.kind not in accepted:
            label = ACCEPTED_LABEL if allowed_kinds is None else ", ".join(sorted(k.upper() for k in accepted))
            raise ValidationError(f"Этот тип файла не принимается. Допустимые форматы: {label}.", field=field)
        if not read_through:
            pass
        elif file_type.kind in RASTER_FORMATS:
            check_image(tmp, file_type.kind, max_pixels=max_pixels or upload_max_pixels(), field=field)
        elif file_type.kind in PDF_KINDS and head.startswith(b"%PDF-"):  # old .ai files are PostScript
            check_pdf(tmp, field=field)
        sha = digest.hexdigest()
        pending = session.info.setdefault(PENDING_BLOBS, {})
        if blob_path(sha).exists() or sha in pending:
            tmp.unlink()
        else:
            pending[sha] = str(tmp)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    stored = StoredFile(
        sha256=sha,
        size=size,
        kind=file_type.kind,
        content_type=file_type.content_type,
        original_name=clean_name(filename),
        customer_id=customer_id,
        cart_token=None if customer_id else cart_token,
    )
    session.add(stored)
    session.flush()
    return stored


def upload_max_pixels() -> int:
    return int(current_app.config["UPLOAD_MAX_PIXELS"])


def check_image(path: Path, kind: str, *, max_pixels: int, field: str = "layout") -> None:
    """Refuse an image Pillow cannot open as its kind, or one of more pixels than allowed (a decompression
    bomb: a few kilobytes that decode to gigabytes). Reads the header only."""
    from PIL import Image, UnidentifiedImageError

    megapixels = max_pixels // 1_000_000
    too_big = f"Изображение слишком большое: максимум {megapixels} мегапикселей. Уменьшите его или пришлите PDF."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # Pillow warns of a truncated or damaged header: refused as damaged
            # Our own handle: Pillow leaves its own open when it refuses a bomb.
            with path.open("rb") as fh, Image.open(fh, formats=[RASTER_FORMATS[kind]]) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(too_big, field=field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError, Warning):
        raise ValidationError("Не удалось прочитать изображение: файл повреждён.", field=field) from None
    if width * height > max_pixels:
        raise ValidationError(
            f"Изображение слишком большое: {width}×{height} px, максимум {megapixels} мегапикселей. "
            "Уменьшите его или пришлите PDF.",
            field=field,
        )


def check_pdf(path: Path, *, field: str = "layout") -> None:
    """Refuse a PDF that cannot be read through (truncated, damaged, password-protected, no pages)."""
    from pypdf import PdfReader

    unreadable = "Не удалось прочитать PDF: файл повреждён или сохранён не полностью. Сохраните макет заново."
    try:
        with path.open("rb") as fh:
            reader = PdfReader(fh, strict=False)
            _read_through(reader, field)
            pages = len(reader.pages)
    except ValidationError:
        raise
    except Exception:  # noqa: BLE001 - pypdf raises many kinds on damaged files; all mean "unreadable"
        raise ValidationError(unreadable, field=field) from None
    if not pages:
        raise ValidationError("В PDF нет ни одной страницы.", field=field)


def _read_through(reader, field: str) -> None:  # noqa: ANN001 - a pypdf PdfReader
    if reader.is_encrypted and reader.decrypt("") == 0:
        raise ValidationError("PDF защищён паролем — сохраните макет без пароля.", field=field)
    for page in reader.pages:
        page.mediabox  # noqa: B018 - every page must name its size


def store_bytes(
    session: Session, *, data: bytes, filename: str, read_through: bool = True, **owner: int | str | None
) -> StoredFile:
    return store_upload(
        session,
        stream=io.BytesIO(data),
        filename=filename,
        read_through=read_through,
        **owner,  # type: ignore[arg-type]
    )


def open_blob(stored: StoredFile) -> Path:
    """The file's bytes on disk: in place, or still under their temporary name before the upload commits."""
    path = blob_path(stored.sha256)
    if path.exists():
        return path
    session = object_session(stored)
    pending = session.info.get(PENDING_BLOBS, {}).get(stored.sha256) if session is not None else None
    if pending is not None and Path(pending).exists():
        return Path(pending)
    raise NotFound("Файл отсутствует в хранилище.")


def copy_file(session: Session, stored: StoredFile, *, customer_id: int | None) -> StoredFile:
    """A new row for the same bytes (same SHA-256, no copy on disk): a snapshot its new holder owns alone."""
    copy = StoredFile(
        sha256=stored.sha256,
        size=stored.size,
        kind=stored.kind,
        content_type=stored.content_type,
        original_name=stored.original_name,
        customer_id=customer_id,
    )
    session.add(copy)
    session.flush()
    return copy


def blob_in_use(session: Session, sha256: str) -> bool:
    return bool(session.scalar(sa.select(sa.func.count()).select_from(StoredFile).where(StoredFile.sha256 == sha256)))


def delete_file(session: Session, stored: StoredFile) -> bool:
    """Delete a file row; the bytes go only when no other row (an order, a project version…) still names them.

    True when the bytes go too (at commit). A row still referenced (an order line) is refused by its FK.
    """
    sha = stored.sha256
    session.delete(stored)
    session.flush()
    if blob_in_use(session, sha):
        return False
    # Only once the transaction commits: a rollback brings the row back, and it needs its bytes.
    session.info.setdefault(UNLINK_AFTER_COMMIT, set()).add(str(blob_path(sha)))
    return True


UNLINK_AFTER_COMMIT = "storage_unlink_after_commit"
PENDING_BLOBS = "storage_pending_blobs"  # sha256 -> temporary path of an upload not yet committed


@sa.event.listens_for(Session, "after_commit")
def _unlink_deleted_blobs(session: Session) -> None:
    for path in session.info.pop(UNLINK_AFTER_COMMIT, ()):
        Path(path).unlink(missing_ok=True)
    for sha, tmp in session.info.pop(PENDING_BLOBS, {}).items():
        target = blob_path(sha)
        if target.exists():
            Path(tmp).unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)


@sa.event.listens_for(Session, "after_transaction_end")
def _drop_uncommitted_uploads(session: Session, transaction: sa.orm.SessionTransaction) -> None:
    """Rolled back, or closed without a commit: the uploads of that transaction go."""
    if transaction.parent is None:
        for tmp in session.info.pop(PENDING_BLOBS, {}).values():
            Path(tmp).unlink(missing_ok=True)


@sa.event.listens_for(Session, "after_rollback")
def _keep_blobs_after_rollback(session: Session) -> None:
    session.info.pop(UNLINK_AFTER_COMMIT, None)
