"""Pages: every save keeps a revision (who, when); compare shows what changed; restore brings one back exactly."""

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Page, PageRevision
from app.services.content import pages
from app.services.content import revisions as content_revisions
from app.services.errors import NotFound, ValidationError
from app.services.markup import render_markdown
from tests.content_helpers import EDITOR, SECOND_EDITOR, make_page, utc

FIELDS = pages.PAGE_FIELDS


def _state(obj) -> dict:  # noqa: ANN001
    return {name: getattr(obj, name) for name in FIELDS}


def test_creating_a_page_keeps_revision_one_with_author_and_time(db_session):
    with time_machine.travel(utc(2026, 3, 2, 9, 30), tick=False):
        page = make_page(db_session, title="Доставка и оплата", body="## Курьер\n\n400 ₽", seo_title="Доставка")
    assert page.slug == "dostavka-i-oplata"
    assert page.body_html == "<h2>Курьер</h2>\n<p>400 ₽</p>"
    [revision] = page.revisions
    assert (revision.number, revision.author_name, revision.note) == (1, EDITOR.name, "Создана")
    assert revision.created_at == utc(2026, 3, 2, 9, 30)
    assert _state(revision) == _state(page)


def test_each_change_is_a_new_revision_and_an_unchanged_save_is_none(db_session):
    page = make_page(db_session, title="Контакты", body="Телефон: 123")
    data = pages.PageData(title="Контакты", slug="kontakty", body="Телефон: 456", is_published=True)
    with time_machine.travel(utc(2026, 3, 3, 12), tick=False):
        _, second = pages.save_page(db_session, data=data, actor=SECOND_EDITOR, page_id=page.id)
        pages.publish_draft(db_session, page_id=page.id, actor=SECOND_EDITOR)
    db_session.commit()
    _, none = pages.save_page(db_session, data=data, actor=EDITOR, page_id=page.id)
    assert none is None
    numbers = db_session.scalars(sa.select(PageRevision.number).where(PageRevision.page_id == page.id)).all()
    assert sorted(numbers) == [1, 2]
    assert (second.author_name, second.created_at, second.body) == (
        SECOND_EDITOR.name,
        utc(2026, 3, 3, 12),
        "Телефон: 456",
    )
    assert page.updated_by_name == SECOND_EDITOR.name


def test_restore_brings_every_field_back_exactly_as_a_new_revision(db_session):
    page = make_page(
        db_session,
        title="О компании",
        slug="istoriya",
        body="Первый абзац.\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        seo_title="SEO 1",
        seo_description="Описание 1",
        show_in_header=True,
        position=5,
    )
    first = _state(page.revisions[0])
    pages.save_page(
        db_session,
        data=pages.PageData(title="О нас", slug="o-nas", body="Совсем другой текст", is_published=False, position=9),
        actor=SECOND_EDITOR,
        page_id=page.id,
    )
    pages.publish_draft(db_session, page_id=page.id, actor=SECOND_EDITOR)
    db_session.commit()
    assert _state(page) != first
    old_id = db_session.scalar(
        sa.select(PageRevision.id).where(PageRevision.page_id == page.id, PageRevision.number == 1)
    )
    restored, revision = pages.restore_revision(db_session, revision_id=old_id, actor=EDITOR)
    assert _state(restored) == first  # unpublished meanwhile: the restore changes it at once, no draft
    db_session.commit()
    db_session.expire_all()
    page = db_session.get(Page, page.id)
    assert _state(page) == first
    assert page.body_html == render_markdown(first["body"])
    assert (revision.number, revision.note) == (3, "Восстановлена редакция №1")
    assert _state(revision) == first


def test_compare_shows_changed_fields_and_changed_words(db_session):
    page = make_page(
        db_session,
        title="Доставка",
        body="Строка 1\nКурьер 400 ₽\nСтрока 3\nСтрока 4\nСтрока 5\nСтрока 6\nСтрока 7\nКонец",
    )
    old = page.revisions[0]
    pages.save_page(
        db_session,
        data=pages.PageData(
            title="Доставка и оплата",
            slug=page.slug,
            body="Строка 1\nКурьер 500 ₽\nСтрока 3\nСтрока 4\nСтрока 5\nСтрока 6\nСтрока 7\nКонец\nНовая строка",
            is_published=True,
        ),
        actor=EDITOR,
        page_id=page.id,
    )
    pages.publish_draft(db_session, page_id=page.id, actor=EDITOR)
    db_session.commit()
    changes = {c.name: c for c in content_revisions.diff_pages(old, page)}
    assert set(changes) == {"title", "body"}
    assert (changes["title"].old, changes["title"].new) == ("Доставка", "Доставка и оплата")
    rows = changes["body"].rows
    change = next(r for r in rows if r.kind == "change")
    assert [p.text for p in change.old if p.changed] == ["400"]
    assert [p.text for p in change.new if p.changed] == ["500"]
    assert rows[-1].kind == "insert" and rows[-1].new[0].text == "Новая строка"
    skip = next(r for r in rows if r.kind == "skip")
    assert skip.skipped == 2  # long unchanged runs are folded, with context kept around the changes
    assert content_revisions.diff_pages(old, old) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"title": "  "}, "Заполните поле «Заголовок»"),
        ({"title": "<script>alert(1)</script>"}, "Заполните поле «Заголовок»"),
        ({"slug": "Про нас"}, "латинские буквы, цифры и дефисы"),
        ({"slug": "-about"}, "латинские буквы, цифры и дефисы"),
        ({"title": "Т" * 201}, "длиннее 200 символов"),
        ({"seo_description": "о" * 301}, "длиннее 300 символов"),
        ({"position": -1}, "Порядок — целое число"),
        ({"body": "х" * 100_001}, "Текст длиннее"),
        ({"body": "![нет такой](/media/999/large)"}, "нет в библиотеке"),
    ],
)
def test_bad_input_is_refused_with_a_russian_message_and_changes_nothing(db_session, fields, message):
    page = make_page(db_session, title="Контакты", body="Телефон")
    data = {"title": "Контакты", "slug": "contacts", "body": "Телефон", "is_published": True} | fields
    with pytest.raises(ValidationError, match=message):
        pages.save_page(db_session, data=pages.PageData(**data), actor=EDITOR, page_id=page.id)
    db_session.rollback()
    db_session.expire_all()
    assert (page.title, page.body, len(page.revisions)) == ("Контакты", "Телефон", 1)


def test_a_slug_is_unique(db_session):
    make_page(db_session, title="Контакты", slug="contacts")
    with pytest.raises(ValidationError, match="«contacts» уже занят"):
        pages.save_page(db_session, data=pages.PageData(title="Другая", slug="contacts"), actor=EDITOR)


def test_only_published_pages_are_public_and_in_the_menu(db_session):
    make_page(db_session, title="Доставка и оплата", position=10, show_in_header=True)
    make_page(db_session, title="Черновик", is_published=False)
    make_page(db_session, title="О компании", position=30)
    assert [p.title for p in pages.menu_pages(db_session)] == ["Доставка и оплата", "О компании"]
    assert pages.published_page(db_session, "o-kompanii").title == "О компании"
    with pytest.raises(NotFound):
        pages.published_page(db_session, "chernovik")


# ------------------------------------------------------------------------------------------------------ drafts


def test_editing_a_published_page_saves_a_draft_the_site_keeps_the_published_text(db_session, client):
    page = make_page(db_session, title="Контакты", slug="kontakty-ofisa", body="Телефон: 123")
    data = pages.PageData(title="Контакты", slug="kontakty-ofisa", body="Телефон: **456**", is_published=True)
    _, draft = pages.save_page(db_session, data=data, actor=SECOND_EDITOR, page_id=page.id)
    db_session.commit()
    assert (page.draft_number, page.live_number, page.body) == (2, 1, "Телефон: 123")
    assert pages.editing_state(page) is draft and pages.draft_of(page) is draft
    assert "<strong>456</strong>" in pages.draft_html(draft)
    assert "Телефон: 123" in client.get("/pages/kontakty-ofisa").get_data(as_text=True)
    # Saving the same draft again changes nothing; another change moves the draft on.
    assert pages.save_page(db_session, data=data, actor=EDITOR, page_id=page.id)[1] is None
    pages.publish_draft(db_session, page_id=page.id, actor=EDITOR)
    db_session.commit()
    assert (page.draft_number, page.live_number, page.body) == (None, 2, "Телефон: **456**")
    assert "<strong>456</strong>" in client.get("/pages/kontakty-ofisa").get_data(as_text=True)
    with pytest.raises(ValidationError, match="нет черновика"):
        pages.publish_draft(db_session, page_id=page.id, actor=EDITOR)


def test_a_discarded_draft_leaves_the_site_and_the_history_alone(db_session):
    page = make_page(db_session, title="Прайс", body="Старый")
    data = pages.PageData(title="Прайс", slug=page.slug, body="Новый", is_published=True)
    pages.save_page(db_session, data=data, actor=EDITOR, page_id=page.id)
    pages.discard_draft(db_session, page_id=page.id)
    db_session.commit()
    assert page.draft_number is None and page.body == "Старый" and len(page.revisions) == 2


def test_a_draft_is_published_at_its_scheduled_time_by_the_job(app, db_session):
    page = make_page(db_session, title="Акции лета", body="Скоро")
    data = pages.PageData(title="Акции лета", slug=page.slug, body="Скидки до 30 %", is_published=True)
    with time_machine.travel(utc(2026, 6, 1, 9), tick=False):
        pages.save_page(db_session, data=data, actor=EDITOR, page_id=page.id)
        with pytest.raises(ValidationError, match="в будущем"):
            pages.schedule_draft(db_session, page_id=page.id, publish_at=utc(2026, 6, 1, 8))
        pages.schedule_draft(db_session, page_id=page.id, publish_at=utc(2026, 6, 1, 12))
        db_session.commit()
    result = app.test_cli_runner()
    with time_machine.travel(utc(2026, 6, 1, 11, 59), tick=False):
        assert "Опубликовано страниц: 0" in result.invoke(args=["content", "publish-due"]).output
    db_session.expire_all()
    assert page.body == "Скоро"
    with time_machine.travel(utc(2026, 6, 1, 12, 1), tick=False):
        output = result.invoke(args=["content", "publish-due"]).output
    assert "Опубликовано страниц: 1 (Акции лета)" in output
    db_session.expire_all()
    assert (page.body, page.draft_number, page.publish_at) == ("Скидки до 30 %", None, None)


def test_required_pages_cannot_be_deleted_unpublished_or_moved(db_session):
    page = make_page(db_session, title="Доставка и оплата", slug="delivery-and-payment", body="Текст")
    with pytest.raises(ValidationError, match="снять её с публикации нельзя"):
        pages.save_page(
            db_session,
            data=pages.PageData(title="Доставка", slug="delivery-and-payment", body="Текст", is_published=False),
            actor=EDITOR,
            page_id=page.id,
        )
    with pytest.raises(ValidationError, match="менять нельзя: /pages/delivery-and-payment"):
        pages.save_page(
            db_session,
            data=pages.PageData(title="Доставка", slug="dostavka", body="Текст", is_published=True),
            actor=EDITOR,
            page_id=page.id,
        )
    with pytest.raises(ValidationError, match="удалить её нельзя"):
        pages.check_can_delete(page)
    db_session.rollback()
    assert (page.slug, page.is_published, page.draft_number) == ("delivery-and-payment", True, None)
    pages.check_can_delete(make_page(db_session, title="Вакансии"))  # any other page may go
