"""Back-office catalog: categories, products, option groups and values, price tiers, VAT rates."""

from __future__ import annotations

from wtforms.validators import InputRequired, NumberRange, Regexp

from app.models import (
    Category,
    OptionGroup,
    OptionKind,
    OptionValue,
    PriceMode,
    PriceTier,
    Product,
    VatCategory,
    VatRate,
)
from app.views.admin.base import (
    AmountField,
    ShopInterface,
    ShopModelView,
    bool_cell,
    enum_select,
    label_of,
    money_cell,
)

NON_NEGATIVE_COST = NumberRange(min=0, max=999999, message="Себестоимость — от 0 до 999 999 ₽, не отрицательная.")


class PriceTierView(ShopModelView):
    datamodel = ShopInterface(PriceTier)
    list_title = show_title = "Цены по тиражам"
    add_title = "Новая цена тиража"
    edit_title = "Цена тиража"
    list_columns = ["product", "quantity", "price"]
    add_columns = edit_columns = show_columns = ["product", "quantity", "price"]
    search_columns = ["product", "quantity"]
    label_columns = {"product": "Товар", "quantity": "Тираж, шт.", "price": "Цена тиража, ₽ с НДС"}
    formatters_columns = {"price": money_cell}
    validators_columns = {
        "quantity": [InputRequired(), NumberRange(min=1, message="Тираж — целое число больше нуля")],
        "price": [InputRequired(), NumberRange(min=0.01, message="Цена должна быть больше нуля")],
    }
    order_columns = ["quantity", "price"]
    base_order = ("quantity", "asc")


class OptionValueView(ShopModelView):
    datamodel = ShopInterface(OptionValue)
    list_title = show_title = "Варианты опций"
    add_title = "Новый вариант"
    edit_title = "Вариант опции"
    list_columns = ["group", "name", "price_mode", "price_value", "is_active", "is_default", "position"]
    add_columns = edit_columns = show_columns = [
        "group",
        "name",
        "price_mode",
        "price_value",
        "is_active",
        "is_default",
        "position",
        "width_mm",
        "height_mm",
        "sides",
        "cost_price",
    ]
    search_columns = ["group", "name", "is_active"]
    label_columns = {
        "group": "Группа",
        "name": "Название",
        "price_mode": "Как влияет на цену",
        "price_value": "Значение",
        "is_active": "Доступен",
        "is_default": "По умолчанию",
        "position": "Порядок",
        "width_mm": "Ширина, мм (для формата)",
        "height_mm": "Высота, мм (для формата)",
        "sides": "Сторон печати (1 или 2)",
        "cost_price": "Доп. себестоимость за штуку, ₽ без НДС",
    }
    description_columns = {
        "price_value": "Множитель (1,5 = +50 %), или рублей за штуку, или рублей за тираж",
        "is_active": "Снимите, чтобы вариант нельзя было выбрать (старые заказы не изменятся)",
        "cost_price": "Сколько материалов добавляет этот вариант к себестоимости одной штуки (для отчёта о прибыли)",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "price_mode": enum_select(PriceMode, "Как влияет на цену"),
        "cost_price": AmountField("Доп. себестоимость за штуку, ₽ без НДС", places=4, validators=[NON_NEGATIVE_COST]),
    }
    formatters_columns = {"price_mode": label_of(PriceMode), "is_active": bool_cell, "is_default": bool_cell}
    validators_columns = {
        "price_value": [InputRequired(), NumberRange(min=0, message="Значение не может быть отрицательным")],
        "sides": [NumberRange(min=1, max=2, message="Сторон печати: 1 или 2")],
    }
    base_order = ("position", "asc")


class OptionGroupView(ShopModelView):
    datamodel = ShopInterface(OptionGroup)
    list_title = show_title = "Группы опций"
    add_title = "Новая группа опций"
    edit_title = "Группа опций"
    related_views = [OptionValueView]
    list_columns = ["product", "name", "kind", "is_required", "is_multiple", "position"]
    add_columns = edit_columns = show_columns = [
        "product",
        "code",
        "name",
        "kind",
        "is_required",
        "is_multiple",
        "position",
    ]
    search_columns = ["product", "name", "kind"]
    label_columns = {
        "product": "Товар",
        "code": "Код",
        "name": "Название",
        "kind": "Вид",
        "is_required": "Обязательная",
        "is_multiple": "Несколько вариантов",
        "position": "Порядок",
    }
    add_form_extra_fields = edit_form_extra_fields = {"kind": enum_select(OptionKind, "Вид")}
    formatters_columns = {"kind": label_of(OptionKind), "is_required": bool_cell, "is_multiple": bool_cell}
    base_order = ("position", "asc")


class ProductView(ShopModelView):
    datamodel = ShopInterface(Product)
    list_title = "Товары"
    show_title = "Товар"
    add_title = "Новый товар"
    edit_title = "Редактирование товара"
    related_views = [OptionGroupView, PriceTierView]
    list_columns = ["name", "category", "is_active", "vat_category", "production_days", "position"]
    add_columns = edit_columns = show_columns = [
        "category",
        "name",
        "slug",
        "summary",
        "description",
        "is_active",
        "position",
        "vat_category",
        "trim_width_mm",
        "trim_height_mm",
        "bleed_mm",
        "max_sides",
        "production_days",
        "requires_layout",
        "cost_price",
    ]
    search_columns = ["name", "category", "is_active", "vat_category"]
    label_columns = {
        "category": "Категория",
        "name": "Название",
        "slug": "Адрес (slug)",
        "summary": "Кратко",
        "description": "Описание",
        "is_active": "В продаже",
        "position": "Порядок",
        "vat_category": "НДС",
        "trim_width_mm": "Ширина под обрез, мм",
        "trim_height_mm": "Высота под обрез, мм",
        "bleed_mm": "Вылеты, мм",
        "max_sides": "Макс. сторон печати",
        "production_days": "Срок, раб. дней",
        "requires_layout": "Нужен макет",
        "cost_price": "Себестоимость материалов за штуку, ₽ без НДС",
    }
    description_columns = {
        "cost_price": "Бумага и краска на одну штуку; опции добавляют свою. По ней отчёт о прибыли считает "
        "себестоимость: в журнал записывается значение на день реализации."
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "vat_category": enum_select(VatCategory, "НДС"),
        "cost_price": AmountField(
            "Себестоимость материалов за штуку, ₽ без НДС", places=4, validators=[NON_NEGATIVE_COST]
        ),
    }
    formatters_columns = {"vat_category": label_of(VatCategory), "is_active": bool_cell, "requires_layout": bool_cell}
    validators_columns = {
        "slug": [Regexp(r"^[a-z0-9-]+$", message="Только латинские буквы, цифры и дефис")],
        "bleed_mm": [NumberRange(min=0, max=20, message="Вылеты от 0 до 20 мм")],
        "max_sides": [NumberRange(min=1, max=2, message="Сторон печати: 1 или 2")],
        "production_days": [NumberRange(min=0, max=60, message="Срок от 0 до 60 дней")],
    }
    base_order = ("position", "asc")


class CategoryView(ShopModelView):
    datamodel = ShopInterface(Category)
    list_title = "Категории"
    show_title = "Категория"
    add_title = "Новая категория"
    edit_title = "Редактирование категории"
    related_views = [ProductView]
    list_columns = ["name", "slug", "is_active", "position"]
    add_columns = edit_columns = show_columns = ["name", "slug", "description", "is_active", "position"]
    search_columns = ["name", "is_active"]
    label_columns = {
        "name": "Название",
        "slug": "Адрес (slug)",
        "description": "Описание",
        "is_active": "Показывать",
        "position": "Порядок",
    }
    formatters_columns = {"is_active": bool_cell}
    validators_columns = {"slug": [Regexp(r"^[a-z0-9-]+$", message="Только латинские буквы, цифры и дефис")]}
    base_order = ("position", "asc")


class VatRateView(ShopModelView):
    datamodel = ShopInterface(VatRate)
    list_title = show_title = "Ставки НДС"
    add_title = "Новая ставка НДС"
    edit_title = "Ставка НДС"
    list_columns = ["category", "rate", "valid_from"]
    add_columns = edit_columns = show_columns = ["category", "rate", "valid_from"]
    label_columns = {"category": "Вид ставки", "rate": "Ставка, %", "valid_from": "Действует с"}
    description_columns = {"valid_from": "Ставка действует с этой даты до начала следующей ставки того же вида"}
    add_form_extra_fields = edit_form_extra_fields = {"category": enum_select(VatCategory, "Вид ставки")}
    formatters_columns = {"category": label_of(VatCategory)}
    validators_columns = {"rate": [InputRequired(), NumberRange(min=0, max=99, message="Ставка от 0 до 99 %")]}
    base_order = ("valid_from", "desc")
