"""Every upload path refuses decompression bombs and unreadable PDFs with a Russian message and stores nothing:
the uploads folder is the same after the refused request as before it."""

import io
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import ContentImage, StoredFile
from app.services import storage
from app.services.projects import projects
from tests.content_helpers import image_bytes
from tests.factories import (
    bomb_png,
    login_customer,
    login_staff,
    make_staff,
    pdf_bytes,
    place_order,
    truncated_pdf,
)

BOMB = "Изображение слишком большое"
UNREADABLE_PDF = "Не удалось прочитать PDF"
REFUSED = [(None, "bomb.png", BOMB), (b"", "cut.pdf", UNREADABLE_PDF)]  # data: made in the test (a bomb is slow)


def _uploads(app) -> set[Path]:  # noqa: ANN001
    root = Path(app.config["UPLOAD_DIR"])
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def _text(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def _add_to_cart(client, catalog, data: bytes, name: str):  # noqa: ANN001, ANN202
    form = {"quantity": "100", "layout": (io.BytesIO(data), name)}
    form |= {f"opt_{i}": str(v) for i, v in enumerate(catalog.defaults(catalog.cards))}
    return client.post(f"/product/{catalog.cards.slug}", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize(("data", "name", "message"), REFUSED, ids=["bomb", "truncated-pdf"])
def test_a_cart_layout_that_is_a_bomb_or_an_unreadable_pdf_is_refused_and_not_kept(
    app, client, db_session, catalog, data, name, message
):
    data = bomb_png() if data is None else truncated_pdf()
    before = _uploads(app)
    response = _add_to_cart(client, catalog, data, name)
    assert response.status_code == 400 and message in _text(response)
    assert _uploads(app) == before
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0
    # Stored files are named by their content: a layout no earlier test stored.
    good = _add_to_cart(client, catalog, pdf_bytes(text=f"Макет {uuid.uuid4().hex}"), "ok.pdf")
    assert good.status_code == 302 and len(_uploads(app)) == len(before) + 1


@pytest.mark.parametrize(("data", "name", "message"), REFUSED, ids=["bomb", "truncated-pdf"])
def test_a_project_version_that_is_a_bomb_or_an_unreadable_pdf_is_refused_and_not_kept(
    app, client, db_session, catalog, customer, data, name, message
):
    order = place_order(db_session, customer, catalog.cards)
    project = projects.save_from_order_line(db_session, order, order.product_lines[0].id, customer=customer, name="В")
    db_session.commit()
    login_customer(client, customer.email)
    before = _uploads(app)
    response = client.post(
        f"/account/projects/{project.id}/replace",
        data={"layout": (io.BytesIO(bomb_png() if data is None else truncated_pdf()), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert response.status_code == 200 and message in _text(response)
    assert _uploads(app) == before
    db_session.expire_all()
    assert [v.number for v in db_session.get(type(project), project.id).versions] == [1]


def test_a_content_image_that_is_a_bomb_or_breaks_after_its_header_is_refused_and_not_kept(
    app, staff_client, db_session
):
    login_staff(staff_client, make_staff(app, "ContentEditor"))
    before = _uploads(app)
    whole = image_bytes((800, 600), "PNG")
    for data, message in ((bomb_png(), BOMB), (whole[: len(whole) // 2], "файл повреждён")):
        response = staff_client.post(
            "/admin/contentimageview/add",
            data={"title": "Бомба", "image": (io.BytesIO(data), "bomb.png")},
            content_type="multipart/form-data",
        )
        assert response.status_code == 200 and message in _text(response)
        assert _uploads(app) == before
    assert db_session.scalar(sa.select(sa.func.count()).select_from(ContentImage)) == 0


def test_a_staff_layout_replacement_that_is_a_bomb_is_refused_and_not_kept(
    app, staff_client, db_session, catalog, customer
):
    order = place_order(db_session, customer, catalog.cards)
    login_staff(staff_client, make_staff(app, "Operator"))
    before = _uploads(app)
    for data, name, message in ((bomb_png(), "bomb.png", BOMB), (truncated_pdf(), "cut.pdf", UNREADABLE_PDF)):
        response = staff_client.post(
            f"/admin/orderview/line/{order.id}/{order.lines[0].id}/layout",
            data={"layout": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
            follow_redirects=True,
        )
        assert response.status_code == 200 and message in _text(response)
        assert _uploads(app) == before
    db_session.expire_all()
    assert order.lines[0].layout_file.original_name == "maket.pdf"


def test_an_upload_reaches_its_place_only_when_the_transaction_commits(app, db_session, customer):
    before = _uploads(app)
    stored = storage.store_bytes(db_session, data=pdf_bytes(text="Откат"), filename="a.pdf", customer_id=customer.id)
    assert storage.open_blob(stored).read_bytes().startswith(b"%PDF")  # readable inside the transaction
    assert not storage.blob_path(stored.sha256).exists()
    db_session.rollback()
    assert _uploads(app) == before  # the temporary file went with the rollback
    stored = storage.store_bytes(db_session, data=pdf_bytes(text="Коммит"), filename="b.pdf", customer_id=customer.id)
    db_session.commit()
    assert _uploads(app) == before | {storage.blob_path(stored.sha256)}
