"""Pricing: tier price × multipliers + per-unit + fixed; every choice is checked against the catalog."""

from datetime import date
from decimal import Decimal as D

import pytest

from app.models import VatCategory
from app.services.catalog import products
from app.services.errors import ValidationError


def test_default_business_cards_cost_the_tier_price(db_session, catalog):
    q = catalog_quote(db_session, catalog.cards, 100, catalog.defaults(catalog.cards))
    assert q.total == D("790.00")
    assert q.unit_price == D("7.90")


def catalog_quote(session, product, quantity, ids):
    return products.quote(session, product=product, quantity=quantity, option_value_ids=ids)


def test_multipliers_per_unit_and_fixed_options_combine(db_session, catalog):
    ids = catalog.defaults(
        catalog.cards, "Дизайнерская 300 г/м²", "Двусторонняя 4+4", "Матовая ламинация", "Скругление углов"
    )
    q = catalog_quote(db_session, catalog.cards, 500, ids)
    # 1690 × 1.6 × 1.45 + 0.90 × 500 + 350
    assert q.total == D("1690") * D("1.6") * D("1.45") + D("450") + D("350")
    assert q.total == D("4720.80")
    assert [o["group"] for o in q.options] == ["Формат", "Бумага", "Печать", "Отделка", "Отделка"]


def test_quantity_must_be_one_of_the_tiers(db_session, catalog):
    with pytest.raises(ValidationError, match="Тираж 150 шт. недоступен"):
        catalog_quote(db_session, catalog.cards, 150, catalog.defaults(catalog.cards))


def test_required_group_and_single_choice_are_enforced(db_session, catalog):
    ids = catalog.defaults(catalog.cards)
    paper = next(g for g in catalog.cards.option_groups if g.code == "paper")
    without_paper = [i for i in ids if i not in {v.id for v in paper.values}]
    with pytest.raises(ValidationError, match="Выберите: Бумага"):
        catalog_quote(db_session, catalog.cards, 100, without_paper)
    two_papers = without_paper + [paper.values[0].id, paper.values[1].id]
    with pytest.raises(ValidationError, match="только один"):
        catalog_quote(db_session, catalog.cards, 100, two_papers)


def test_option_of_another_product_or_garbage_is_refused(db_session, catalog):
    foreign = catalog.defaults(catalog.flyers)[0]
    with pytest.raises(ValidationError, match="нет у этого товара"):
        catalog_quote(db_session, catalog.cards, 100, catalog.defaults(catalog.cards) + [foreign])
    with pytest.raises(ValidationError, match="Неверный параметр"):
        catalog_quote(db_session, catalog.cards, 100, ["abc"])


def test_disabled_option_and_disabled_product_cannot_be_priced(db_session, catalog):
    ids = catalog.defaults(catalog.cards, "Крафт 350 г/м²")
    kraft = next(v for g in catalog.cards.option_groups for v in g.values if v.name == "Крафт 350 г/м²")
    kraft.is_active = False
    db_session.flush()
    with pytest.raises(ValidationError, match="больше недоступен"):
        catalog_quote(db_session, catalog.cards, 100, ids)
    catalog.cards.is_active = False
    db_session.flush()
    with pytest.raises(ValidationError, match="снят с продажи"):
        catalog_quote(db_session, catalog.cards, 100, catalog.defaults(catalog.cards))


def test_vat_rate_follows_effective_dates(db_session):
    assert products.vat_rate_for(db_session, VatCategory.standard, date(2025, 12, 31)) == D("20")
    assert products.vat_rate_for(db_session, VatCategory.standard, date(2026, 1, 1)) == D("22")
    assert products.vat_rate_for(db_session, VatCategory.exempt, date(2026, 5, 1)) is None
