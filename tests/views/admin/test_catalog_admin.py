"""Staff edit the catalog in the back office; the storefront shows the change; bad input changes nothing."""

import sqlalchemy as sa

from app.models import PriceTier, PromoCode
from tests.factories import login_staff, make_staff


def test_manager_adds_a_price_tier_that_the_shop_then_offers(app, staff_client, client, db_session, catalog):
    login_staff(staff_client, make_staff(app, "Manager"))
    response = staff_client.post(
        "/admin/pricetierview/add", data={"product": catalog.cards.id, "quantity": "300", "price": "1390.00"}
    )
    assert response.status_code == 302
    page = client.get("/product/vizitki-standart").get_data(as_text=True)
    assert '<option value="300"' in page
    data = client.get(f"/api/price/vizitki-standart?quantity=300&{_opts(catalog)}").get_json()
    assert data["total"] == "1390.00"


def _opts(catalog) -> str:
    return "&".join(f"option={i}" for i in catalog.defaults(catalog.cards))


def test_invalid_price_is_refused_with_a_message(app, staff_client, db_session, catalog):
    login_staff(staff_client, make_staff(app, "Manager"))
    response = staff_client.post(
        "/admin/pricetierview/add", data={"product": catalog.cards.id, "quantity": "300", "price": "-5"}
    )
    assert "Цена должна быть больше нуля" in response.get_data(as_text=True)
    count = db_session.scalar(sa.select(sa.func.count()).select_from(PriceTier).where(PriceTier.quantity == 300))
    assert count == 0


def test_promo_code_is_stored_upper_case_and_percent_is_capped(app, staff_client, db_session):
    login_staff(staff_client, make_staff(app, "Manager"))
    form = {"code": "spring25", "kind": "percent", "value": "25", "min_order_total": "0", "is_active": "y"}
    assert staff_client.post("/admin/promocodeview/add", data=form).status_code == 302
    assert db_session.scalar(sa.select(PromoCode.code)) == "SPRING25"
    response = staff_client.post(
        "/admin/promocodeview/add", data=form | {"code": "TOOMUCH", "value": "150"}, follow_redirects=True
    )
    assert "Процент скидки не может быть больше 100." in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PromoCode)) == 1


def test_unticking_in_sale_hides_the_product_from_the_shop(app, staff_client, client, catalog):
    login_staff(staff_client, make_staff(app, "Manager"))
    assert client.get("/product/nakleyki").status_code == 200
    p = catalog.stickers
    form = {
        "category": p.category_id,
        "name": p.name,
        "slug": p.slug,
        "summary": p.summary,
        "description": "",
        "position": p.position,
        "vat_category": "standard",
        "trim_width_mm": "50",
        "trim_height_mm": "50",
        "bleed_mm": "2",
        "max_sides": "1",
        "production_days": "3",
        "requires_layout": "y",
    }  # "is_active" left unticked
    response = staff_client.post(f"/admin/productview/edit/{p.id}", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    assert client.get("/product/nakleyki").status_code == 404
    assert "/product/nakleyki" not in client.get("/").get_data(as_text=True)


def test_deleting_a_promo_code_used_by_an_order_is_refused_with_a_message(
    app, staff_client, db_session, catalog, customer
):
    from decimal import Decimal

    from app.models import PromoKind
    from tests.factories import place_order

    db_session.add(PromoCode(code="USED", kind=PromoKind.fixed, value=Decimal("50")))
    db_session.commit()
    place_order(db_session, customer, catalog.cards, promo_code="USED")
    promo_id = db_session.scalar(sa.select(PromoCode.id))
    login_staff(staff_client, make_staff(app, "Manager"))
    response = staff_client.post(f"/admin/promocodeview/delete/{promo_id}", follow_redirects=True)
    assert "Нельзя удалить: запись используется" in response.get_data(as_text=True)
    assert db_session.scalar(sa.select(sa.func.count()).select_from(PromoCode)) == 1
