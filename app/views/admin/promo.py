"""Back-office promo codes."""

from __future__ import annotations

from wtforms.validators import InputRequired, NumberRange, Optional, Regexp

from app.models import PromoCode, PromoKind
from app.views.admin.base import ShopInterface, ShopModelView, bool_cell, dt_cell, enum_select, label_of, money_cell


class PromoCodeView(ShopModelView):
    datamodel = ShopInterface(PromoCode)
    list_title = "Промокоды"
    show_title = "Промокод"
    add_title = "Новый промокод"
    edit_title = "Редактирование промокода"
    list_columns = ["code", "kind", "value", "valid_from", "valid_until", "times_used", "usage_limit", "is_active"]
    add_columns = edit_columns = [
        "code",
        "description",
        "kind",
        "value",
        "valid_from",
        "valid_until",
        "usage_limit",
        "per_customer_limit",
        "min_order_total",
        "is_active",
    ]
    show_columns = add_columns + ["times_used", "created_at"]
    search_columns = ["code", "kind", "is_active", "valid_until"]
    label_columns = {
        "code": "Код",
        "description": "Описание",
        "kind": "Тип скидки",
        "value": "Размер (% или ₽)",
        "valid_from": "Действует с",
        "valid_until": "Действует по",
        "usage_limit": "Лимит использований",
        "per_customer_limit": "Лимит на покупателя",
        "min_order_total": "Минимальная сумма заказа, ₽",
        "times_used": "Использован",
        "is_active": "Активен",
        "created_at": "Создан",
    }
    description_columns = {
        "code": "Латинские буквы и цифры; покупатель может ввести в любом регистре",
        "usage_limit": "Пусто — без ограничений",
    }
    add_form_extra_fields = edit_form_extra_fields = {"kind": enum_select(PromoKind, "Тип скидки")}
    validators_columns = {
        "code": [InputRequired(), Regexp(r"^[A-Za-z0-9_-]{3,40}$", message="3–40 латинских букв, цифр, _ или -")],
        "value": [InputRequired(), NumberRange(min=0.01, message="Размер скидки должен быть больше нуля")],
        "usage_limit": [Optional(), NumberRange(min=1, message="Лимит — целое число больше нуля")],
        "per_customer_limit": [Optional(), NumberRange(min=1, message="Лимит — целое число больше нуля")],
        "min_order_total": [Optional(), NumberRange(min=0, message="Сумма не может быть отрицательной")],
    }
    formatters_columns = {
        "kind": label_of(PromoKind),
        "value": lambda v: f"{v:g}",
        "min_order_total": money_cell,
        "is_active": bool_cell,
        "created_at": dt_cell,
    }
    base_order = ("created_at", "desc")

    def _normalize(self, item: PromoCode) -> None:
        item.code = item.code.strip().upper()
        if item.kind == PromoKind.percent and item.value > 100:
            raise ValueError("Процент скидки не может быть больше 100.")
        if item.valid_from and item.valid_until and item.valid_until < item.valid_from:
            raise ValueError("Дата окончания раньше даты начала.")

    def pre_add(self, item: PromoCode) -> None:
        self._normalize(item)

    def pre_update(self, item: PromoCode) -> None:
        self._normalize(item)
