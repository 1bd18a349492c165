"""Content images: PNG/JPEG checked by content, re-encoded into resized variants; public only while published
content shows them; customers' layouts are never served as content."""

import io

import pytest
import sqlalchemy as sa
import time_machine
from PIL import Image

from app.models import ContentImage, StoredFile
from app.services import storage
from app.services.content import image_access as content_image_access
from app.services.content import media as content_media
from app.services.errors import NotFound, ValidationError
from tests.content_helpers import EDITOR, image_bytes, make_banner, make_item, make_page, upload, utc
from tests.factories import pdf_bytes, place_order


def test_an_upload_is_kept_in_three_sizes_never_enlarged(db_session):
    image = content_media.upload_image(db_session, upload=upload(image_bytes((3000, 1500)), "big.jpg"), actor=EDITOR)
    small = content_media.upload_image(
        db_session, upload=upload(image_bytes((300, 200), "PNG"), "icon.png"), actor=EDITOR
    )
    assert {v.variant.value: (v.width, v.height) for v in image.variants} == {
        "large": (1920, 960),
        "medium": (960, 480),
        "small": (480, 240),
    }
    assert {(v.width, v.height) for v in small.variants} == {(300, 200)}
    assert (image.title, small.title, image.uploaded_by_name) == ("big", "icon", EDITOR.name)
    for variant in image.variants + small.variants:
        data = storage.open_blob(variant.file).read_bytes()
        with Image.open(io.BytesIO(data)) as decoded:
            assert decoded.size == (variant.width, variant.height)
            assert decoded.format == ("JPEG" if variant.file.kind == "jpeg" else "PNG")


def test_variants_are_re_encoded_without_metadata_or_trailing_bytes(db_session):
    exif = Image.Exif()
    exif[0x0110] = "Camera secret"  # Model
    exif[0x0112] = 6  # Orientation: rotate 90°
    data = image_bytes((400, 200), exif=exif.tobytes()) + b"<script>alert(1)</script>"
    image = content_media.upload_image(db_session, upload=upload(data, "photo.jpg"), actor=EDITOR)
    assert (image.width, image.height) == (200, 400)  # turned upright
    variant = storage.open_blob(image.variant("large").file).read_bytes()
    assert b"Camera secret" not in variant and b"<script>" not in variant
    with Image.open(io.BytesIO(variant)) as decoded:
        assert not decoded.getexif()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (pdf_bytes(), "cover.pdf", "Допустимые форматы: JPEG, PNG"),
        (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "logo.svg", "Допустимые форматы: JPEG, PNG"),
        (b"GIF89a" + b"\x00" * 30, "anim.gif", "Допустимые форматы: JPEG, PNG"),
        (b"II*\x00" + b"\x00" * 100, "scan.tif", "Допустимые форматы: JPEG, PNG"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "broken.png", "файл повреждён"),
        (b"", "empty.jpg", "Файл пустой"),
    ],
)
def test_refused_uploads_store_no_image(db_session, data, name, message):
    with pytest.raises(ValidationError, match=message) as refused:
        content_media.upload_image(db_session, upload=upload(data, name), actor=EDITOR, field="cover")
    assert refused.value.field == "cover"
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ContentImage)) == 0


def test_a_decompression_bomb_is_refused(db_session, monkeypatch):
    monkeypatch.setattr(content_media, "MAX_PIXELS", 100 * 100)
    with pytest.raises(ValidationError, match="слишком большое"):
        content_media.upload_image(db_session, upload=upload(image_bytes((200, 200))), actor=EDITOR)


def test_images_are_public_only_while_published_content_shows_them(db_session):
    cover_item = make_item(db_session, cover=True, publish_at=utc(2026, 5, 1), expire_at=utc(2026, 6, 1))
    cover_id = cover_item.cover_image_id
    in_text = content_media.upload_image(db_session, upload=upload(), actor=EDITOR)
    draft_only = content_media.upload_image(db_session, upload=upload(image_bytes(colour=(1, 2, 3))), actor=EDITOR)
    unused = content_media.upload_image(db_session, upload=upload(image_bytes(colour=(9, 9, 9))), actor=EDITOR)
    db_session.commit()
    make_page(db_session, title="С картинкой", body=f"![фото](/media/{in_text.id}/medium)")
    make_page(db_session, title="Черновик", body=f"![фото](/media/{draft_only.id}/medium)", is_published=False)
    banner = make_banner(db_session, active_from=utc(2026, 5, 10))

    def public(image_id: int, variant: str = "large") -> bool:
        try:
            return content_image_access.public_image_file(db_session, image_id=image_id, variant=variant) is not None
        except NotFound:
            return False

    with time_machine.travel(utc(2026, 5, 5), tick=False):
        assert public(cover_id) and public(cover_id, "small")
        assert public(in_text.id, "medium")
        assert not public(draft_only.id) and not public(unused.id)
        assert not public(banner.image_id)  # its window has not started
        assert not public(cover_id, "original") and not public(cover_id, "../../etc")
    with time_machine.travel(utc(2026, 5, 20), tick=False):
        assert public(banner.image_id)
    with time_machine.travel(utc(2026, 6, 2), tick=False):
        assert not public(cover_id)  # the item expired
    # The staff route serves everything, drafts included (the back office previews them).
    assert content_image_access.staff_image_file(db_session, image_id=draft_only.id, variant="small").kind == "jpeg"


def test_a_customers_layout_is_never_a_public_image(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    layout_id = order.lines[0].layout_file_id
    layout = db_session.get(StoredFile, layout_id)
    png = storage.store_bytes(db_session, data=image_bytes(fmt="PNG"), filename="logo.png", customer_id=customer.id)
    db_session.commit()
    for file_id in (layout.id, png.id):
        for variant in ("large", "medium", "small"):
            with pytest.raises(NotFound):
                content_image_access.public_image_file(db_session, image_id=file_id, variant=variant)


def test_an_image_in_use_cannot_be_deleted(db_session):
    item = make_item(db_session, title="С обложкой", cover=True)
    banner = make_banner(db_session, title="Летний")
    page_image = content_media.upload_image(db_session, upload=upload(), actor=EDITOR)
    db_session.commit()
    make_page(db_session, title="Страница", body=f"![x](/media/{page_image.id}/small)")
    with pytest.raises(ValidationError, match="обложка «С обложкой»"):
        content_media.check_can_delete(db_session, item.cover_image_id)
    with pytest.raises(ValidationError, match="баннер «Летний»"):
        content_media.check_can_delete(db_session, banner.image_id)
    with pytest.raises(ValidationError, match="текст страницы «Страница»"):
        content_media.check_can_delete(db_session, page_image.id)
    free = content_media.upload_image(db_session, upload=upload(), actor=EDITOR)
    content_media.check_can_delete(db_session, free.id)
