"""Demo site content: the required pages («О компании», «Контакты», «Доставка и оплата», the personal-data
policy), news, promotions and banners. The texts promise only what the shop does; delivery prices come from the
settings (the marker in «Доставка и оплата»).

Loaded through the same services the back office uses (so the texts are sanitised and revisioned);
pictures are drawn with Pillow. Idempotent: what exists (by address or title) is left alone.
"""

from __future__ import annotations

import io
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageDraw, ImageFont
from sqlalchemy.orm import Session

from app.models import Banner, NewsItem, NewsKind, Page, Product, PromoCode
from app.services.actors import Actor
from app.services.content import banners as content_banners
from app.services.content import news as content_news
from app.services.content import pages as content_pages
from app.services.content.media import ImageUpload
from app.services.orders import promises
from app.services.shoptime import now

ABOUT = """\
«Печатный двор» — типография полного цикла в Москве. С 2009 года печатаем визитки, листовки, наклейки \
и широкоформатные баннеры для небольших компаний, магазинов, кафе и частных мастеров.

## Что мы умеем

- **Цифровая печать** — тиражи от 50 штук, готовность от одного рабочего дня.
- **Офсетная печать** — тиражи от 1 000 штук по цене ниже цифровой.
- **Широкоформатная печать** — баннеры, сетка, плёнка шириной до 3,2 м.
- **Постпечатная обработка** — ламинация, скругление углов, выборочный УФ-лак, контурная резка, люверсы.

## Почему нам доверяют

| | |
|---|---|
| Заказов в год | более 12 000 |
| Проверка макета | бесплатно, до запуска в печать |
| Срок хранения заказа | 30 дней после готовности |

Каждый макет перед печатью смотрит препресс-инженер: проверяем размер, вылеты под обрез, разрешение \
и цветовую модель. Если что-то не так — напишем и поможем исправить, прежде чем печатать.

## Реквизиты

ООО «Печатный двор», ИНН 7701234567, КПП 770101001, ОГРН 1097746000000.
"""

CONTACTS = """\
## Адрес

**Москва, ул. Полиграфическая, д. 12, стр. 3**, 1-й этаж, вход со двора.
10 минут пешком от метро «Электрозаводская», выход № 2. Для клиентов есть парковка на 5 машин у входа.

## Телефон и почта

- Телефон: [+7 (495) 123-45-67](tel:+74951234567)
- Email: [zakaz@pechatnydvor.ru](mailto:zakaz@pechatnydvor.ru) — заказы и макеты
- Бухгалтерия: [buh@pechatnydvor.ru](mailto:buh@pechatnydvor.ru) — счета и закрывающие документы

## Часы работы

| День | Приём и выдача заказов |
|:--|:--|
| Понедельник — пятница | 9:00 — 20:00 |
| Суббота | 10:00 — 16:00 |
| Воскресенье | выходной |

Заказы на сайте принимаем круглосуточно. Оформленные после 18:00 уходят в работу на следующий рабочий день.
"""

DELIVERY = """\
Забрать заказ можно самостоятельно или заказать доставку. Стоимость доставки видна при оформлении заказа.

## Способы получения

[[цены доставки]]

Самовывоз — в день готовности, в часы работы типографии. Курьер по Москве привозит заказ на следующий \
рабочий день после готовности и звонит заранее. Почтой России отправляем по всей стране.

## Оплата

- **При получении** — наличными или картой в типографии либо курьеру.
- **Безналичный расчёт по счёту** — для организаций и ИП. Счёт выставляется при оформлении заказа: он на \
странице заказа в личном кабинете, в разделе «Документы»; заказ уходит в печать после поступления оплаты. \
Закрывающие документы появляются там же, когда заказ получен.

Если заказ не подошёл из-за нашей ошибки — перепечатаем бесплатно.
"""

PRIVACY = """\
ООО «Печатный двор» (ИНН 7701234567) обрабатывает персональные данные покупателей по Федеральному закону \
№ 152-ФЗ «О персональных данных».

## Какие данные мы обрабатываем

- имя, адрес электронной почты и телефон — для оформления, выполнения и доставки заказа;
- адрес доставки — если вы выбрали доставку;
- реквизиты компании — если вы заказываете от имени организации;
- загруженные макеты — только для печати вашего заказа.

## Рассылка

Новости и акции присылаем только тем, кто подписался и подтвердил подписку по ссылке из письма. \
Отписаться можно в любой момент — ссылкой в письме или в профиле.

## Ваши права

Вы можете узнать, какие данные о вас хранятся, исправить их или попросить удалить: напишите на \
[zakaz@pechatnydvor.ru](mailto:zakaz@pechatnydvor.ru). Ответим в течение 10 рабочих дней.
"""

PAGES = [
    ("about", "О компании", ABOUT, "Типография «Печатный двор» в Москве", False, 30),
    ("contacts", "Контакты", CONTACTS, "Контакты типографии «Печатный двор»: адрес, телефон, часы работы", True, 20),
    (
        "delivery-and-payment",
        "Доставка и оплата",
        DELIVERY,
        "Доставка по Москве и России, самовывоз, оплата при получении или по счёту",
        True,
        10,
    ),
    (
        "privacy",
        "Политика обработки персональных данных",
        PRIVACY,
        "Политика обработки персональных данных типографии «Печатный двор»",
        False,
        40,
    ),
]

# (slug, kind, title, teaser, body, days from now to publish, days to expire, promo code, (cover colours, text))
NEWS = [
    (
        "kraft-vizitki",
        NewsKind.news,
        "Новинка: визитки на крафт-картоне 350 г/м²",
        "Плотный натуральный картон с фактурой — для кофеен, мастерских и эко-брендов.",
        "Мы добавили в каталог **крафт-картон 350 г/м²**. Он плотнее обычной мелованной бумаги, приятен на ощупь "
        "и хорошо держит форму.\n\n"
        "- печать в одну или две стороны;\n- скругление углов и матовая ламинация;\n"
        "- тираж от 100 штук, готовность за 2 рабочих дня.\n\n"
        "Выберите бумагу «Крафт 350 г/м²» на странице [визиток](/product/vizitki-standart).",
        -12,
        None,
        None,
        ((140, 98, 57), (205, 170, 125), "Крафт"),
    ),
    (
        "grafik-v-prazdniki",
        NewsKind.news,
        "График работы в новогодние праздники",
        "С 31 декабря по 8 января типография отдыхает; заказы с сайта принимаем как обычно.",
        "## Как мы работаем\n\n| Дата | Режим |\n|:--|:--|\n| 30 декабря | 9:00 — 16:00 |\n"
        "| 31 декабря — 8 января | выходные |\n| 9 января | обычный режим |\n\n"
        "Заказы, оформленные в праздники, запустим в печать 9 января в порядке очереди.",
        -3,
        None,
        None,
        ((33, 37, 41), (13, 110, 253), "9 января"),
    ),
    (
        "skidka-10-na-pervyy-zakaz",
        NewsKind.promo,
        "Скидка 10 % на первый заказ",
        "Введите промокод WELCOME10 при оформлении первого заказа от 1 000 ₽.",
        "Первый заказ в «Печатном дворе» — со скидкой **10 %**. Промокод действует на любую продукцию "
        "при сумме заказа от 1 000 ₽, один раз для каждого покупателя.\n\n"
        "Введите **WELCOME10** в поле «Промокод» на странице оформления заказа.",
        -20,
        None,
        "WELCOME10",
        ((220, 53, 69), (253, 126, 20), "−10 %"),
    ),
    (
        "minus-500-ot-3000",
        NewsKind.promo,
        "Минус 500 ₽ на заказ от 3 000 ₽",
        "Промокод MINUS500 — для любых заказов от 3 000 ₽, пока не закончатся 100 использований.",
        "Собираете большой заказ — листовки к открытию, визитки всей команде, баннер на фасад? "
        "Промокод **MINUS500** уменьшит сумму на 500 ₽.\n\n"
        "Промокод действует на заказы от 3 000 ₽; общее число использований ограничено.",
        -1,
        30,
        "MINUS500",
        ((25, 135, 84), (32, 201, 151), "−500 ₽"),
    ),
    (
        "kalendari-2027",
        NewsKind.news,
        "Скоро: настенные и настольные календари на 2027 год",
        "Откроем приём заказов на календари через неделю.",
        "Готовим к запуску календари: квартальные, перекидные и настольные домики. Следите за новостями.",
        7,
        None,
        None,
        ((102, 16, 242), (214, 51, 132), "2027"),
    ),
]

# (title, alt, link, position, colours, headline, subline, product whose production time «{days}» stands for):
# a banner never promises a time the product page does not.
BANNERS = [
    (
        "Визитки от 790 ₽",
        "Визитки от 790 ₽ за 100 штук, готовность за {days} — перейти в каталог визиток",
        "/catalog/vizitki",
        10,
        ((13, 110, 253), (102, 16, 242)),
        "Визитки от 790 ₽",
        "100 штук за {days} · бесплатная проверка макета",
        "vizitki-standart",
    ),
    (
        "Скидка 10 % на первый заказ",
        "Скидка 10 % на первый заказ по промокоду WELCOME10 — подробнее об акции",
        "/news/skidka-10-na-pervyy-zakaz",
        20,
        ((220, 53, 69), (253, 126, 20)),
        "−10 % на первый заказ",
        "Промокод WELCOME10 · заказы от 1 000 ₽",
        None,
    ),
    (
        "Баннеры за {days}",
        "Широкоформатные баннеры за {days}, люверсы и проклейка — выбрать баннер",
        "/product/banner",
        30,
        ((25, 135, 84), (13, 202, 240)),
        "Баннеры за {days}",
        "Ткань, литой баннер, сетка · люверсы по периметру",
        "banner",
    ),
]

DEMO_ACTOR = Actor.system("демо-данные")


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    path = current_app.config["PDF_FONT_BOLD" if bold else "PDF_FONT_REGULAR"]
    try:
        return ImageFont.truetype(path, size)
    except OSError:
        return ImageFont.load_default(size)  # type: ignore[return-value]


def _fitted(draw: ImageDraw.ImageDraw, text: str, size: int, width: int, bold: bool) -> ImageFont.FreeTypeFont:
    """The font at `size`, or smaller until the text fits the width."""
    font = _font(size, bold)
    while size > 10 and draw.textlength(text, font=font) > width:
        size = size * 9 // 10
        font = _font(size, bold)
    return font


def demo_picture(size: tuple[int, int], colours: tuple, headline: str = "", subline: str = "") -> bytes:
    """A gradient picture with a headline, as PNG bytes."""
    width, height = size
    start, end = colours
    img = Image.new("RGB", size, start)
    draw = ImageDraw.Draw(img)
    for x in range(width):
        t = x / max(1, width - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(start, end, strict=True))
        draw.line([(x, 0), (x, height)], fill=colour)
    for i in range(6):
        r = height // 2 + i * height // 5
        draw.ellipse([width - r, height - r // 2 - i * 30, width + r, height + r], outline=(255, 255, 255), width=2)
    left, room = round(width * 0.06), round(width * 0.8)
    if headline:
        font = _fitted(draw, headline, height // 5, room, True)
        draw.text((left, round(height * 0.28)), headline, font=font, fill="white")
    if subline:
        font = _fitted(draw, subline, height // 13, room, False)
        draw.text((left, round(height * 0.58)), subline, font=font, fill="white")
    buffer = io.BytesIO()
    img.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def load_demo_content(session: Session) -> str:
    pages = news = banners = 0
    for slug, title, body, seo_title, in_header, position in PAGES:
        if session.scalar(sa.select(Page.id).where(Page.slug == slug)) is None:
            data = content_pages.PageData(
                title=title,
                slug=slug,
                body=body,
                seo_title=seo_title,
                is_published=True,
                show_in_header=in_header,
                position=position,
            )
            content_pages.save_page(session, data=data, actor=DEMO_ACTOR)
            pages += 1
    moment = now().replace(second=0, microsecond=0)
    for slug, kind, title, teaser, body, publish_in, expire_in, code, (start, end, label) in NEWS:
        if session.scalar(sa.select(NewsItem.id).where(NewsItem.slug == slug)) is not None:
            continue
        promo_id = session.scalar(sa.select(PromoCode.id).where(PromoCode.code == code)) if code else None
        picture = demo_picture((1200, 675), (start, end), label)
        content_news.save_news_item(
            session,
            data=content_news.NewsData(
                kind=kind,
                title=title,
                slug=slug,
                teaser=teaser,
                body=body,
                publish_at=moment + timedelta(days=publish_in),
                expire_at=moment + timedelta(days=expire_in) if expire_in else None,
                is_published=True,
                promo_code_id=promo_id,
            ),
            actor=DEMO_ACTOR,
            cover=ImageUpload(io.BytesIO(picture), f"{slug}.png"),
        )
        news += 1
    for title, alt, link, position, colours, headline, subline, product_slug in BANNERS:
        days = session.scalar(sa.select(Product.production_days).where(Product.slug == product_slug))
        if product_slug is not None and days is None:
            continue  # no product to take the time from (and to link to): no banner promising it
        phrase = promises.working_days_phrase(days) if days is not None else ""
        title, alt, headline, subline = (t.replace("{days}", phrase) for t in (title, alt, headline, subline))
        if session.scalar(sa.select(Banner.id).where(Banner.title == title)) is not None:
            continue
        desktop = demo_picture((1920, 480), colours, headline, subline)
        mobile = demo_picture((960, 720), colours, headline, subline.split(" · ")[0])
        content_banners.save_banner(
            session,
            data=content_banners.BannerData(title=title, alt_text=alt, link=link, position=position),
            actor=DEMO_ACTOR,
            image=ImageUpload(io.BytesIO(desktop), f"banner-{position}.png"),
            mobile_image=ImageUpload(io.BytesIO(mobile), f"banner-{position}-mobile.png"),
        )
        banners += 1
    session.flush()
    return f"Сайт: страниц {pages}, новостей и акций {news}, баннеров {banners}."
