"""Banners: shown in order inside their window, links only to a shop path or an http(s) URL, clicks counted."""

from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Banner
from app.services.content import banners
from app.services.errors import NotFound, ValidationError
from tests.content_helpers import EDITOR, make_banner, upload, utc

START, END = utc(2026, 7, 1, 6), utc(2026, 7, 8, 6)


def _shown(session) -> list[str]:  # noqa: ANN001
    return [b.title for b in banners.active_banners(session)]


def test_a_banner_shows_only_inside_its_window(db_session):
    make_banner(db_session, title="Лето", active_from=START, active_until=END)
    for moment, shown in [
        (START - timedelta(seconds=1), []),
        (START, ["Лето"]),
        (END - timedelta(seconds=1), ["Лето"]),
        (END, []),
    ]:
        with time_machine.travel(moment, tick=False):
            assert _shown(db_session) == shown, moment


def test_banners_show_in_position_order_and_switched_off_ones_never(db_session):
    make_banner(db_session, title="Третий", position=30)
    make_banner(db_session, title="Первый", position=10)
    make_banner(db_session, title="Выключен", position=5, is_active=False)
    make_banner(db_session, title="Второй", position=20, active_until=utc(2099, 1, 1))
    assert _shown(db_session) == ["Первый", "Второй", "Третий"]


def test_up_and_down_reorder_and_renumber(db_session):
    a, b, c = (make_banner(db_session, title=t, position=p) for t, p in (("A", 5), ("B", 5), ("C", 70)))
    banners.move_banner(db_session, banner_id=c.id, step=-1)
    db_session.commit()
    assert _shown(db_session) == ["A", "C", "B"]
    assert [b.position for b in banners.active_banners(db_session)] == [10, 20, 30]
    banners.move_banner(db_session, banner_id=a.id, step=-1)  # already first: stays
    banners.move_banner(db_session, banner_id=a.id, step=1)
    db_session.commit()
    assert _shown(db_session) == ["C", "A", "B"]
    with pytest.raises(NotFound):
        banners.move_banner(db_session, banner_id=b.id + 100, step=1)


@pytest.mark.parametrize(
    "link",
    [
        "/catalog/vizitki",
        "/news/skidka?utm_source=banner#top",
        "https://pechatnydvor.ru/akcii",
        "http://example.ru:8080/path",
        "",
    ],
)
def test_allowed_links(db_session, link):
    assert make_banner(db_session, link=link).link == link


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        " javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/phish",
        "/\\evil.example",
        "\\\\evil.example",
        "https://pechatnydvor.ru@evil.example/",
        "ftp://files.example.ru/",
        "mailto:zakaz@pechatnydvor.ru",
        "http:evil.example",
        "https://",
        "catalog/vizitki",
        "/catalog/viz itki",
        "/catalog\n/vizitki",
        "https://example.ru:99999/",
        "/" + "a" * 500,
    ],
)
def test_other_links_are_refused_and_nothing_is_stored(db_session, link):
    with pytest.raises(ValidationError, match="Ссылка"):
        banners.save_banner(
            db_session,
            data=banners.BannerData(title="Баннер", alt_text="Описание", link=link),
            actor=EDITOR,
            image=upload(),
        )
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Banner)) == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"alt_text": " "}, "Текст для незрячих"),
        ({"title": ""}, "Заполните поле «Название»"),
        ({"active_from": END, "active_until": START}, "Окончание показа должно быть позже начала"),
        ({"position": 10_000}, "Порядок"),
    ],
)
def test_bad_banners_are_refused(db_session, fields, message):
    data = {"title": "Баннер", "alt_text": "Описание"} | fields
    with pytest.raises(ValidationError, match=message):
        banners.save_banner(db_session, data=banners.BannerData(**data), actor=EDITOR, image=upload())


def test_a_new_banner_needs_an_image(db_session):
    with pytest.raises(ValidationError, match="Загрузите изображение баннера"):
        banners.save_banner(db_session, data=banners.BannerData(title="Б", alt_text="Б"), actor=EDITOR)


def test_following_a_banner_gives_its_own_link_and_counts_while_shown(db_session):
    banner = make_banner(db_session, link="https://pechatnydvor.ru/akcii", active_until=END)
    other = make_banner(db_session, title="Другой", link="/catalog/nakleyki")
    with time_machine.travel(START, tick=False):
        assert banners.follow_banner(db_session, banner.id) == "https://pechatnydvor.ru/akcii"
        assert banners.follow_banner(db_session, banner.id) == "https://pechatnydvor.ru/akcii"
        assert banners.follow_banner(db_session, other.id) == "/catalog/nakleyki"
        db_session.commit()
    with time_machine.travel(END, tick=False):  # no longer shown: still goes there, not counted
        assert banners.follow_banner(db_session, banner.id) == "https://pechatnydvor.ru/akcii"
        db_session.commit()
    db_session.expire_all()
    assert (banner.clicks, other.clicks) == (2, 1)


def test_a_banner_without_a_link_or_with_a_tampered_one_goes_nowhere(db_session):
    plain = make_banner(db_session, link="")
    tampered = make_banner(db_session, title="Подменённый")
    db_session.execute(sa.update(Banner).where(Banner.id == tampered.id).values(link="javascript:alert(1)"))
    db_session.commit()
    for banner_id in (plain.id, tampered.id, tampered.id + 100):
        with pytest.raises(NotFound):
            banners.follow_banner(db_session, banner_id)
    db_session.expire_all()
    assert tampered.clicks == 0


def test_mobile_variant_can_be_added_and_removed(db_session):
    banner = make_banner(db_session, mobile=True)
    assert banner.mobile_image is not None and banner.mobile_image.width == 960
    banners.save_banner(
        db_session,
        data=banners.BannerData(title=banner.title, alt_text=banner.alt_text, link=banner.link),
        actor=EDITOR,
        banner_id=banner.id,
        remove_mobile_image=True,
    )
    db_session.commit()
    assert banner.mobile_image is None
