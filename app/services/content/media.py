"""The image library of site content: uploads checked and resized into variants, renaming, where each image
is used, and refusing to delete one in use."""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import sqlalchemy as sa
from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from app.models import (
    Banner,
    ContentImage,
    ContentImageVariant,
    ImageVariant,
    NewsItem,
    Page,
)
from app.models.content import news_item_image, page_image
from app.services import storage
from app.services.actors import Actor
from app.services.errors import ValidationError
from app.services.markup import plain_text

IMAGE_KINDS = frozenset({"png", "jpeg"})
# A decoded 40-megapixel image is ~160 MB of memory; nothing on a web page needs more.
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 85


@dataclass(frozen=True)
class ImageUpload:
    """An uploaded file as the web layer hands it over."""

    stream: BinaryIO
    filename: str


def _is_empty(stream: BinaryIO) -> bool:
    if not stream.seekable():
        return False
    position = stream.tell()
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(position)
    return size == 0


def _encode(img: Image.Image, kind: str) -> bytes:
    buffer = io.BytesIO()
    if kind == "jpeg":
        img.convert("RGB").save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    else:
        mode = "RGBA" if img.mode in ("RGBA", "LA", "P", "PA") else "RGB"
        img.convert(mode).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def _open(path: os.PathLike | str, field: str) -> Image.Image:
    unreadable = ValidationError("Не удалось прочитать изображение: файл повреждён.", field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(path, formats=["PNG", "JPEG"])
            if img.width * img.height > MAX_PIXELS:
                img.close()
                raise ValidationError(
                    f"Изображение слишком большое: {img.width}×{img.height} px, максимум 40 мегапикселей.",
                    field=field,
                )
            try:
                img.load()
            except BaseException:
                img.close()
                raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError("Изображение слишком большое: максимум 40 мегапикселей.", field=field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise unreadable from None
    upright = ImageOps.exif_transpose(img)
    if upright is not img:
        img.close()
    return upright


def upload_image(
    session: Session, *, upload: ImageUpload, actor: Actor | None, title: str = "", field: str = "image"
) -> ContentImage:
    """Store an uploaded PNG/JPEG and its resized variants; ValidationError (nothing stored) when refused."""
    if _is_empty(upload.stream):
        raise ValidationError("Файл пустой. Выберите изображение PNG или JPEG.", field=field)
    # The storage checks the pixel count before anything is kept (the same check as every upload, stricter here).
    original = storage.store_upload(
        session,
        stream=upload.stream,
        filename=upload.filename,
        allowed_kinds=IMAGE_KINDS,
        max_pixels=MAX_PIXELS,
        field=field,
    )
    img = _open(storage.open_blob(original), field)
    name = plain_text(title) or os.path.splitext(original.original_name)[0] or "Изображение"
    image = ContentImage(
        title=name[:200],
        original_file=original,
        width=img.width,
        height=img.height,
        uploaded_by_id=actor.staff_id if actor else None,
        uploaded_by_name=actor.name[:200] if actor else "",
    )
    stem = os.path.splitext(original.original_name)[0][:200]
    extension = "jpg" if original.kind == "jpeg" else "png"
    for variant in ImageVariant:
        copy = img.copy()
        if copy.width > variant.max_width:
            height = max(1, round(copy.height * variant.max_width / copy.width))
            copy = copy.resize((variant.max_width, height), Image.Resampling.LANCZOS)
        stored = storage.store_upload(
            session,
            stream=io.BytesIO(_encode(copy, original.kind)),
            filename=f"{stem}-{variant.value}.{extension}",
            allowed_kinds=IMAGE_KINDS,
            max_pixels=MAX_PIXELS,
            field=field,
        )
        image.variants.append(ContentImageVariant(variant=variant, file=stored, width=copy.width, height=copy.height))
    img.close()
    session.add(image)
    session.flush()
    return image


def rename_image(session: Session, *, image_id: int, title: str) -> ContentImage:
    image = session.get(ContentImage, image_id)
    if image is None:
        raise ValidationError("Изображение не найдено.")
    name = plain_text(title)
    if not name:
        raise ValidationError("Укажите название изображения.", field="title")
    image.title = name[:200]
    session.flush()
    return image


def image_usage(session: Session, image_id: int) -> list[str]:
    """Where an image is used, in words (an image in use cannot be deleted)."""
    uses = []
    for (title,) in session.execute(sa.select(NewsItem.title).where(NewsItem.cover_image_id == image_id)):
        uses.append(f"обложка «{title}»")
    for (title,) in session.execute(
        sa.select(Banner.title).where(sa.or_(Banner.image_id == image_id, Banner.mobile_image_id == image_id))
    ):
        uses.append(f"баннер «{title}»")
    for (title,) in session.execute(
        sa.select(Page.title).join(page_image, page_image.c.page_id == Page.id).where(page_image.c.image_id == image_id)
    ):
        uses.append(f"текст страницы «{title}»")
    for (title,) in session.execute(
        sa.select(NewsItem.title)
        .join(news_item_image, news_item_image.c.item_id == NewsItem.id)
        .where(news_item_image.c.image_id == image_id)
    ):
        uses.append(f"текст «{title}»")
    return uses


def check_can_delete(session: Session, image_id: int) -> None:
    uses = image_usage(session, image_id)
    if uses:
        raise ValidationError("Изображение используется: " + "; ".join(uses) + ". Сначала замените его там.")


def open_checked(source: os.PathLike | str | BinaryIO, field: str = "image") -> Image.Image:
    """A PNG or JPEG decoded and turned upright; ValidationError for a damaged file or a decompression bomb."""
    return _open(source, field)  # type: ignore[arg-type]
