"""In a real browser: stored XSS payloads in every content field run nothing, and the banner carousel works
with the keyboard alone."""

import pytest

from app.models import NewsKind, PromoCode, PromoKind
from app.services.content import banners, media
from tests.content_helpers import EDITOR, XSS_PAYLOADS, make_banner, make_item, make_page, upload

pytestmark = pytest.mark.browser

# What the browser sees: script elements without a file, on* attributes, script URLs, style attributes.
DOM_CHECK = """() => {
  const found = [];
  document.querySelectorAll("script:not([src])").forEach(() => found.push("inline script"));
  document.querySelectorAll("iframe, object, embed, svg, math, base, style").forEach(e => found.push(e.tagName));
  document.querySelectorAll("*").forEach(e => {
    for (const a of e.attributes) {
      const value = a.value.replace(/[\\u0000-\\u0020]/g, "").toLowerCase();
      if (a.name.startsWith("on")) found.push(e.tagName + " " + a.name);
      if (a.name === "style") found.push(e.tagName + " style");
      if (["href", "src", "action", "formaction", "data"].includes(a.name) &&
          (value.startsWith("javascript:") || value.startsWith("data:"))) found.push(e.tagName + " " + a.name);
    }
  });
  return found;
}"""


def test_stored_xss_payloads_run_nothing_in_the_browser(app, live_server, page, db_session):
    promo = PromoCode(code="XSS", kind=PromoKind.fixed, value=100)
    db_session.add(promo)
    db_session.commit()
    payloads = " ".join(XSS_PAYLOADS)
    media.upload_image(db_session, upload=upload(), actor=EDITOR)  # image 1, which a payload names
    make_item(
        db_session,
        title=f"Акция {XSS_PAYLOADS[2]}",
        slug="xss-item",
        teaser=f"Анонс {payloads}",
        body="\n\n".join(XSS_PAYLOADS),
        kind=NewsKind.promo,
        promo_code_id=promo.id,
        cover=True,
    )
    make_page(
        db_session,
        title=f"Страница {payloads}",
        slug="xss",
        body="\n\n".join(XSS_PAYLOADS),
        seo_title=f"SEO {payloads}",
        seo_description=f"Описание {payloads}",
        show_in_header=True,
    )
    for n, payload in enumerate(XSS_PAYLOADS[:4]):
        banners.save_banner(
            db_session,
            data=banners.BannerData(title=f"Б {payload}", alt_text=f"Alt {payload}", position=n, link="/news/"),
            actor=EDITOR,
            image=upload(),
        )
    db_session.commit()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in ("/", "/news/", "/news/?kind=promo", "/pages/xss", "/news/xss-item"):
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("load")
        assert page.evaluate(DOM_CHECK) == [], path
        assert page.locator("h1").count() >= 1
    page.goto(f"{live_server}/pages/xss")
    assert "<script>alert('xss')</script>" not in page.locator("[data-testid=content-body]").inner_html()
    page.wait_for_timeout(300)
    assert dialogs == []
    assert page.js_errors == []  # a blocked inline script would be reported here as a CSP violation


def test_the_carousel_works_with_the_keyboard(app, live_server, page, db_session):
    for n, title in enumerate(["Визитки", "Листовки", "Баннеры"], start=1):
        make_banner(db_session, title=title, position=n * 10, link=f"/catalog/{n}")
    page.goto(f"{live_server}/")
    active_alt = "() => document.querySelector('.carousel-item.active img').alt"
    shows = "expected => document.querySelector('.carousel-item.active img').alt === expected"
    assert page.evaluate(active_alt) == "Визитки: описание картинки"
    next_button = page.get_by_role("button", name="Следующий слайд")
    next_button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(shows, arg="Листовки: описание картинки")
    page.keyboard.press("ArrowRight")  # Bootstrap's own keyboard handling, the carousel has focus inside
    page.wait_for_function(shows, arg="Баннеры: описание картинки")
    page.keyboard.press("ArrowLeft")
    page.wait_for_function(shows, arg="Листовки: описание картинки")
    page.get_by_role("button", name="Слайд 1: Визитки: описание картинки").focus()
    page.keyboard.press("Enter")
    page.wait_for_function(shows, arg="Визитки: описание картинки")
    # The slide's link is reachable by Tab and leads through the click counter to the banner's own link.
    page.locator(".carousel-item.active a").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/catalog/1")
    db_session.expire_all()
    from app.models import Banner

    assert {b.title: b.clicks for b in db_session.query(Banner)} == {"Визитки": 1, "Листовки": 0, "Баннеры": 0}
    assert page.js_errors == []
