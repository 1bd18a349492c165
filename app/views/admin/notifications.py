"""Back-office outbox and newsletter: sent / pending / failed messages with resend, subscribers with CSV export,
and the history of marketing consent."""

from __future__ import annotations

import csv
import io
import json

from flask import Response, current_app, flash, g, redirect
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup, escape
from sqlalchemy.orm import selectinload
from wtforms import SelectField

from app.extensions import db
from app.models import Channel, ConsentSource, Customer, DeliveryState, NewsletterConsent, Notification
from app.services.messaging import outbox, subscriptions
from app.services.messaging.notifications import EVENTS
from app.services.shoptime import format_datetime, shop_today
from app.views.admin.base import ShopInterface, ShopModelView, bool_cell, dt_cell, enum_select, label_of
from app.views.common import act


def event_label(value: str | None) -> str:
    info = EVENTS.get(value or "")
    return info.label if info else (value or "")


def error_cell(value: str | None) -> Markup:
    if not value:
        return Markup("")
    short = value if len(value) <= 80 else value[:77] + "…"
    return Markup('<span class="text-danger" title="%s">%s</span>') % (value, short)


def pre_cell(value: str | None) -> Markup:
    return Markup('<pre class="pre-wrap">%s</pre>') % escape(value or "")


class NotificationView(ShopModelView):
    datamodel = ShopInterface(Notification, extra_filters={"event": [FilterEqual]})
    list_title = "Исходящие уведомления"
    show_title = "Уведомление"
    base_permissions = ["can_list", "can_show", "can_resend"]
    method_permission_name = {"resend_action": "resend"}
    list_columns = ["created_at", "channel", "event", "recipient", "state", "attempts", "next_attempt_at", "last_error"]
    show_columns = [
        "created_at",
        "channel",
        "event",
        "recipient",
        "customer",
        "order_id",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "subject",
        "body_text",
        "payload",
        "dedupe_key",
    ]
    search_columns = ["state", "channel", "event", "created_at", "recipient"]
    order_columns = ["created_at", "state", "attempts", "next_attempt_at", "sent_at"]
    label_columns = {
        "created_at": "Создано",
        "channel": "Канал",
        "event": "Событие",
        "recipient": "Адрес / чат",
        "customer": "Покупатель",
        "order_id": "Заказ (id)",
        "state": "Состояние",
        "attempts": "Попыток",
        "next_attempt_at": "Следующая попытка",
        "sent_at": "Доставлено",
        "last_error": "Ошибка",
        "subject": "Тема",
        "body_text": "Текст",
        "payload": "Данные",
        "dedupe_key": "Ключ",
    }
    search_form_extra_fields = {
        "state": enum_select(DeliveryState, "Состояние"),
        "channel": enum_select(Channel, "Канал"),
        "event": SelectField("Событие", choices=[(name, info.label) for name, info in EVENTS.items()]),
    }
    formatters_columns = {
        "created_at": dt_cell,
        "next_attempt_at": dt_cell,
        "sent_at": dt_cell,
        "channel": label_of(Channel),
        "state": label_of(DeliveryState),
        "event": event_label,
        "recipient": lambda v: v or "чат покупателя",
        "customer": lambda v: str(v) if v else "—",
        "order_id": lambda v: v or "—",
        "dedupe_key": lambda v: v or "—",
        "last_error": error_cell,
        "body_text": pre_cell,
        "payload": lambda v: pre_cell(json.dumps(v or {}, ensure_ascii=False, indent=2, sort_keys=True)),
    }
    base_order = ("created_at", "desc")
    page_size = 50
    show_template = "admin/notification_show.html"

    @expose("/show/<pk>", methods=["GET"])
    @has_access
    def show(self, pk):  # noqa: ANN001, ANN201
        """The row, and the message rendered as it will be (or was) sent: subject, text, channel, recipient."""
        pk = self._deserialize_pk_if_composite(pk)
        widgets = self._show(pk)
        item = db.session.get(Notification, int(pk))
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            related_views=self._related_views,
            preview=outbox.preview(db.session, item) if item is not None else None,
            channel_label=item.channel.label if item is not None else "",
            pending=item is not None and item.state == DeliveryState.pending,
            interval=current_app.config["NOTIFICATION_SEND_INTERVAL"],
        )

    @action("resend_action", "Отправить снова", "Отправить выбранные сообщения снова?", "fa-repeat")
    def resend_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        outcome = act(lambda: outbox.resend(db.session, [item.id for item in items]))
        if outcome.result is None:
            return redirect(self.get_redirect())
        changed = outcome.result
        skipped = len(items) - changed
        flash(
            f"Поставлено в очередь: {changed}." + (f" Пропущено (ещё в очереди): {skipped}." if skipped else ""),
            "success",
        )
        return redirect(self.get_redirect())


def _csv_safe(value: str) -> str:
    """Spreadsheets run cells that start with = + - @ as formulas; quote them."""
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


class SubscriberView(ShopModelView):
    datamodel = ShopInterface(Customer)
    list_title = "Подписчики рассылки"
    show_title = "Подписчик"
    base_permissions = ["can_list", "can_show", "can_export", "can_unsubscribe"]
    method_permission_name = {"export_csv": "export", "unsubscribe_action": "unsubscribe"}
    base_filters = [["newsletter_subscribed", FilterEqual, True], ["active", FilterEqual, True]]
    list_columns = ["email", "full_name", "phone", "created_at"]
    show_columns = ["email", "full_name", "phone", "created_at", "newsletter_subscribed"]
    search_columns = ["email", "full_name", "created_at"]
    label_columns = {
        "email": "Email",
        "full_name": "Имя",
        "phone": "Телефон",
        "created_at": "Зарегистрирован",
        "newsletter_subscribed": "Подписан",
    }
    formatters_columns = {"created_at": dt_cell, "newsletter_subscribed": bool_cell}
    list_template = "admin/subscriber_list.html"
    base_order = ("email", "asc")
    page_size = 50

    @expose("/export.csv")
    @has_access
    def export_csv(self):  # noqa: ANN201
        buffer = io.StringIO()
        buffer.write("\ufeff")  # so spreadsheet programs read the file as UTF-8
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(["Email", "Имя", "Телефон", "Подписан", "Источник"])
        for sub in subscriptions.subscribers(db.session):
            writer.writerow(
                [
                    _csv_safe(sub.email),
                    _csv_safe(sub.full_name),
                    _csv_safe(sub.phone),
                    format_datetime(sub.subscribed_at),
                    sub.source.label if sub.source else "",
                ]
            )
        filename = f"subscribers-{shop_today().isoformat()}.csv"
        return Response(
            buffer.getvalue(),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @action("unsubscribe_action", "Отписать", "Отписать выбранных покупателей от рассылки?", "fa-bell-slash")
    def unsubscribe_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        actor = " ".join(p for p in (g.user.last_name, g.user.first_name) if p) or g.user.username
        act(
            lambda: sum(
                subscriptions.set_subscription(
                    db.session, customer, subscribed=False, source=ConsentSource.staff, actor=actor
                )
                for customer in items
            ),
            success=lambda n: f"Отписано: {n}.",
        )
        return redirect(self.get_redirect())


class FilterConsentEmail(BaseFilter):
    name = "email покупателя содержит"
    arg_name = "consent_email"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        text = (value or "").strip().lower()
        if not text:
            return query
        ids = db.select(Customer.id).where(Customer.email.ilike(f"%{text}%"))
        return query.filter(NewsletterConsent.customer_id.in_(ids))


class NewsletterConsentView(ShopModelView):
    datamodel = ShopInterface(
        NewsletterConsent,
        extra_filters={"customer_id": [FilterConsentEmail]},
        list_loads=[selectinload(NewsletterConsent.customer)],
    )
    list_title = "История согласий на рассылку"
    show_title = "Изменение согласия"
    base_permissions = ["can_list", "can_show"]
    list_columns = ["created_at", "customer", "subscribed", "source", "actor"]
    show_columns = list_columns
    search_columns = ["customer_id", "subscribed", "source", "created_at"]
    label_columns = {
        "created_at": "Когда",
        "customer": "Покупатель",
        "customer_id": "Покупатель",
        "subscribed": "Подписка",
        "source": "Откуда",
        "actor": "Сотрудник",
    }
    search_form_extra_fields = {"source": enum_select(ConsentSource, "Откуда")}
    formatters_columns = {
        "created_at": dt_cell,
        "subscribed": lambda v: "включена" if v else "выключена",
        "source": label_of(ConsentSource),
    }
    base_order = ("created_at", "desc")
    page_size = 50
