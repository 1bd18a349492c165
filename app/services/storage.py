"""The one storage service for uploaded files: type checked by content, stored by SHA-256, access-checked."""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

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
) -> StoredFile:
    """Check and store an uploaded file; raise ValidationError (and store nothing) when it is refused."""
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
                    raise ValidationError(
                        f"Файл слишком большой: максимум {limit // (1024 * 1024)} МБ.", field="layout"
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise ValidationError("Файл пустой. Выберите файл макета.", field="layout")
        with tmp.open("rb") as fh:
            head = fh.read(8192)
        file_type = sniff(head, tmp)
        accepted = allowed_kinds or frozenset(PRINT_TYPES)
        if file_type is None or file_type.kind not in accepted:
            label = ACCEPTED_LABEL if allowed_kinds is None else ", ".join(sorted(k.upper() for k in accepted))
            raise ValidationError(f"Этот тип файла не принимается. Допустимые форматы: {label}.", field="layout")
        sha = digest.hexdigest()
        target = blob_path(sha)
        if target.exists():
            tmp.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
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


def store_bytes(session: Session, *, data: bytes, filename: str, **owner: int | str | None) -> StoredFile:
    return store_upload(session, stream=io.BytesIO(data), filename=filename, **owner)  # type: ignore[arg-type]


def open_blob(stored: StoredFile) -> Path:
    path = blob_path(stored.sha256)
    if not path.exists():
        raise NotFound("Файл отсутствует в хранилище.")
    return path


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


@sa.event.listens_for(Session, "after_commit")
def _unlink_deleted_blobs(session: Session) -> None:
    for path in session.info.pop(UNLINK_AFTER_COMMIT, ()):
        Path(path).unlink(missing_ok=True)


@sa.event.listens_for(Session, "after_rollback")
def _keep_blobs_after_rollback(session: Session) -> None:
    session.info.pop(UNLINK_AFTER_COMMIT, None)
