"""Back office of the site content: who may read and change it (the role matrix), and the forms themselves:
preview before saving, revisions with compare and restore, shop-time scheduling, the newsletter button,
banners with their links and order, the image library. Bad input shows a Russian message and changes nothing."""

import io

import pytest
import sqlalchemy as sa

from app.models import Banner, ContentImage, NewsItem, Notification, Page, PageRevision
from app.services.content import pages as content_pages
from app.views.admin.permissions import STAFF_ROLES
from tests.content_helpers import EDITOR, image_bytes, make_banner, make_item, make_page, subscriber, utc
from tests.factories import login_staff, make_staff, pdf_bytes
from tests.views.admin.test_admin_access import _allowed

VIEWS = {
    "PageView": "/admin/pageview",
    "NewsItemView": "/admin/newsitemview",
    "BannerView": "/admin/bannerview",
    "ContentImageView": "/admin/contentimageview",
}
# Written out by hand: who may read the content views, who may change them, who may send a newsletter.
CAN_READ = {"Admin", "ContentEditor", "Manager"}
CAN_WRITE = {"Admin", "ContentEditor"}
CAN_SEND = {"Admin", "ContentEditor"}


def _count(session, model) -> int:  # noqa: ANN001
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def _editor(app, client, role: str = "ContentEditor") -> None:  # noqa: ANN001
    login_staff(client, make_staff(app, role))


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_role_reads_and_writes_exactly_what_it_may(app, staff_client, db_session, role):
    page = make_page(db_session, title="Контакты", body="Телефон")
    item = make_item(db_session, publish_at=utc(2026, 1, 1), cover=True)
    login_staff(staff_client, make_staff(app, role))
    for view, base in VIEWS.items():
        response = staff_client.get(f"{base}/list/")
        assert _allowed(response) == (role in CAN_READ), f"{role} list {view}: {response.status_code}"
        response = staff_client.get(f"{base}/add")
        assert _allowed(response) == (role in CAN_WRITE), f"{role} add {view}: {response.status_code}"
    readable = [
        f"/admin/pageview/show/{page.id}",
        f"/admin/pageview/revision/{page.revisions[0].id}",
        f"/admin/newsitemview/show/{item.id}",
        f"/admin/contentimageview/show/{item.cover_image_id}",
        f"/admin/contentimageview/file/{item.cover_image_id}/small",
    ]
    for url in readable:
        with staff_client.get(url) as response:
            assert _allowed(response) == (role in CAN_READ), f"{role} {url}"
    assert _allowed(staff_client.get(f"/admin/pageview/edit/{page.id}")) == (role in CAN_WRITE)
    assert not _allowed(staff_client.get("/admin/pageview/download/secret.txt"))  # FAB's generic download is off

    staff_client.post(f"/admin/pageview/edit/{page.id}", data={"title": "Изменено", "slug": "contacts", "body": "X"})
    db_session.expire_all()
    assert page.title == "Контакты"  # a published page keeps its text until the draft is published
    assert (page.draft_number is not None) == (role in CAN_WRITE)


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_actions_follow_the_role(app, staff_client, db_session, role):
    subscriber(db_session, "ivan@example.ru")
    item = make_item(db_session, publish_at=utc(2026, 1, 1))
    first, second = make_banner(db_session, title="A", position=10), make_banner(db_session, title="B", position=20)
    page = make_page(db_session, title="Контакты", body="Телефон 1")
    second_state = content_pages.PageData(title="Контакты", slug=page.slug, body="Телефон 2", is_published=True)
    content_pages.save_page(db_session, data=second_state, actor=EDITOR, page_id=page.id)
    db_session.commit()
    login_staff(staff_client, make_staff(app, role))
    staff_client.post(f"/admin/newsitemview/action/send_action/{item.id}")
    staff_client.post(f"/admin/bannerview/move/{second.id}/up")
    first_revision = db_session.scalar(sa.select(PageRevision.id).where(PageRevision.number == 1))
    staff_client.post(f"/admin/pageview/restore/{first_revision}")
    db_session.expire_all()
    assert (_count(db_session, Notification) == 1) == (role in CAN_SEND)
    assert (second.position < first.position) == (role in CAN_WRITE)
    assert (page.draft_number == 3) == (role in CAN_WRITE)  # the restore is a draft of its own


def test_anonymous_staff_is_sent_to_login(staff_client, app):
    for base in VIEWS.values():
        response = staff_client.get(f"{base}/list/")
        assert response.status_code == 302 and "/admin/login" in response.headers["Location"]


# ----------------------------------------------------------------------------------------------------- pages


PAGE_FORM = {
    "title": "Доставка и оплата",
    "slug": "",
    "body": "## Курьер\n\n<script>alert(1)</script>Курьер по Москве — **400 ₽**.",
    "seo_title": "Доставка",
    "seo_description": "",
    "is_published": "y",
    "position": "10",
}


def test_preview_shows_the_sanitised_page_and_saves_nothing(app, staff_client, db_session):
    _editor(app, staff_client)
    response = staff_client.post("/admin/pageview/add", data=PAGE_FORM | {"preview": "1"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    preview = html.split('data-testid="preview"')[1].split("</form>")[0]
    assert "<h2>Курьер</h2>" in preview and "<strong>400 ₽</strong>" in preview
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the source is kept in the form, escaped
    assert _count(db_session, Page) == 0


def test_page_saved_from_the_form_keeps_revisions_with_the_staff_name(app, staff_client, db_session):
    _editor(app, staff_client)
    response = staff_client.post("/admin/pageview/add", data=PAGE_FORM)
    assert response.status_code == 302
    page = db_session.scalar(sa.select(Page))
    assert (page.slug, page.is_published, page.position) == ("dostavka-i-oplata", True, 10)
    assert "<script" not in page.body_html and "<strong>400 ₽</strong>" in page.body_html
    staff_client.post(f"/admin/pageview/edit/{page.id}", data=PAGE_FORM | {"body": "Курьер — **500 ₽**."})
    db_session.expire_all()
    assert [(r.number, r.author_name) for r in page.revisions] == [
        (2, "Тестов ContentEditor"),
        (1, "Тестов ContentEditor"),
    ]
    assert page.draft_number == 2 and page.live_number == 1 and "400 ₽" in page.body_html
    show = staff_client.get(f"/admin/pageview/show/{page.id}").get_data(as_text=True)
    assert "Редакции" in show and "Сравнить с опубликованной" in show and "<strong>500 ₽</strong>" in show
    staff_client.post(f"/admin/pageview/publish/{page.id}")
    db_session.expire_all()
    assert page.draft_number is None and page.live_number == 2 and "<strong>500 ₽</strong>" in page.body_html
    diff = staff_client.get(f"/admin/pageview/revision/{page.revisions[1].id}").get_data(as_text=True)
    removed = "&lt;script&gt;alert(1)&lt;/script&gt;Курьер по Москве — **400 ₽**."
    assert f'<td class="diff-delete"><mark>{removed}</mark></td>' in diff
    assert '<td class="diff-insert"><mark>Курьер — **500 ₽**.</mark></td>' in diff
    assert 'data-testid="diff-body"' in diff and 'data-testid="diff-title"' not in diff
    assert staff_client.post(f"/admin/pageview/restore/{page.revisions[1].id}").status_code == 302
    db_session.expire_all()
    assert page.revisions[0].note == "Восстановлена редакция №1" and page.draft_number == 3
    staff_client.post(f"/admin/pageview/publish/{page.id}")
    db_session.expire_all()
    assert page.body == PAGE_FORM["body"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"slug": "Про нас"}, "латинские буквы, цифры и дефисы"),
        ({"title": ""}, "Заполните поле «Заголовок»"),
        ({"position": "первый"}, "Неверное целое число"),
        ({"body": "![x](/media/12345/medium)"}, "нет в библиотеке"),
    ],
)
def test_bad_page_input_shows_a_russian_message_and_changes_nothing(app, staff_client, db_session, change, message):
    page = make_page(db_session, title="Контакты", slug="telefony", body="Телефон")
    _editor(app, staff_client)
    response = staff_client.post(f"/admin/pageview/edit/{page.id}", data=PAGE_FORM | change)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db_session.expire_all()
    assert (page.title, page.slug, page.body, len(page.revisions)) == ("Контакты", "telefony", "Телефон", 1)


# ------------------------------------------------------------------------------------------ news and promotions


def _news_form(**fields) -> dict:
    return {
        "kind": "news",
        "title": "Майская новость",
        "slug": "",
        "teaser": "Анонс",
        "body": "Текст",
        "publish_at": "2026-05-04T10:00",
        "expire_at": "",
        "is_published": "y",
        "promo_code_id": "",
        "seo_title": "",
        "seo_description": "",
    } | fields


def test_news_times_are_typed_in_shop_time_and_stored_in_utc(app, staff_client, db_session):
    _editor(app, staff_client)
    form = _news_form(expire_at="2026-05-11T00:00", cover=(io.BytesIO(image_bytes((1600, 900))), "cover.jpg"))
    response = staff_client.post("/admin/newsitemview/add", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    item = db_session.scalar(sa.select(NewsItem))
    assert (item.publish_at, item.expire_at) == (utc(2026, 5, 4, 7), utc(2026, 5, 10, 21))
    assert item.cover_image.width == 1600 and item.updated_by_name == "Тестов ContentEditor"
    edit = staff_client.get(f"/admin/newsitemview/edit/{item.id}").get_data(as_text=True)
    assert 'value="2026-05-04T10:00"' in edit and 'value="2026-05-11T00:00"' in edit


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expire_at": "2026-05-04T09:00"}, "позже даты публикации"),
        ({"publish_at": ""}, "Неверное значение даты и времени"),
        ({"cover": "pdf"}, "Допустимые форматы: JPEG, PNG"),
    ],
)
def test_bad_news_input_is_refused_and_nothing_is_stored(app, staff_client, db_session, fields, message):
    if fields.get("cover") == "pdf":  # a fresh stream per run: the test client closes what it sends
        fields = fields | {"cover": (io.BytesIO(pdf_bytes()), "cover.pdf")}
    _editor(app, staff_client)
    response = staff_client.post(
        "/admin/newsitemview/add", data=_news_form(**fields), content_type="multipart/form-data"
    )
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert _count(db_session, NewsItem) == 0 and _count(db_session, ContentImage) == 0


def test_send_to_subscribers_button_sends_once(app, staff_client, db_session):
    subscriber(db_session, "ivan@example.ru")
    subscriber(db_session, "olga@example.ru")
    item = make_item(db_session, publish_at=utc(2026, 1, 1))
    _editor(app, staff_client)
    show = staff_client.get(f"/admin/newsitemview/show/{item.id}").get_data(as_text=True)
    assert "Отправить подписчикам" in show and "<strong>2</strong>" in show
    staff_client.post(f"/admin/newsitemview/action/send_action/{item.id}")
    page = staff_client.get(f"/admin/newsitemview/show/{item.id}").get_data(as_text=True)
    assert "Рассылка поставлена в очередь: писем 2." in page and "Отправить подписчикам" not in page
    staff_client.post(f"/admin/newsitemview/action/send_action/{item.id}")
    again = staff_client.get(f"/admin/newsitemview/show/{item.id}").get_data(as_text=True)
    assert "Рассылка уже отправлена" in again
    assert _count(db_session, Notification) == 2


# ---------------------------------------------------------------------------------------------------- banners


def _banner_form(**fields) -> dict:
    return {
        "title": "Лето",
        "alt_text": "Скидки всё лето",
        "link": "/catalog/vizitki",
        "position": "10",
        "active_from": "",
        "active_until": "",
        "is_active": "y",
        "image": (io.BytesIO(image_bytes((1920, 480))), "leto.jpg"),
    } | fields


def test_banner_with_a_script_link_is_refused(app, staff_client, db_session):
    _editor(app, staff_client)
    response = staff_client.post(
        "/admin/bannerview/add", data=_banner_form(link="javascript:alert(1)"), content_type="multipart/form-data"
    )
    assert response.status_code == 200
    assert "Ссылка: путь на сайте, начинающийся с «/»" in response.get_data(as_text=True)
    assert _count(db_session, Banner) == 0


def test_banner_added_listed_and_moved(app, staff_client, db_session):
    make_banner(db_session, title="Первый", position=10)
    _editor(app, staff_client)
    response = staff_client.post(
        "/admin/bannerview/add",
        data=_banner_form(active_from="2026-07-01T09:00", position="20"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    banner = db_session.scalar(sa.select(Banner).where(Banner.title == "Лето"))
    assert banner.active_from == utc(2026, 7, 1, 6) and banner.image.width == 1920
    listing = staff_client.get("/admin/bannerview/list/").get_data(as_text=True).split('data-testid="banner-table"')[1]
    assert listing.index("Первый") < listing.index("Лето")
    staff_client.post(f"/admin/bannerview/move/{banner.id}/up")
    listing = staff_client.get("/admin/bannerview/list/").get_data(as_text=True).split('data-testid="banner-table"')[1]
    assert listing.index("Лето") < listing.index("Первый")
    assert staff_client.post(f"/admin/bannerview/move/{banner.id}/sideways").status_code == 404


# ------------------------------------------------------------------------------------------------ image library


def test_image_library_upload_snippet_and_refusals(app, staff_client, db_session):
    _editor(app, staff_client)
    refused = staff_client.post(
        "/admin/contentimageview/add",
        data={"title": "", "image": (io.BytesIO(pdf_bytes()), "maket.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 200 and "Допустимые форматы: JPEG, PNG" in refused.get_data(as_text=True)
    empty = staff_client.post("/admin/contentimageview/add", data={"title": "x"}, content_type="multipart/form-data")
    assert "Выберите файл PNG или JPEG." in empty.get_data(as_text=True)
    assert _count(db_session, ContentImage) == 0
    response = staff_client.post(
        "/admin/contentimageview/add",
        data={"title": "Цех [фото]", "image": (io.BytesIO(image_bytes((800, 600), "PNG")), "ceh.png")},
        content_type="multipart/form-data",
    )
    image = db_session.scalar(sa.select(ContentImage))
    assert response.status_code == 302
    show = staff_client.get(f"/admin/contentimageview/show/{image.id}").get_data(as_text=True)
    assert f"![Цех (фото)](/media/{image.id}/medium)" in show
    with staff_client.get(f"/admin/contentimageview/file/{image.id}/medium") as file:
        assert file.status_code == 200 and file.mimetype == "image/png"


def test_an_image_in_use_is_not_deleted(app, staff_client, db_session):
    item = make_item(db_session, title="С обложкой", cover=True)
    _editor(app, staff_client)
    staff_client.post(f"/admin/contentimageview/delete/{item.cover_image_id}")
    page = staff_client.get("/admin/contentimageview/list/").get_data(as_text=True)
    assert "Изображение используется: обложка «С обложкой»" in page
    assert _count(db_session, ContentImage) == 1


def test_lists_filter_and_deleting_a_page_takes_its_revisions(app, staff_client, db_session):
    make_item(db_session, title="Новость про бумагу")
    make_item(db_session, title="Акция на листовки", kind="promo")
    page = make_page(db_session, title="Временная страница")
    content_pages.save_page(
        db_session,
        data=content_pages.PageData(title="Временная страница", slug=page.slug, body="Второй текст"),
        actor=EDITOR,
        page_id=page.id,
    )
    db_session.commit()
    _editor(app, staff_client)
    promos = staff_client.get("/admin/newsitemview/list/?_flt_0_kind=promo").get_data(as_text=True)
    assert "Акция на листовки" in promos and "Новость про бумагу" not in promos
    assert "На сайте" in promos
    staff_client.post(f"/admin/pageview/delete/{page.id}")
    assert _count(db_session, Page) == 0 and _count(db_session, PageRevision) == 0


def test_a_required_page_cannot_be_deleted_from_the_back_office(app, staff_client, db_session):
    required = make_page(db_session, title="Контакты", slug="contacts", body="Телефон")
    other = make_page(db_session, title="Вакансии", body="Ищем печатника")
    _editor(app, staff_client)
    response = staff_client.post(f"/admin/pageview/delete/{required.id}", follow_redirects=True)
    assert "обязательна для магазина — удалить её нельзя" in response.get_data(as_text=True)
    staff_client.post(f"/admin/pageview/delete/{other.id}")
    db_session.expire_all()
    assert db_session.scalars(sa.select(Page.slug)).all() == ["contacts"]
