"""Files attached to ticket messages: count and size limits, type checked by content (the storage service),
and who may download them — the customer only files of public messages of their own tickets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO, BinaryIO

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Session

from app.models import StoredFile, Ticket, TicketAttachment, TicketMessage
from app.services import storage
from app.services.errors import NotFound, ValidationError


@dataclass(frozen=True)
class Upload:
    """A file as the form sent it: its bytes and the name it had on the sender's computer."""

    stream: IO[bytes]
    filename: str


def max_files() -> int:
    return int(current_app.config.get("SUPPORT_MAX_ATTACHMENTS", 5))


def max_bytes() -> int:
    return min(
        int(current_app.config.get("SUPPORT_ATTACHMENT_MAX_BYTES", 20 * 1024 * 1024)),
        int(current_app.config["UPLOAD_MAX_BYTES"]),
    )


def limits_label() -> str:
    return f"До {max_files()} файлов, каждый до {max_bytes() // (1024 * 1024)} МБ: {storage.ACCEPTED_LABEL}"


class _Limited:
    """Reads through to the upload and refuses it as soon as it grows past the limit (nothing kept)."""

    def __init__(self, stream: BinaryIO, limit: int, name: str) -> None:
        self._stream, self._limit, self._name, self._read = stream, limit, name, 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self._read += len(chunk)
        if self._read > self._limit:
            raise ValidationError(
                f"Файл «{self._name}» слишком большой: максимум {self._limit // (1024 * 1024)} МБ.", field="files"
            )
        return chunk


def check_count(uploads: Sequence[Upload]) -> None:
    if len(uploads) > max_files():
        raise ValidationError(f"Можно приложить не больше {max_files()} файлов к одному сообщению.", field="files")


def store(session: Session, uploads: Sequence[Upload], *, customer_id: int | None) -> list[StoredFile]:
    """Check and store the files (all or none is refused with the file's name in the message).

    `customer_id`: the customer who sent them (their own files); None for staff files, which are then
    served only through the ticket.
    """
    check_count(uploads)
    limit = max_bytes()
    stored = []
    for upload in uploads:
        name = storage.clean_name(upload.filename)
        try:
            stored.append(
                storage.store_upload(
                    session,
                    stream=_Limited(upload.stream, limit, name),  # type: ignore[arg-type]
                    filename=name,
                    customer_id=customer_id,
                )
            )
        except ValidationError as exc:
            if exc.field == "files":
                raise
            # The storage service words its messages for layouts; say which attachment it was.
            text = f"Файл «{name}» пустой." if "пустой" in exc.message else f"Файл «{name}»: {exc.message}"
            raise ValidationError(text, field="files") from exc
    return stored


def attach(session: Session, message: TicketMessage, files: Sequence[StoredFile]) -> None:
    for stored in files:
        session.add(TicketAttachment(message=message, file_id=stored.id))


def for_customer(session: Session, *, ticket_id: int, attachment_id: int, customer_id: int) -> StoredFile:
    """A file of a public message of the customer's own ticket; NotFound for anything else (notes included)."""
    stored = session.scalar(
        sa.select(StoredFile)
        .join(TicketAttachment, TicketAttachment.file_id == StoredFile.id)
        .join(TicketMessage, TicketMessage.id == TicketAttachment.message_id)
        .join(Ticket, Ticket.id == TicketMessage.ticket_id)
        .where(
            TicketAttachment.id == attachment_id,
            Ticket.id == ticket_id,
            Ticket.customer_id == customer_id,
            TicketMessage.internal.is_(False),
        )
    )
    if stored is None:
        raise NotFound("Файл не найден.")
    return stored


def for_staff(session: Session, *, attachment_id: int) -> StoredFile:
    attachment = session.get(TicketAttachment, attachment_id)
    if attachment is None:
        raise NotFound("Файл не найден.")
    return attachment.file
