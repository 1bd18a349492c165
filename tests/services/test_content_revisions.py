"""Revisions and restore for news, promotions and banners: every changing save is a revision; a restore brings
every field back (pictures too) through the same checks and is a revision of its own; staff by permission."""

import dataclasses

import pytest
import sqlalchemy as sa

from app.models import ContentRevision, NewsKind
from app.services.content import banners, news, snapshots
from app.services.errors import NotFound
from tests.content_helpers import EDITOR, SECOND_EDITOR, image_bytes, make_banner, make_item, upload, utc
from tests.factories import login_staff, make_staff


def _data(item) -> news.NewsData:  # noqa: ANN001
    return news.NewsData(
        kind=item.kind,
        title=item.title,
        slug=item.slug,
        teaser=item.teaser,
        body=item.body,
        publish_at=item.publish_at,
        expire_at=item.expire_at,
        is_published=item.is_published,
        promo_code_id=item.promo_code_id,
    )


def test_a_news_item_is_restored_exactly_as_a_new_revision(db_session):
    item = make_item(db_session, title="Скидка на визитки", body="Скидка 10 %", cover=True, kind=NewsKind.promo)
    first_cover = item.cover_image_id
    changed = dataclasses.replace(_data(item), title="Скидка 20 %", body="Скидка **20 %**", expire_at=utc(2026, 12, 31))
    news.save_news_item(db_session, data=changed, actor=SECOND_EDITOR, item_id=item.id, remove_cover=True)
    news.save_news_item(db_session, data=changed, actor=SECOND_EDITOR, item_id=item.id)  # nothing changed
    db_session.commit()
    history = snapshots.revisions(db_session, snapshots.NEWS, item.id)
    assert [(r.number, r.author_name, r.note) for r in history] == [
        (2, SECOND_EDITOR.name, "Изменена"),
        (1, EDITOR.name, "Создана"),
    ]
    news.restore_news_revision(db_session, revision_id=history[1].id, actor=EDITOR)
    db_session.commit()
    db_session.refresh(item)
    assert (item.title, item.body, item.expire_at, item.cover_image_id) == (
        "Скидка на визитки",
        "Скидка 10 %",
        None,
        first_cover,
    )
    assert "10 %" in item.body_html
    latest = snapshots.revisions(db_session, snapshots.NEWS, item.id)[0]
    assert (latest.number, latest.note) == (3, "Восстановлена редакция №1")
    assert latest.snapshot == history[1].snapshot


def test_a_banner_is_restored_with_its_pictures(db_session):
    banner = make_banner(db_session, title="Зима", link="/catalog/vizitki", mobile=True)
    first = (banner.image_id, banner.mobile_image_id)
    banners.save_banner(
        db_session,
        data=banners.BannerData(title="Весна", alt_text="Весна", link="/news/", position=5),
        actor=SECOND_EDITOR,
        banner_id=banner.id,
        image=upload(image_bytes((1920, 480)), "spring.jpg"),
        remove_mobile_image=True,
    )
    db_session.commit()
    old = snapshots.revisions(db_session, snapshots.BANNER, banner.id)[-1]
    banners.restore_banner_revision(db_session, revision_id=old.id, actor=EDITOR)
    db_session.commit()
    db_session.refresh(banner)
    assert (banner.title, banner.link, banner.position, banner.image_id, banner.mobile_image_id) == (
        "Зима",
        "/catalog/vizitki",
        0,
        *first,
    )
    with pytest.raises(NotFound):
        banners.restore_banner_revision(db_session, revision_id=old.id + 1000, actor=EDITOR)


def test_a_news_revision_cannot_restore_a_banner(db_session):
    item = make_item(db_session, title="Новость")
    make_banner(db_session)
    news_revision = db_session.scalar(sa.select(ContentRevision).where(ContentRevision.kind == "news"))
    assert news_revision.object_id == item.id
    with pytest.raises(NotFound):
        banners.restore_banner_revision(db_session, revision_id=news_revision.id, actor=EDITOR)


@pytest.mark.parametrize(("role", "allowed"), [("ContentEditor", True), ("Operator", False)])
def test_restore_from_the_back_office_by_permission(app, staff_client, db_session, role, allowed):
    item = make_item(db_session, title="Первая")
    second = dataclasses.replace(_data(item), title="Вторая")
    news.save_news_item(db_session, data=second, actor=EDITOR, item_id=item.id)
    db_session.commit()
    first = snapshots.revisions(db_session, snapshots.NEWS, item.id)[-1]
    login_staff(staff_client, make_staff(app, role))
    if allowed:
        page = staff_client.get(f"/admin/newsitemview/show/{item.id}").get_data(as_text=True)
        assert 'data-testid="restore-1"' in page and "Отличается: заголовок" in page
    staff_client.post(f"/admin/newsitemview/restore/{first.id}")
    db_session.expire_all()
    assert (item.title == "Первая") == allowed
