"""Storefront content: pages linked from the header and footer, news with pagination, promotions on the home
page, the banner carousel, images of published content only, banner clicks, and stored XSS through every field."""

import re
from decimal import Decimal as D

import sqlalchemy as sa
import time_machine

from app.models import Banner, NewsKind, PromoCode, PromoKind
from app.seed import demo
from app.seed.demo_content import load_demo_content
from app.services.content import banners as content_banners
from tests.content_helpers import EDITOR, XSS_PAYLOADS, make_banner, make_item, make_page, upload, utc, xss_findings


def _html(client, url: str, status: int = 200) -> str:  # noqa: ANN001
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def test_published_pages_are_linked_from_header_and_footer(client, db_session):
    make_page(db_session, title="Доставка и оплата", show_in_header=True, position=1, seo_title="Доставка по России")
    make_page(db_session, title="О компании", position=2, seo_description="Типография в Москве с 2009 года")
    make_page(db_session, title="Секретный черновик", is_published=False)
    home = _html(client, "/")
    header = home.split("</nav>")[0]
    footer = home.split("<footer")[1]
    assert '/pages/dostavka-i-oplata">Доставка и оплата' in header and "/pages/o-kompanii" not in header
    assert "/pages/dostavka-i-oplata" in footer and '/pages/o-kompanii">О компании' in footer
    assert "Секретный черновик" not in home and '/news/">Новости и акции' in header
    page = _html(client, "/pages/dostavka-i-oplata")
    assert "<title>Доставка по России — Печатный двор</title>" in page
    about = _html(client, "/pages/o-kompanii")
    assert '<meta name="description" content="Типография в Москве с 2009 года">' in about
    _html(client, "/pages/sekretnyy-chernovik", 404)
    _html(client, "/pages/net-takoy", 404)


def test_demo_content_has_the_required_pages_news_promotions_and_banners(app, client, db_session):
    demo.load_vat_rates(db_session)
    demo.load_catalog(db_session)
    demo.load_promo_codes(db_session)
    load_demo_content(db_session)
    db_session.commit()
    assert load_demo_content(db_session) == "Сайт: страниц 0, новостей и акций 0, баннеров 0."  # idempotent
    for slug, text in [
        ("about", "Реквизиты"),
        ("contacts", "Часы работы"),
        ("delivery-and-payment", "Способы получения"),
        ("privacy", "152-ФЗ"),
    ]:
        assert text in _html(client, f"/pages/{slug}")
    # Only what the shop does: no e-document exchange, no delivery zones; the prices are the settings'.
    delivery = _html(client, "/pages/delivery-and-payment")
    assert "ЭДО" not in delivery and "за МКАД" not in delivery and "[[" not in delivery
    assert "<td>Курьер</td><td>400,00&nbsp;₽, бесплатно при заказе от 5&nbsp;000,00&nbsp;₽</td>" in delivery
    assert "<td>Почта России</td><td>350,00&nbsp;₽</td>" in delivery
    app.config["DELIVERY_PRICE_POST"] = D("390.00")
    try:
        assert "<td>Почта России</td><td>390,00&nbsp;₽</td>" in _html(client, "/pages/delivery-and-payment")
    finally:
        app.config["DELIVERY_PRICE_POST"] = D("350.00")
    contacts = _html(client, "/pages/contacts")
    assert "ул. Полиграфическая" in contacts and "<table>" in contacts and 'href="tel:+74951234567"' in contacts
    home = _html(client, "/")
    assert home.count('data-testid="banner"') == 3
    assert "WELCOME10" in home and "MINUS500" in home
    assert "kalendari-2027" not in _html(client, "/news/")  # scheduled a week ahead


def test_news_list_paginates_and_filters_by_kind(client, db_session):
    for n in range(1, 13):
        make_item(db_session, title=f"Новость номер {n:02}", publish_at=utc(2026, 3, n))
    make_item(db_session, title="Акция месяца", kind=NewsKind.promo, publish_at=utc(2026, 3, 20))
    with time_machine.travel(utc(2026, 4, 1), tick=False):
        first = _html(client, "/news/")
        second = _html(client, "/news/?page=2")
        promos = _html(client, "/news/?kind=promo")
        _html(client, "/news/?page=3", 404)
        _html(client, "/news/?page=0", 404)
        assert first.count('data-testid="news-card"') == 10 and second.count('data-testid="news-card"') == 3
        assert "Акция месяца" in first and "Новость номер 12" in first and "Новость номер 02" not in first
        assert "Новость номер 01" in second and 'rel="prev"' in second and 'rel="next"' in first
        assert promos.count('data-testid="news-card"') == 1 and 'aria-current="page">Акции' in promos
        assert "1 марта 2026 г." in second


def test_empty_news_list_says_so(client):
    assert "Новостей пока нет." in _html(client, "/news/")
    assert "Сейчас акций нет." in _html(client, "/news/?kind=promo")


def test_scheduled_item_page_appears_and_expires_on_time(client, db_session):
    make_item(db_session, title="Майская новость", publish_at=utc(2026, 5, 4, 7), expire_at=utc(2026, 5, 10, 21))
    url = "/news/mayskaya-novost"
    with time_machine.travel(utc(2026, 5, 4, 6, 59), tick=False):
        _html(client, url, 404)
        assert "Майская новость" not in _html(client, "/news/")
    with time_machine.travel(utc(2026, 5, 4, 7), tick=False):
        page = _html(client, url)
        assert '<h1 class="h2">Майская новость</h1>' in page and "до 11.05.2026 00:00" in page
    with time_machine.travel(utc(2026, 5, 10, 21), tick=False):
        _html(client, url, 404)


def test_home_shows_current_promotions_with_their_code_validity(client, db_session):
    promo = PromoCode(code="LETO", kind=PromoKind.fixed, value=300, valid_until=utc(2026, 8, 31).date())
    db_session.add(promo)
    db_session.commit()
    make_item(
        db_session, title="Лето со скидкой", kind=NewsKind.promo, promo_code_id=promo.id, publish_at=utc(2026, 6, 1)
    )
    make_item(db_session, title="Обычная новость", publish_at=utc(2026, 6, 1))
    with time_machine.travel(utc(2026, 7, 1), tick=False):
        home = _html(client, "/")
        block = home.split('data-testid="promotions"')[1]
        assert "Лето со скидкой" in block and "Обычная новость" not in block
        assert "LETO" in block and "действует по 31 августа 2026 г. включительно" in block
    with time_machine.travel(utc(2026, 9, 1), tick=False):
        home = _html(client, "/")
        assert 'data-testid="promotions"' not in home and "LETO" not in home
        _html(client, "/news/leto-so-skidkoy", 404)


def test_carousel_shows_banners_in_order_inside_their_window(client, db_session):
    make_banner(db_session, title="Второй", position=20, mobile=True)
    make_banner(db_session, title="Первый", position=10, active_from=utc(2026, 7, 1), active_until=utc(2026, 7, 8))
    with time_machine.travel(utc(2026, 6, 30), tick=False):
        home = _html(client, "/")
        assert home.count('data-testid="banner"') == 1 and "carousel-control-next" not in home
    with time_machine.travel(utc(2026, 7, 2), tick=False):
        home = _html(client, "/")
        alts = re.findall(r'class="d-block w-100 banner-image[^"]*" alt="([^"]+)"', home)
        assert alts == ["Первый: описание картинки", "Второй: описание картинки"]
        assert 'data-bs-slide="next"' in home and "Следующий слайд" in home
        assert 'media="(max-width: 575.98px)"' in home  # the mobile variant of the second banner
        assert 'aria-roledescription="карусель"' in home
    with time_machine.travel(utc(2026, 7, 8), tick=False):
        assert _html(client, "/").count('data-testid="banner"') == 1


def test_banner_click_redirects_only_to_its_own_link_and_counts(client, db_session):
    banner = make_banner(db_session, link="https://partner.example.ru/page?x=1")
    response = client.get(f"/banners/{banner.id}/go?next=https://evil.example/&url=//evil.example")
    assert response.status_code == 302 and response.headers["Location"] == "https://partner.example.ru/page?x=1"
    db_session.expire_all()
    assert banner.clicks == 1
    assert client.get(f"/banners/{banner.id + 1}/go").status_code == 404
    db_session.execute(sa.update(Banner).where(Banner.id == banner.id).values(link="//evil.example"))
    db_session.commit()
    assert client.get(f"/banners/{banner.id}/go").status_code == 404


def test_media_serves_images_of_published_content_only(client, db_session, catalog, customer):
    from tests.factories import place_order

    item = make_item(db_session, cover=True, publish_at=utc(2026, 1, 1))
    draft = make_item(db_session, cover=True, publish_at=utc(2026, 1, 1), is_published=False)
    order = place_order(db_session, customer, catalog.cards)
    with client.get(f"/media/{item.cover_image_id}/medium") as response:
        assert response.status_code == 200 and response.mimetype == "image/jpeg"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.data.startswith(b"\xff\xd8\xff")
    assert client.get(f"/media/{draft.cover_image_id}/medium").status_code == 404
    assert client.get(f"/media/{order.lines[0].layout_file_id}/large").status_code == 404
    assert client.get(f"/media/{item.cover_image_id}/huge").status_code == 404


def test_every_field_with_stored_xss_renders_harmless(client, db_session):
    """Each payload through every content field, then every page that shows them is checked."""
    promo = PromoCode(code="XSS", kind=PromoKind.fixed, value=100)
    db_session.add(promo)
    db_session.commit()
    for n, payload in enumerate(XSS_PAYLOADS):
        make_page(
            db_session,
            title=f"Страница {n} {payload}",
            slug=f"xss-{n}",
            body=f"Текст {payload}\n\n**{payload}**\n\n| {payload} |\n|---|\n| {payload} |",
            seo_title=f"SEO {payload}",
            seo_description=f"Описание {payload}",
            show_in_header=n < 3,
        )
        make_item(
            db_session,
            title=f"Акция {n} {payload}",
            slug=f"xss-item-{n}",
            teaser=f"Анонс {payload}",
            body=f"{payload}\n\n[ссылка]({payload})",
            seo_title=f"SEO {payload}",
            seo_description=f"Описание {payload}",
            kind=NewsKind.promo,
            promo_code_id=promo.id,
        )
        content_banners.save_banner(
            db_session,
            data=content_banners.BannerData(title=f"Баннер {payload}", alt_text=f"Alt {payload}", position=n),
            actor=EDITOR,
            image=upload(),
        )
        db_session.commit()
    urls = ["/", "/news/", "/news/?page=2", "/news/?page=3", "/news/?kind=promo"]
    urls += [f"/pages/xss-{n}" for n in range(len(XSS_PAYLOADS))]
    urls += [f"/news/xss-item-{n}" for n in range(len(XSS_PAYLOADS))]
    for url in urls:
        html = _html(client, url)
        assert xss_findings(html, page=True) == [], url  # payloads may remain as visible text, never as markup
