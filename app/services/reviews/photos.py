"""Photos of reviews: checked by content, decoded with the image service's guards (no decompression bombs),
re-encoded without EXIF into a large copy and a thumbnail, stored through the storage service, and served
only while their review is published (to anyone), or to the review's author and to staff."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import IO

from flask import current_app
from PIL import Image
from sqlalchemy.orm import Session

from app.models.files import StoredFile
from app.models.reviews import Review, ReviewPhoto, ReviewState
from app.services import storage
from app.services.content import media
from app.services.errors import NotFound, ValidationError

PHOTO_KINDS = frozenset({"png", "jpeg"})
MAX_PHOTOS = 5
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
LARGE_SIDE = 1600
THUMB_SIDE = 320
JPEG_QUALITY = 85
SIZES = ("large", "thumb")


@dataclass(frozen=True)
class PhotoUpload:
    """An uploaded photo as the web layer hands it over."""

    stream: IO[bytes]
    filename: str


@dataclass(frozen=True)
class PreparedPhoto:
    """A photo decoded and re-encoded in memory, before anything is written."""

    large: bytes
    thumb: bytes
    width: int
    height: int
    original_name: str


def max_bytes() -> int:
    return int(current_app.config.get("REVIEW_PHOTO_MAX_BYTES", DEFAULT_MAX_BYTES))


def _jpeg(img: Image.Image, side: int) -> tuple[bytes, int, int]:
    copy = img.copy()
    copy.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    # A fresh image carries no EXIF (no camera, no GPS): Pillow writes only what it is given.
    copy.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue(), copy.width, copy.height


def prepare(upload: PhotoUpload, number: int = 1) -> PreparedPhoto:
    """Read, check and re-encode one photo; ValidationError (with the photo's number) when it is refused."""
    label = f"Фото {number}"
    limit = max_bytes()
    data = upload.stream.read(limit + 1)
    if not data:
        raise ValidationError(f"{label}: файл пустой.", field="photos")
    if len(data) > limit:
        raise ValidationError(f"{label}: файл больше {limit // (1024 * 1024)} МБ.", field="photos")
    kind = storage.sniff(data[:8192])
    if kind is None or kind.kind not in PHOTO_KINDS:
        raise ValidationError(f"{label}: принимаются только фотографии JPEG или PNG.", field="photos")
    try:
        img = media.open_checked(io.BytesIO(data), field="photos")
    except ValidationError as exc:
        raise ValidationError(f"{label}: {exc.message[0].lower()}{exc.message[1:]}", field="photos") from None
    if img.mode in ("RGBA", "LA", "PA", "P"):
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        img.close()
        img = flat
    else:
        img = img.convert("RGB")
    large, width, height = _jpeg(img, LARGE_SIDE)
    thumb, _, _ = _jpeg(img, THUMB_SIDE)
    img.close()
    name = storage.clean_name(upload.filename)
    return PreparedPhoto(large=large, thumb=thumb, width=width, height=height, original_name=name)


def prepare_all(uploads: Sequence[PhotoUpload], *, already: int = 0) -> list[PreparedPhoto]:
    if already + len(uploads) > MAX_PHOTOS:
        raise ValidationError(f"К отзыву можно приложить не больше {MAX_PHOTOS} фото.", field="photos")
    return [prepare(upload, already + n) for n, upload in enumerate(uploads, start=1)]


def _store(session: Session, data: bytes, filename: str, customer_id: int) -> StoredFile:
    return storage.store_upload(
        session, stream=io.BytesIO(data), filename=filename, customer_id=customer_id, allowed_kinds=PHOTO_KINDS
    )


def attach(session: Session, review: Review, prepared: Sequence[PreparedPhoto]) -> list[ReviewPhoto]:
    """Store prepared photos (through the storage service, checked by content again) after the review's own."""
    position = max((photo.position for photo in review.photos), default=0)
    added = []
    for photo in prepared:
        position += 1
        stem = f"review-{review.id}-{position}"
        row = ReviewPhoto(
            position=position,
            file=_store(session, photo.large, f"{stem}.jpg", review.customer_id),
            thumb_file=_store(session, photo.thumb, f"{stem}-thumb.jpg", review.customer_id),
            width=photo.width,
            height=photo.height,
            original_name=photo.original_name,
        )
        review.photos.append(row)
        added.append(row)
    review.photo_count = len(review.photos)
    session.flush()
    return added


def remove(session: Session, review: Review, photo_ids: Sequence[int]) -> int:
    """Delete the review's photos with these ids (others' ids are ignored); their bytes go once unused."""
    doomed = [photo for photo in review.photos if photo.id in set(photo_ids)]
    files = []
    for photo in doomed:
        files += [photo.file, photo.thumb_file]
        review.photos.remove(photo)
    review.photo_count = len(review.photos)
    session.flush()
    for stored in files:
        storage.delete_file(session, stored)
    return len(doomed)


def _file(photo: ReviewPhoto, size: str) -> StoredFile:
    if size not in SIZES:
        raise NotFound("Фото не найдено.")
    return photo.file if size == "large" else photo.thumb_file


def public_photo(
    session: Session, *, photo_id: int, size: str, customer_id: int | None = None
) -> tuple[StoredFile, bool]:
    """The file of a photo for the storefront, and whether anyone may see it (False: only its author).

    A photo is public while its review is published and the photo is not hidden; its author always sees it.
    """
    photo = session.get(ReviewPhoto, photo_id)
    if photo is None:
        raise NotFound("Фото не найдено.")
    public = photo.review.state == ReviewState.published and not photo.hidden
    if not public and (customer_id is None or photo.review.customer_id != customer_id):
        raise NotFound("Фото не найдено.")
    return _file(photo, size), public


def staff_photo(session: Session, *, photo_id: int, size: str) -> StoredFile:
    photo = session.get(ReviewPhoto, photo_id)
    if photo is None:
        raise NotFound("Фото не найдено.")
    return _file(photo, size)
