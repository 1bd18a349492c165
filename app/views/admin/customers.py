"""Back-office customers: read, and block / unblock (mass actions)."""

from __future__ import annotations

from flask import redirect
from flask_appbuilder.actions import action

from app.extensions import db
from app.models import Customer
from app.services.customers import accounts
from app.views.admin.base import ShopInterface, ShopModelView, bool_cell, dt_cell
from app.views.common import act


class CustomerView(ShopModelView):
    datamodel = ShopInterface(Customer)
    list_title = "Покупатели"
    show_title = "Покупатель"
    base_permissions = ["can_list", "can_show", "can_block"]
    method_permission_name = {"block_action": "block", "unblock_action": "block"}
    list_columns = ["email", "full_name", "phone", "active", "created_at", "last_login_at"]
    show_columns = [
        "email",
        "full_name",
        "phone",
        "active",
        "blocked_reason",
        "confirmed_at",
        "created_at",
        "last_login_at",
        "login_count",
    ]
    search_columns = ["email", "full_name", "phone", "active", "created_at"]
    label_columns = {
        "email": "Email",
        "full_name": "Имя",
        "phone": "Телефон",
        "active": "Активен",
        "blocked_reason": "Причина блокировки",
        "confirmed_at": "Email подтверждён",
        "created_at": "Зарегистрирован",
        "last_login_at": "Последний вход",
        "login_count": "Входов",
    }
    formatters_columns = {
        "active": bool_cell,
        "created_at": dt_cell,
        "last_login_at": dt_cell,
        "confirmed_at": dt_cell,
    }
    base_order = ("created_at", "desc")

    @action("block_action", "Заблокировать", "Заблокировать выбранных покупателей?", "fa-ban")
    def block_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        act(lambda: sum(accounts.block(db.session, c) for c in items), success=lambda n: f"Заблокировано: {n}.")
        return redirect(self.get_redirect())

    @action("unblock_action", "Разблокировать", "Разблокировать выбранных покупателей?", "fa-check")
    def unblock_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        act(lambda: sum(accounts.unblock(db.session, c) for c in items), success=lambda n: f"Разблокировано: {n}.")
        return redirect(self.get_redirect())
