"""Demo accounting data: the shop's requisites, material cost prices of the demo products, a few expenses."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Expense, ExpenseCategory, Product
from app.services.accounting import expenses, seller
from app.services.actors import Actor
from app.services.shoptime import shop_today

ACTOR = Actor.system("demo")
# Material cost of one unit (VAT excluded), by product slug.
COST_PRICES = {
    "vizitki-standart": Decimal("0.45"),
    "listovki": Decimal("1.20"),
    "nakleyki": Decimal("0.60"),
    "banner": Decimal("350.00"),
}
SELLER = seller.SellerData(
    full_name="Общество с ограниченной ответственностью «Печатный двор»",
    short_name="ООО «Печатный двор»",
    inn="7707083893",
    kpp="773601001",
    ogrn="1027700132195",
    legal_address="117997, г. Москва, ул. Вавилова, д. 19",
    postal_address="117997, г. Москва, ул. Вавилова, д. 19, офис 5",
    bank_name="ПАО Сбербанк",
    bik="044525225",
    correspondent_account="30101810400000000225",
    settlement_account="40702810200000000001",
    director="Иванов Иван Иванович",
    chief_accountant="Петрова Анна Сергеевна",
)
# (days ago, category, supplier, ИНН, amount, VAT rate, document)
EXPENSES = [
    (2, "Бумага", "ООО «Бумажный двор»", "7707083893", "48800.00", "22", "УПД-1041"),
    (5, "Краска", "ООО «Тонер-Сервис»", "1234567894", "18300.00", "22", "УПД-377"),
    (9, "Аренда", "ИП Смирнов Олег Петрович", "123456789047", "85000.00", None, "Счёт 12"),
    (12, "Доставка", "ООО «Курьер»", "7707083893", "6100.00", "22", "Акт 55"),
    (35, "Бумага", "ООО «Бумажный двор»", "7707083893", "36600.00", "22", "УПД-998"),
    (38, "Реклама", "ООО «Реклама в сети»", "1234567894", "24400.00", "22", "Акт 201"),
]


def load_cost_prices(session: Session) -> None:
    for slug, cost in COST_PRICES.items():
        product = session.scalar(sa.select(Product).where(Product.slug == slug))
        if product is not None and not product.cost_price:
            product.cost_price = cost
    session.flush()


def load_demo_accounting(session: Session) -> str:
    """The requisites (if none), categories and a few expenses (if none): idempotent."""
    if seller.in_force(session) is None:
        seller.set_requisites(session, SELLER, actor=ACTOR, valid_from=shop_today().replace(month=1, day=1))
    expenses.ensure_categories(session)
    added = 0
    if not session.scalar(sa.select(sa.func.count()).select_from(Expense)):
        categories = dict(session.execute(sa.select(ExpenseCategory.name, ExpenseCategory.id)).all())
        today = shop_today()
        for days_ago, category, supplier, inn, amount, rate, document in EXPENSES:
            day = today - timedelta(days=days_ago)
            expenses.add_expense(
                session,
                Expense(
                    day=day,
                    category_id=categories[category],
                    supplier_name=supplier,
                    supplier_inn=inn,
                    amount=Decimal(amount),
                    vat_rate=Decimal(rate) if rate else None,
                    document_number=document,
                    document_date=day,
                ),
                actor=ACTOR,
            )
            added += 1
    return f"Бухгалтерия: реквизиты магазина, себестоимость товаров, расходов добавлено {added}."
