"""Demo data: a small human-sized shop (catalog, VAT rates, promo codes, customers, orders, staff). Idempotent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_security.utils import hash_password
from sqlalchemy.orm import Session

from app.models import (
    Category,
    Customer,
    OptionGroup,
    OptionKind,
    OptionValue,
    PriceMode,
    PriceTier,
    Product,
    PromoCode,
    PromoKind,
    VatCategory,
    VatRate,
)
from app.services.companies import addresses, registry
from app.services.layouts import preflight
from app.services.orders import cart as cart_service
from app.services.orders import lifecycle, placing
from app.services.projects import projects

D = Decimal
M, U, F = PriceMode.multiplier, PriceMode.per_unit, PriceMode.fixed

VAT_RATES = [
    (VatCategory.standard, D("18"), date(2004, 1, 1)),
    (VatCategory.standard, D("20"), date(2019, 1, 1)),
    (VatCategory.standard, D("22"), date(2026, 1, 1)),
    (VatCategory.reduced, D("10"), date(2004, 1, 1)),
    (VatCategory.zero, D("0"), date(2000, 1, 1)),
]

# (slug, name, description, [products])
# product: (slug, name, summary, trim (w, h) or None, bleed, max_sides, days, tiers, groups)
# group: (code, kind, name, required, multiple, [(name, mode, value, extra)])
CATALOG: list[tuple[Any, ...]] = [
    (
        "vizitki",
        "Визитки",
        "Классические и дизайнерские визитки на плотной бумаге.",
        [
            (
                "vizitki-standart",
                "Визитки стандартные",
                "90×50 мм, мелованная бумага 300 г/м², полноцветная печать.",
                (90, 50),
                D("2"),
                2,
                2,
                [(100, "790.00"), (200, "1090.00"), (500, "1690.00"), (1000, "2490.00"), (2000, "4290.00")],
                [
                    (
                        "format",
                        OptionKind.format,
                        "Формат",
                        True,
                        False,
                        [
                            (
                                "90×50 мм (стандарт)",
                                M,
                                "1",
                                {"width_mm": D(90), "height_mm": D(50), "is_default": True},
                            ),
                            ("85×55 мм (евро)", M, "1", {"width_mm": D(85), "height_mm": D(55)}),
                        ],
                    ),
                    (
                        "paper",
                        OptionKind.paper,
                        "Бумага",
                        True,
                        False,
                        [
                            ("Мелованная 300 г/м²", M, "1", {"is_default": True}),
                            ("Дизайнерская 300 г/м²", M, "1.6", {}),
                            ("Крафт 350 г/м²", M, "1.35", {}),
                        ],
                    ),
                    (
                        "sides",
                        OptionKind.sides,
                        "Печать",
                        True,
                        False,
                        [
                            ("Односторонняя 4+0", M, "1", {"sides": 1, "is_default": True}),
                            ("Двусторонняя 4+4", M, "1.45", {"sides": 2}),
                        ],
                    ),
                    (
                        "finishing",
                        OptionKind.finishing,
                        "Отделка",
                        False,
                        True,
                        [
                            ("Матовая ламинация", U, "0.90", {}),
                            ("Скругление углов", F, "350", {}),
                            ("Выборочный УФ-лак", U, "2.50", {}),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "listovki",
        "Листовки",
        "Листовки и флаеры для промо-акций и раздачи.",
        [
            (
                "listovki",
                "Листовки",
                "Форматы A6–A4, мелованная бумага 115–170 г/м².",
                (105, 148),
                D("2"),
                2,
                3,
                [(100, "1290.00"), (500, "2490.00"), (1000, "3490.00"), (5000, "11900.00")],
                [
                    (
                        "format",
                        OptionKind.format,
                        "Формат",
                        True,
                        False,
                        [
                            ("A6 (105×148 мм)", M, "1", {"width_mm": D(105), "height_mm": D(148), "is_default": True}),
                            ("A5 (148×210 мм)", M, "1.7", {"width_mm": D(148), "height_mm": D(210)}),
                            ("A4 (210×297 мм)", M, "3", {"width_mm": D(210), "height_mm": D(297)}),
                        ],
                    ),
                    (
                        "paper",
                        OptionKind.paper,
                        "Бумага",
                        True,
                        False,
                        [
                            ("Мелованная 115 г/м²", M, "1", {"is_default": True}),
                            ("Мелованная 170 г/м²", M, "1.25", {}),
                        ],
                    ),
                    (
                        "sides",
                        OptionKind.sides,
                        "Печать",
                        True,
                        False,
                        [
                            ("Односторонняя 4+0", M, "1", {"sides": 1, "is_default": True}),
                            ("Двусторонняя 4+4", M, "1.4", {"sides": 2}),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "nakleyki",
        "Наклейки",
        "Наклейки и стикеры на бумаге и плёнке, с контурной резкой.",
        [
            (
                "nakleyki",
                "Наклейки",
                "Бумага или винил, прямоугольные или с контурной резкой.",
                (50, 50),
                D("2"),
                1,
                3,
                [(50, "990.00"), (100, "1490.00"), (500, "4290.00"), (1000, "6990.00")],
                [
                    (
                        "format",
                        OptionKind.format,
                        "Формат",
                        True,
                        False,
                        [
                            ("50×50 мм", M, "1", {"width_mm": D(50), "height_mm": D(50), "is_default": True}),
                            ("100×100 мм", M, "2.2", {"width_mm": D(100), "height_mm": D(100)}),
                            ("A5 (148×210 мм)", M, "3", {"width_mm": D(148), "height_mm": D(210)}),
                        ],
                    ),
                    (
                        "material",
                        OptionKind.paper,
                        "Материал",
                        True,
                        False,
                        [
                            ("Самоклеящаяся бумага", M, "1", {"is_default": True}),
                            ("Белая виниловая плёнка", M, "1.5", {}),
                            ("Прозрачная плёнка", M, "1.7", {}),
                        ],
                    ),
                    (
                        "finishing",
                        OptionKind.finishing,
                        "Резка",
                        False,
                        True,
                        [
                            ("Контурная резка", F, "600", {}),
                        ],
                    ),
                ],
            ),
        ],
    ),
    (
        "bannery",
        "Баннеры",
        "Широкоформатная печать на баннерной ткани и сетке.",
        [
            (
                "banner",
                "Баннер",
                "Баннерная ткань или сетка, люверсы и проклейка по периметру.",
                (1000, 1000),
                D("0"),
                1,
                2,
                [(1, "890.00"), (2, "1690.00"), (5, "3990.00"), (10, "7490.00")],
                [
                    (
                        "format",
                        OptionKind.format,
                        "Размер",
                        True,
                        False,
                        [
                            ("1×1 м", M, "1", {"width_mm": D(1000), "height_mm": D(1000), "is_default": True}),
                            ("2×1 м", M, "2", {"width_mm": D(2000), "height_mm": D(1000)}),
                            ("3×2 м", M, "5.6", {"width_mm": D(3000), "height_mm": D(2000)}),
                        ],
                    ),
                    (
                        "material",
                        OptionKind.paper,
                        "Материал",
                        True,
                        False,
                        [
                            ("Баннерная ткань 440 г/м²", M, "1", {"is_default": True}),
                            ("Литой баннер 510 г/м²", M, "1.3", {}),
                            ("Баннерная сетка", M, "1.2", {}),
                        ],
                    ),
                    (
                        "finishing",
                        OptionKind.finishing,
                        "Отделка",
                        False,
                        True,
                        [
                            ("Люверсы по периметру", U, "150", {}),
                            ("Проклейка края", U, "200", {}),
                        ],
                    ),
                ],
            ),
        ],
    ),
]

PROMO_CODES = [
    ("WELCOME10", "Скидка 10 % на первый заказ", PromoKind.percent, D("10"), D("1000"), None, 1),
    ("MINUS500", "500 ₽ на заказ от 3 000 ₽", PromoKind.fixed, D("500"), D("3000"), 100, None),
]

DEMO_PASSWORD = "demo12345"

PRODUCT_NOTE = (
    "Перед печатью мы проверим макет: размер, вылеты, разрешение и цветовую модель. "
    "Если что-то не так — напишем и поможем исправить."
)

CUSTOMERS = [
    ("ivan.petrov@example.ru", "Иван Петров", "+79161234567"),
    ("olga.smirnova@example.ru", "Ольга Смирнова", "+79031112233"),
    ("romashka@example.ru", "Анна Кузнецова (ООО «Ромашка»)", "+74951234567"),
]

STAFF = [
    ("admin@pechatnydvor.ru", "Admin", "Администратор", "Главный"),
    ("manager@pechatnydvor.ru", "Manager", "Мария", "Иванова"),
    ("operator@pechatnydvor.ru", "Operator", "Олег", "Сидоров"),
    ("accountant@pechatnydvor.ru", "Accountant", "Анна", "Бухова"),
    ("editor@pechatnydvor.ru", "ContentEditor", "Елена", "Редакторова"),
    ("support@pechatnydvor.ru", "Support", "Сергей", "Помогаев"),
]


def load_vat_rates(session: Session) -> None:
    for category, rate, valid_from in VAT_RATES:
        exists = session.scalar(
            sa.select(VatRate.id).where(VatRate.category == category, VatRate.valid_from == valid_from)
        )
        if exists is None:
            session.add(VatRate(category=category, rate=rate, valid_from=valid_from))
    session.flush()


def load_catalog(session: Session) -> int:
    created = 0
    for position, (slug, name, description, products) in enumerate(CATALOG, start=1):
        category = session.scalar(sa.select(Category).where(Category.slug == slug))
        if category is None:
            category = Category(slug=slug, name=name, description=description, position=position)
            session.add(category)
        for p_pos, (p_slug, p_name, summary, trim, bleed, sides, days, tiers, groups) in enumerate(products, 1):
            if session.scalar(sa.select(Product.id).where(Product.slug == p_slug)) is not None:
                continue
            product = Product(
                category=category,
                slug=p_slug,
                name=p_name,
                summary=summary,
                position=p_pos,
                trim_width_mm=D(trim[0]) if trim else None,
                trim_height_mm=D(trim[1]) if trim else None,
                bleed_mm=bleed,
                max_sides=sides,
                production_days=days,
                description=PRODUCT_NOTE,
            )
            product.price_tiers = [PriceTier(quantity=q, price=D(p)) for q, p in tiers]
            for g_pos, (code, kind, g_name, required, multiple, values) in enumerate(groups, 1):
                group = OptionGroup(
                    code=code, kind=kind, name=g_name, is_required=required, is_multiple=multiple, position=g_pos
                )
                group.values = [
                    OptionValue(name=v_name, price_mode=mode, price_value=D(value), position=v_pos, **extra)
                    for v_pos, (v_name, mode, value, extra) in enumerate(values, 1)
                ]
                product.option_groups.append(group)
            session.add(product)
            created += 1
    session.flush()
    return created


def load_promo_codes(session: Session) -> None:
    for code, description, kind, value, min_total, limit, per_customer in PROMO_CODES:
        if session.scalar(sa.select(PromoCode.id).where(PromoCode.code == code)) is None:
            session.add(
                PromoCode(
                    code=code,
                    description=description,
                    kind=kind,
                    value=value,
                    min_order_total=min_total,
                    usage_limit=limit,
                    per_customer_limit=per_customer,
                )
            )
    session.flush()


def load_customers(session: Session) -> list[Customer]:
    import uuid

    customers = []
    for email, name, phone in CUSTOMERS:
        customer = session.scalar(sa.select(Customer).where(Customer.email == email))
        if customer is None:
            customer = Customer(
                email=email,
                full_name=name,
                phone=phone,
                password=hash_password(DEMO_PASSWORD),
                fs_uniquifier=uuid.uuid4().hex,
                active=True,
            )
            session.add(customer)
        customers.append(customer)
    session.flush()
    return customers


def load_demo_orders(session: Session, customers: list[Customer]) -> int:
    """A few orders in different states, placed through the same services as real ones."""
    from app.models import Order, OrderStatus
    from app.services import storage
    from app.services.actors import Actor

    if session.scalar(sa.select(sa.func.count()).select_from(Order)):
        return 0
    products = {p.slug: p for p in session.scalars(sa.select(Product))}
    plans = [
        (
            customers[0],
            "vizitki-standart",
            500,
            ["Дизайнерская 300 г/м²"],
            "pickup",
            "on_receipt",
            "",
            [OrderStatus.confirmed, OrderStatus.in_production],
        ),
        (
            customers[0],
            "listovki",
            1000,
            ["A5 (148×210 мм)"],
            "courier",
            "on_receipt",
            "Москва, ул. Тверская, д. 7, кв. 12",
            [],
        ),
        (
            customers[1],
            "nakleyki",
            100,
            ["Белая виниловая плёнка", "Контурная резка"],
            "post",
            "invoice",
            "190000, Санкт-Петербург, Невский пр., д. 28",
            [OrderStatus.confirmed],
        ),
        (
            customers[2],
            "banner",
            2,
            ["2×1 м", "Люверсы по периметру"],
            "pickup",
            "invoice",
            "",
            [OrderStatus.confirmed, OrderStatus.in_production, OrderStatus.ready, OrderStatus.handed_over],
        ),
    ]
    staff = Actor.system("demo")
    count = 0
    for n, (customer, slug, qty, option_names, delivery, payment, address, statuses) in enumerate(plans, 1):
        product = products[slug]
        chosen = {v.name: v.id for g in product.option_groups for v in g.values}
        default_ids: dict[object, int] = {
            v.group_id: v.id for g in product.option_groups for v in g.values if v.is_default
        }
        for name in option_names:
            value = next(v for g in product.option_groups for v in g.values if v.name == name)
            if value.group.is_multiple:
                default_ids[f"m{value.id}"] = value.id
            else:
                default_ids[value.group_id] = chosen[name]
        cart = cart_service.get_or_create_cart(session, token=None, customer_id=customer.id)
        spec = preflight.spec_for_ids(product, list(default_ids.values()))
        pdf = demo_pdf(spec.full_width, spec.full_height)
        layout = storage.store_bytes(session, data=pdf, filename=f"maket-{slug}.pdf", customer_id=customer.id)
        cart_service.add_item(
            session, cart, product=product, quantity=qty, option_value_ids=list(default_ids.values()), layout=layout
        )
        order = placing.place_order(
            session,
            customer=customer,
            cart=cart,
            data=placing.CheckoutData(
                contact_name=customer.full_name,
                contact_email=customer.email,
                contact_phone=customer.phone,
                delivery_method=delivery,
                payment_method=payment,
                delivery_address=address,
                checkout_token=f"demo-{n}",
                comment="",
            ),
        )
        for status in statuses:
            lifecycle.change_status(session, order, status, actor=staff)
        if payment == "invoice" and statuses:
            lifecycle.mark_paid(session, order, actor=staff)
        count += 1
    return count


DEMO_COMPANY: dict[str, Any] = {
    "kind": "legal",
    "full_name": "Общество с ограниченной ответственностью «Ромашка»",
    "short_name": "ООО «Ромашка»",
    "inn": "7707083893",
    "kpp": "773601001",
    "ogrn": "1027700132195",
    "legal_address": "117997, г. Москва, ул. Вавилова, д. 19",
    "postal_address": "117997, г. Москва, ул. Вавилова, д. 19, офис 5",
    "director": "Генеральный директор Кузнецова А. В.",
    "bank_name": "ПАО Сбербанк",
    "bik": "044525225",
    "settlement_account": "40702810200000000001",
    "correspondent_account": "30101810400000000225",
    "email": "romashka@example.ru",
    "phone": "+7 495 123-45-67",
}


def load_demo_companies(session: Session, customers: list[Customer]) -> int:
    """ООО «Ромашка» (approved; Анна owns it, Иван buys for it) with a company project from Иван's first order."""
    from app.models import Company, CompanyMember, CompanyStatus, MemberRole, Order
    from app.services.actors import Actor

    if session.scalar(sa.select(Company.id).where(Company.inn == DEMO_COMPANY["inn"])) is not None:
        return 0
    owner, buyer = customers[2], customers[0]
    company = registry.create_company(session, owner=owner, data=registry.CompanyData(**DEMO_COMPANY))
    registry.review(session, company, CompanyStatus.approved, actor=Actor.system("demo"))
    session.add(CompanyMember(company_id=company.id, customer_id=buyer.id, role=MemberRole.buyer))
    addresses.add_address(
        session, company, label="Склад", address="Москва, ул. Складочная, д. 1, стр. 6", actor=Actor.system("demo")
    )
    session.flush()
    first = session.scalar(sa.select(Order).where(Order.customer_id == buyer.id).order_by(Order.id))
    if first is not None:
        line = first.product_lines[0]
        projects.save_from_order_line(
            session, first, line.id, customer=buyer, name="Визитки — Петров", company_id=company.id
        )
    return 1


def demo_pdf(width_mm: float = 94, height_mm: float = 54) -> bytes:
    """A one-page layout PDF drawn with fpdf2 (by default a business card, 94×54 mm with bleed)."""
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(width_mm, height_mm))
    pdf.set_auto_page_break(False)
    pdf.add_page()
    font = current_app.config["PDF_FONT_REGULAR"]
    pdf.add_font("DejaVu", fname=font)
    pdf.set_font("DejaVu", size=12)
    pdf.set_xy(8, height_mm / 2 - 7)
    pdf.cell(text="Печатный двор — демо-макет")
    return bytes(pdf.output())


def load_staff() -> list[tuple[str, str]]:
    """Staff users need the back-office app (Flask-AppBuilder's security manager)."""
    from app import admin_app_for
    from app.services import staff

    admin = admin_app_for(current_app._get_current_object())  # type: ignore[attr-defined]
    created = []
    with admin.app_context():
        staff.sync_roles()
        sm = admin.extensions["appbuilder"].sm
        for email, role, first, last in STAFF:
            if sm.find_user(email=email) is None:
                staff.create_staff(email=email, role=role, password=DEMO_PASSWORD, first_name=first, last_name=last)
            created.append((email, role))
    return created


def load_demo(session: Session) -> str:
    load_vat_rates(session)
    products = load_catalog(session)
    load_promo_codes(session)
    from app.seed.demo_accounting import load_cost_prices, load_demo_accounting

    load_cost_prices(session)
    customers = load_customers(session)
    orders_created = load_demo_orders(session, customers)
    load_demo_companies(session, customers)
    from app.seed.demo_content import load_demo_content

    site = load_demo_content(session)
    from app.seed.demo_support import load_demo_support

    support = load_demo_support(session, customers)
    accounting = load_demo_accounting(session)
    from app.seed.demo_documents import load_demo_documents

    documents = load_demo_documents(session)
    from app.seed.demo_loyalty import load_demo_loyalty

    points = load_demo_loyalty(session, customers)
    session.commit()
    staff_rows = load_staff()
    base = current_app.config["SHOP_BASE_URL"].rstrip("/")
    lines = [
        f"Каталог: добавлено товаров {products}; заказов: {orders_created}.",
        site,
        support,
        accounting,
        documents,
        points,
        "",
        "Демо-входы (пароль у всех: " + DEMO_PASSWORD + ")",
        f"  Магазин  {base}/account/login",
    ]
    lines += [f"    {email}" for email, _, _ in CUSTOMERS]
    lines += [f"  Офис     {base}/admin/"]
    lines += [f"    {email:<28} {role}" for email, role in staff_rows]
    return "\n".join(lines)
