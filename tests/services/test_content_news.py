"""News and promotions: visible by time without any job, promotions end with their promo code, pagination,
and the newsletter: once per item, one message per subscribed customer, never to others."""

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import NewsItem, NewsKind, Notification, PromoCode, PromoKind
from app.services.content import news as content_news
from app.services.content import newsletter as content_newsletter
from app.services.errors import NotFound, ValidationError
from app.services.messaging import mail, outbox
from tests.content_helpers import EDITOR, SECOND_EDITOR, make_item, subscriber, utc

PUBLISH = utc(2026, 5, 4, 7)  # 10:00 in Moscow
EXPIRE = utc(2026, 5, 10, 21)  # 11.05 00:00 in Moscow


def _visible_slugs(session) -> list[str]:  # noqa: ANN001
    return [i.slug for i in content_news.published_items(session).items]


def test_a_scheduled_item_appears_at_publish_at_and_disappears_at_expire_at(db_session):
    item = make_item(db_session, title="Скидки в мае", publish_at=PUBLISH, expire_at=EXPIRE)
    for moment, visible in [
        (PUBLISH - timedelta(seconds=1), False),
        (PUBLISH, True),
        (EXPIRE - timedelta(seconds=1), True),
        (EXPIRE, False),
        (EXPIRE + timedelta(days=30), False),
    ]:
        with time_machine.travel(moment, tick=False):
            assert (_visible_slugs(db_session) == [item.slug]) is visible, moment
            assert content_news.is_item_visible(db_session, item.id) is visible
            if visible:
                assert content_news.published_item(db_session, item.slug).id == item.id
            else:
                with pytest.raises(NotFound):
                    content_news.published_item(db_session, item.slug)


def test_a_draft_is_never_visible(db_session):
    draft = make_item(db_session, publish_at=utc(2026, 1, 1), is_published=False)
    with time_machine.travel(utc(2026, 6, 1), tick=False):
        assert _visible_slugs(db_session) == []
        assert content_news.item_state(draft) == "Черновик"


def test_item_state_tells_staff_where_an_item_stands(db_session):
    item = make_item(db_session, publish_at=PUBLISH, expire_at=EXPIRE)
    with time_machine.travel(PUBLISH - timedelta(hours=1), tick=False):
        assert content_news.item_state(item) == "Запланирована на 04.05.2026 10:00"
    with time_machine.travel(PUBLISH, tick=False):
        assert content_news.item_state(item) == "На сайте"
    with time_machine.travel(EXPIRE, tick=False):
        assert content_news.item_state(item) == "Снята с сайта 11.05.2026 00:00"


def _code(session, **fields) -> PromoCode:  # noqa: ANN001
    promo = PromoCode(code="MAY10", kind=PromoKind.percent, value=10, **fields)
    session.add(promo)
    session.commit()
    return promo


def test_a_promotion_ends_when_its_code_expires_in_the_shop_time_zone(db_session):
    promo = _code(db_session, valid_until=date(2026, 5, 31))
    item = make_item(db_session, kind=NewsKind.promo, publish_at=PUBLISH, promo_code_id=promo.id)
    with time_machine.travel(utc(2026, 5, 31, 20, 59), tick=False):  # 23:59 on the 31st in Moscow
        assert _visible_slugs(db_session) == [item.slug]
        assert content_news.promo_validity(promo) == "действует по 31 мая 2026 г. включительно"
    with time_machine.travel(utc(2026, 5, 31, 21, 0), tick=False):  # 1 June in Moscow
        assert _visible_slugs(db_session) == []
        assert content_news.current_promotions(db_session) == []
        assert content_news.item_state(item).startswith("Акция завершена: промокод MAY10")


@pytest.mark.parametrize("change", [{"is_active": False}, {"usage_limit": 5, "times_used": 5}])
def test_a_promotion_ends_when_its_code_is_switched_off_or_used_up(db_session, change):
    promo = _code(db_session, usage_limit=5 if "usage_limit" in change else None)
    item = make_item(db_session, kind=NewsKind.promo, publish_at=PUBLISH, promo_code_id=promo.id)
    with time_machine.travel(utc(2026, 5, 5), tick=False):
        assert [p.id for p in content_news.current_promotions(db_session)] == [item.id]
        for name, value in change.items():
            setattr(promo, name, value)
        db_session.commit()
        assert content_news.current_promotions(db_session) == []
        assert not content_news.is_item_visible(db_session, item.id)


def test_current_promotions_are_promotions_only_newest_first(db_session):
    make_item(db_session, title="Новость", publish_at=utc(2026, 5, 1))
    old = make_item(db_session, title="Старая акция", kind=NewsKind.promo, publish_at=utc(2026, 5, 1))
    new = make_item(db_session, title="Новая акция", kind=NewsKind.promo, publish_at=utc(2026, 5, 3))
    make_item(db_session, title="Будущая акция", kind=NewsKind.promo, publish_at=utc(2026, 6, 1))
    with time_machine.travel(utc(2026, 5, 5), tick=False):
        assert [p.id for p in content_news.current_promotions(db_session)] == [new.id, old.id]
        assert content_news.promo_validity(_code(db_session)) == "действует без ограничения срока"


def test_news_are_paginated_newest_first(db_session):
    items = [make_item(db_session, title=f"Новость {n:02}", publish_at=utc(2026, 4, n)) for n in range(1, 24)]
    with time_machine.travel(utc(2026, 5, 1), tick=False):
        first = content_news.published_items(db_session, page=1)
        third = content_news.published_items(db_session, page=3)
        assert (first.total, first.pages, len(first.items), len(third.items)) == (23, 3, 10, 3)
        assert [i.id for i in first.items] == [i.id for i in reversed(items)][:10]
        assert [i.id for i in third.items] == [items[2].id, items[1].id, items[0].id]
        with pytest.raises(NotFound):
            content_news.published_items(db_session, page=4)
        with pytest.raises(NotFound):
            content_news.published_items(db_session, page=0)
        assert content_news.published_items(db_session, kind=NewsKind.promo).total == 0


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"expire_at": PUBLISH}, "позже даты публикации"),
        ({"expire_at": PUBLISH - timedelta(days=1)}, "позже даты публикации"),
        ({"kind": "news", "promo_code_id": "promo"}, "только к акции"),
        ({"kind": "promo", "promo_code_id": 99999}, "Промокод не найден"),
        ({"kind": "ad"}, "новость или акция"),
        ({"teaser": "т" * 501}, "длиннее 500"),
        ({"title": ""}, "Заполните поле «Заголовок»"),
    ],
)
def test_bad_items_are_refused_and_nothing_is_stored(db_session, fields, message):
    if fields.get("promo_code_id") == "promo":
        fields["promo_code_id"] = _code(db_session).id
    data = {"kind": "news", "title": "Новость", "publish_at": PUBLISH} | fields
    with pytest.raises(ValidationError, match=message):
        content_news.save_news_item(db_session, data=content_news.NewsData(**data), actor=EDITOR)
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(NewsItem)) == 0


def test_cover_images_are_stored_resized(db_session):
    item = make_item(db_session, cover=True)
    cover = item.cover_image
    assert (cover.width, cover.height) == (2400, 1200)
    sizes = {v.variant.value: (v.width, v.height) for v in cover.variants}
    assert sizes == {"large": (1920, 960), "medium": (960, 480), "small": (480, 240)}


# ------------------------------------------------------------------------------------------------- newsletter


def _outbox(session) -> list[Notification]:  # noqa: ANN001
    return list(session.scalars(sa.select(Notification).order_by(Notification.id)))


def test_newsletter_queues_one_email_per_subscribed_customer_once(db_session):
    ivan = subscriber(db_session, "ivan@example.ru", name="Иван")
    olga = subscriber(db_session, "olga@example.ru")
    subscriber(db_session, "nope@example.ru", subscribed=False)
    subscriber(db_session, "blocked@example.ru", active=False)
    item = make_item(db_session, title="Новинка", publish_at=utc(2026, 5, 1))
    with time_machine.travel(utc(2026, 5, 2, 12), tick=False):
        count = content_newsletter.send_newsletter(db_session, item_id=item.id, actor=EDITOR)
        db_session.commit()
    assert count == 2
    rows = _outbox(db_session)
    assert [(n.recipient, n.customer_id) for n in rows] == [(ivan.email, ivan.id), (olga.email, olga.id)]
    assert {(n.event, n.channel.value, n.state.value) for n in rows} == {("newsletter", "email", "pending")}
    assert [n.payload for n in rows] == [{"item_id": item.id}] * 2
    assert [n.dedupe_key for n in rows] == [f"newsletter:{item.id}:{ivan.id}", f"newsletter:{item.id}:{olga.id}"]
    db_session.expire_all()
    assert (item.newsletter_sent_at, item.newsletter_sent_by_name, item.newsletter_recipients) == (
        utc(2026, 5, 2, 12),
        EDITOR.name,
        2,
    )
    subscriber(db_session, "late@example.ru")
    with pytest.raises(ValidationError, match="Рассылка уже отправлена 02.05.2026 15:00"):
        content_newsletter.send_newsletter(db_session, item_id=item.id, actor=SECOND_EDITOR)
    db_session.rollback()
    assert len(_outbox(db_session)) == 2


@pytest.mark.parametrize("state", ["draft", "scheduled", "expired"])
def test_newsletter_only_for_an_item_on_the_site(db_session, state):
    subscriber(db_session, "ivan@example.ru")
    fields = {
        "draft": {"is_published": False},
        "scheduled": {"publish_at": utc(2026, 6, 1)},
        "expired": {"expire_at": utc(2026, 5, 2)},
    }[state]
    item = make_item(db_session, **({"publish_at": utc(2026, 5, 1)} | fields))
    with (
        time_machine.travel(utc(2026, 5, 10), tick=False),
        pytest.raises(ValidationError, match="только то, что сейчас на сайте"),
    ):
        content_newsletter.send_newsletter(db_session, item_id=item.id, actor=EDITOR)
    db_session.rollback()
    db_session.expire_all()
    assert _outbox(db_session) == [] and item.newsletter_sent_at is None


def test_no_subscribers_means_nothing_sent_and_the_item_stays_sendable(db_session):
    subscriber(db_session, "nope@example.ru", subscribed=False)
    item = make_item(db_session, publish_at=utc(2026, 1, 1))
    with pytest.raises(ValidationError, match="Нет покупателей, подписанных на рассылку"):
        content_newsletter.send_newsletter(db_session, item_id=item.id, actor=EDITOR)
    db_session.rollback()
    db_session.expire_all()
    assert item.newsletter_sent_at is None


def test_newsletter_text_has_title_teaser_link_and_promo_code(app, db_session):
    ivan = subscriber(db_session, "ivan@example.ru", name="Иван Петров")
    promo = _code(db_session, valid_until=date(2026, 12, 31))
    item = make_item(
        db_session,
        title="Скидка <10 %> на визитки",
        teaser="Только в мае.\nУспейте!",
        kind=NewsKind.promo,
        promo_code_id=promo.id,
        slug="skidka-may",
        publish_at=utc(2026, 5, 1),
    )
    with time_machine.travel(utc(2026, 5, 2), tick=False):
        content_newsletter.send_newsletter(db_session, item_id=item.id, actor=EDITOR)
        db_session.commit()
        [message] = _outbox(db_session)
        subject, text, html = content_newsletter.render_newsletter(
            db_session, message, unsubscribe_url="http://shop.test/unsubscribe?t=a&b=1"
        )
    url = f"{app.config['SHOP_BASE_URL']}/news/skidka-may"
    assert subject == "Акция: Скидка <10 %> на визитки — Печатный двор"
    assert text.splitlines()[:5] == ["Здравствуйте, Иван Петров!", "", "Скидка <10 %> на визитки", "", "Только в мае."]
    assert "Промокод MAY10: действует по 31 декабря 2026 г. включительно." in text
    assert f"Подробнее: {url}" in text
    assert "Отписаться: http://shop.test/unsubscribe?t=a&b=1" in text
    assert "Скидка &lt;10 %&gt; на визитки" in html and "<10 %>" not in html
    assert "Только в мае.<br>Успейте!" in html
    assert f'href="{url}"' in html and 'href="http://shop.test/unsubscribe?t=a&amp;b=1"' in html
    assert ivan.email not in html  # the address is the envelope's business, not the text's


def test_newsletter_of_a_deleted_item_cannot_be_rendered(db_session):
    subscriber(db_session, "ivan@example.ru")
    item = make_item(db_session, publish_at=utc(2026, 1, 1))
    content_newsletter.send_newsletter(db_session, item_id=item.id, actor=EDITOR)
    db_session.commit()
    [message] = _outbox(db_session)
    message.payload = {"item_id": item.id + 1000}
    with pytest.raises(NotFound, match="удалена"):
        content_newsletter.render_newsletter(db_session, message)


@pytest.mark.postgres_only
def test_two_editors_sending_at_once_send_once(app, db_session, backend):
    """PostgreSQL: the second sender waits for the first one's row lock, then finds it sent."""
    import threading

    from app.extensions import db

    subscriber(db_session, "ivan@example.ru")
    item_id = make_item(db_session, publish_at=utc(2026, 1, 1)).id
    db_session.rollback()
    results: list[str] = []
    barrier = threading.Barrier(2)

    def send(actor) -> None:  # noqa: ANN001
        with app.app_context():
            session = db.session
            try:
                session.get(NewsItem, item_id)
                barrier.wait()
                content_newsletter.send_newsletter(session, item_id=item_id, actor=actor)
                session.commit()
                results.append("sent")
            except ValidationError:
                session.rollback()
                results.append("refused")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=send, args=(a,)) for a in (EDITOR, SECOND_EDITOR)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["refused", "sent"]
    assert len(_outbox(db_session)) == 1


def test_rendered_newsletter_travels_as_a_real_email(app, db_session, smtp_server):
    """What render_newsletter gives is a sendable email: both parts arrive intact through real SMTP."""

    subscriber(db_session, "olga@example.ru", name="Ольга")
    item = make_item(db_session, title="Новые форматы листовок", teaser="A5 и евро.", publish_at=utc(2026, 1, 1))
    content_newsletter.send_newsletter(db_session, item_id=item.id, actor=EDITOR)
    db_session.commit()
    [queued] = _outbox(db_session)
    subject, text, html = content_newsletter.render_newsletter(db_session, queued)
    mail.send_email(to=queued.recipient, subject=subject, text=text, html=html)
    [received] = smtp_server.messages
    assert received["Subject"] == "Новость: Новые форматы листовок — Печатный двор"
    assert received["To"] == "olga@example.ru"
    lines = smtp_server.mailbox.body(received).splitlines()
    assert lines[:5] == ["Здравствуйте, Ольга!", "", "Новые форматы листовок", "", "A5 и евро."]
    html_part = smtp_server.mailbox.body(received, "html")
    assert "Новые форматы листовок</h1>" in html_part and f"/news/{item.slug}" in html_part


def test_newsletter_goes_through_the_outbox_with_one_click_unsubscribe(app, db_session, smtp_server):
    """CMS «Отправить подписчикам» → outbox → real SMTP: the content, the unsubscribe link and headers."""

    olga = subscriber(db_session, "olga@example.ru", name="Ольга")
    item = make_item(db_session, title="Скидки на баннеры", teaser="Только в мае.", publish_at=utc(2026, 1, 1))
    content_newsletter.send_newsletter(db_session, item_id=item.id, actor=EDITOR)
    db_session.commit()
    assert outbox.deliver_due(db_session).sent == 1
    [received] = smtp_server.messages
    assert received["To"] == olga.email
    assert received["Subject"] == "Новость: Скидки на баннеры — Печатный двор"
    assert received["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = received["List-Unsubscribe"].strip("<>")
    text = smtp_server.mailbox.body(received)
    assert "Скидки на баннеры" in text and "Только в мае." in text and unsubscribe in text
    client = app.test_client()
    client.post(unsubscribe.split("127.0.0.1:5000", 1)[-1])
    db_session.expire_all()
    assert not olga.newsletter_subscribed
