"""Back-office support desk: the ticket queue (filters, quick search, SLA breaches, mass assignment), the ticket
page (conversation with the customer's orders and files, replies, internal notes, canned replies, state,
assignee, priority and tags, the free reprint of a misprint), canned replies, SLA targets and the figures.

Permissions (see permissions.py): can_reply (replies, notes, states), can_assign, can_edit_ticket,
can_reprint, can_stats on TicketView.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import expose
from flask_appbuilder.actions import action
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterContains, FilterEqual, FilterNotEqual
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup
from wtforms import SelectField, StringField

from app.extensions import db
from app.models import (
    CannedReply,
    Company,
    Customer,
    Order,
    SlaTarget,
    Ticket,
    TicketPriority,
    TicketState,
    TicketTopic,
)
from app.reports.ticket_timeline import staff_timeline
from app.services import working_calendar
from app.services.actors import Actor, staff_name
from app.services.errors import DomainError, NotFound
from app.services.shoptime import format_datetime, now
from app.services.support import attachments, canned, reprint, sla, stats, tickets
from app.services.support.attachments import Upload
from app.views.admin.base import ShopInterface, ShopModelView, bool_cell, dt_cell, enum_select, label_of, link
from app.views.common import act
from app.views.shop.files import send_stored

STATE_STYLES = {
    "new": "label-info",
    "in_progress": "label-primary",
    "waiting": "label-warning",
    "resolved": "label-success",
    "closed": "label-default",
}
PRIORITY_STYLES = {"low": "label-default", "normal": "label-default", "high": "label-warning", "urgent": "label-danger"}


def state_cell(value) -> Markup:  # noqa: ANN001
    state = TicketState(value)
    return Markup('<span class="label %s">%s</span>') % (STATE_STYLES[state.value], state.label)


def priority_cell(value) -> Markup:  # noqa: ANN001
    priority = TicketPriority(value)
    return Markup('<span class="label %s">%s</span>') % (PRIORITY_STYLES[priority.value], priority.label)


def sla_cell(due: datetime | None) -> Markup:
    """The next running due time: red when passed, orange when near."""
    if due is None:
        return Markup('<span class="text-muted">—</span>')
    moment = now()
    if due <= moment:
        return Markup('<span class="label label-danger" data-sla="breached">просрочено %s</span>') % format_datetime(
            due
        )
    if working_calendar.add_working_hours(due, -sla.warning_hours()) <= moment:
        return Markup('<span class="label label-warning" data-sla="soon">скоро: %s</span>') % format_datetime(due)
    return Markup('<span data-sla="running">до %s</span>') % format_datetime(due)


class FilterTicketSearch(BaseFilter):
    """One box: ticket number, subject, customer's email or name, order number."""

    name = "содержит (№, тема, email, имя, заказ)"
    arg_name = "ticket_search"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        text = (value or "").strip().lstrip("№").strip()
        if not text:
            return query
        pattern = f"%{text.lower()}%"
        customers = sa.select(Customer.id).where(
            sa.or_(sa.func.lower(Customer.email).like(pattern), sa.func.lower(Customer.full_name).like(pattern))
        )
        found_orders = sa.select(Order.id).where(Order.number.like(f"%{text}%"))
        conditions = [
            sa.func.lower(Ticket.subject).like(pattern),
            Ticket.customer_id.in_(customers),
            Ticket.order_id.in_(found_orders),
        ]
        if text.isdigit() and len(text) <= 9:
            conditions.append(Ticket.id == int(text))
        return query.filter(sa.or_(*conditions))


class FilterTicketSla(BaseFilter):
    name = "SLA"
    arg_name = "ticket_sla"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        moment = now()
        if value == "breached":
            return query.filter(Ticket.sla_due_at <= moment)
        if value == "soon":
            return query.filter(Ticket.sla_warning_at <= moment, Ticket.sla_due_at > moment)
        if value == "attention":
            return query.filter(Ticket.sla_warning_at <= moment)
        return query


class FilterTicketCustomer(BaseFilter):
    name = "email или имя содержит"
    arg_name = "ticket_customer"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        text = (value or "").strip().lower()
        if not text:
            return query
        ids = sa.select(Customer.id).where(
            sa.or_(sa.func.lower(Customer.email).contains(text), sa.func.lower(Customer.full_name).contains(text))
        )
        return query.filter(Ticket.customer_id.in_(ids))


class FilterTicketOrder(BaseFilter):
    name = "номер содержит"
    arg_name = "ticket_order"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        text = (value or "").strip()
        if not text:
            return query
        return query.filter(Ticket.order_id.in_(sa.select(Order.id).where(Order.number.like(f"%{text}%"))))


class FilterTicketCompany(BaseFilter):
    name = "название или ИНН содержит"
    arg_name = "ticket_company"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        text = (value or "").strip().lower()
        if not text:
            return query
        ids = sa.select(Company.id).where(
            sa.or_(sa.func.lower(Company.short_name).contains(text), Company.inn.contains(text))
        )
        return query.filter(Ticket.company_id.in_(ids))


class FilterAssignee(BaseFilter):
    """The staff member in charge, from a list; «none»: nobody yet."""

    name = "равно"
    arg_name = "ticket_assignee"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        value = (value or "").strip()
        if value == "none":
            return query.filter(Ticket.assignee_id.is_(None))
        if value.isdigit():
            return query.filter(Ticket.assignee_id == int(value))
        return query


def _staff_choices() -> list[tuple[str, str]]:
    return [("none", "— не назначен —")] + [(str(u.id), staff_name(u)) for u in tickets.support_staff(db.session)]


class AssigneeSelect(SelectField):
    """The staff list is read when the search form is built (staff change while the app runs)."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.choices = _staff_choices()


class TicketView(ShopModelView):
    datamodel = ShopInterface(
        Ticket,
        extra_filters={
            "subject": [FilterTicketSearch, FilterContains],
            "sla_due_at": [FilterTicketSla],
            "customer": [FilterTicketCustomer],
            "order": [FilterTicketOrder],
            "company": [FilterTicketCompany],
            "assignee": [FilterAssignee],
            "state": [FilterEqual, FilterNotEqual],
        },
        list_loads=[sa.orm.selectinload(Ticket.customer), sa.orm.selectinload(Ticket.assignee)],
    )
    list_title = "Обращения"
    show_title = "Обращение"
    base_permissions = [
        "can_list",
        "can_show",
        "can_download",
        "can_reply",
        "can_assign",
        "can_edit_ticket",
        "can_reprint",
        "can_stats",
    ]
    method_permission_name = {
        "reply": "reply",
        "note": "reply",
        "change_state": "reply",
        "assign": "assign",
        "assign_action": "assign",
        "mass_assign": "assign",
        "update_details": "edit_ticket",
        "create_reprint": "reprint",
        "stats": "stats",
    }
    list_columns = [
        "id",
        "subject",
        "customer",
        "topic",
        "state",
        "priority",
        "assignee",
        "sla_due_at",
        "last_message_at",
    ]
    search_columns = [
        "subject",
        "state",
        "topic",
        "priority",
        "assignee",
        "sla_due_at",
        "customer",
        "order",
        "company",
        "tags",
        "created_at",
    ]
    order_columns = ["id", "state", "priority", "sla_due_at", "last_message_at", "created_at"]
    label_columns = {
        "id": "№",
        "subject": "Тема обращения",
        "customer": "Покупатель",
        "topic": "Тема",
        "state": "Статус",
        "priority": "Приоритет",
        "assignee": "Ответственный",
        "sla_due_at": "Срок SLA",
        "last_message_at": "Последнее сообщение",
        "order": "Заказ",
        "company": "Компания",
        "tags": "Метки",
        "created_at": "Создано",
    }
    search_form_extra_fields = {
        "state": enum_select(TicketState, "Статус"),
        "topic": enum_select(TicketTopic, "Тема"),
        "priority": enum_select(TicketPriority, "Приоритет"),
        "sla_due_at": SelectField(
            "Срок SLA",
            choices=[("breached", "просрочен"), ("soon", "скоро срок"), ("attention", "просрочен или скоро")],
        ),
        "customer": StringField("Покупатель"),
        "order": StringField("Заказ"),
        "company": StringField("Компания"),
        "assignee": AssigneeSelect("Ответственный"),
    }
    formatters_columns = {
        "id": lambda pk: link(f"show/{pk}", f"№\u00a0{pk}"),
        "topic": label_of(TicketTopic),
        "state": state_cell,
        "priority": priority_cell,
        "assignee": lambda user: staff_name(user) if user else "",
        "customer": lambda c: c.display_name if c else "",
        "sla_due_at": sla_cell,
        "last_message_at": dt_cell,
        "created_at": dt_cell,
    }
    list_template = "admin/support/ticket_list.html"
    base_order = ("last_message_at", "desc")
    page_size = 50

    # --- helpers ------------------------------------------------------------------------------------------

    def _actor(self) -> Actor:
        return Actor.staff(g.user)

    def _ticket(self, pk: int) -> Ticket:
        try:
            return tickets.staff_ticket(db.session, pk)
        except NotFound:
            abort(404)

    def _uploads(self) -> list[Upload]:
        return [Upload(f.stream, f.filename or "file") for f in request.files.getlist("files") if f and f.filename]

    def _run(self, pk: int, work, done: str):  # noqa: ANN001, ANN202
        """Call one service in its own transaction, flash the outcome, back to the ticket."""
        act(work, success=done)
        return redirect(url_for(".show", pk=pk))

    # --- the ticket page -----------------------------------------------------------------------------------

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):  # noqa: ANN001, ANN201
        try:
            ticket = self._ticket(int(pk))
        except ValueError:
            abort(404)
        moment = now()
        replies = canned.replies_for(db.session, ticket.topic)
        can_reprint = self._can("can_reprint")
        return self.render_template(
            "admin/support/ticket_show.html",
            ticket=ticket,
            timeline=staff_timeline(ticket.history),
            first_clock=sla.first_response_clock(ticket, moment),
            resolution_clock=sla.resolution_clock(ticket, moment),
            targets=sla.targets_for(db.session, ticket.topic, ticket.priority),
            states=tickets.allowed_states(ticket),
            reply_states=tickets.REPLY_STATES,
            staff=tickets.support_staff(db.session),
            canned=[(c, canned.fill(c.body, ticket)) for c in replies],
            context=tickets.customer_context(db.session, ticket),
            reprint=reprint.reprint_of(db.session, ticket),
            reprint_refusal=reprint.refusal(db.session, ticket) if can_reprint else None,
            topics=list(TicketTopic),
            priorities=list(TicketPriority),
            files_label=attachments.limits_label(),
            can_reply=self._can("can_reply"),
            can_assign=self._can("can_assign"),
            can_edit=self._can("can_edit_ticket"),
            can_reprint=can_reprint,
            can_download=self._can("can_download"),
            can_see_orders=self.appbuilder.sm.has_access("can_show", "OrderView"),
            title=f"Обращение № {ticket.id}",
        )

    @expose("/reply/<int:pk>", methods=["POST"])
    @has_access
    def reply(self, pk: int):  # noqa: ANN201
        ticket = self._ticket(pk)
        form = request.form
        return self._run(
            pk,
            lambda: tickets.staff_reply(
                db.session,
                ticket,
                actor=self._actor(),
                body=form.get("body", ""),
                then=form.get("then", TicketState.waiting.value),
                uploads=self._uploads(),
            ),
            "Ответ отправлен покупателю.",
        )

    @expose("/note/<int:pk>", methods=["POST"])
    @has_access
    def note(self, pk: int):  # noqa: ANN201
        ticket = self._ticket(pk)
        return self._run(
            pk,
            lambda: tickets.add_note(
                db.session, ticket, actor=self._actor(), body=request.form.get("body", ""), uploads=self._uploads()
            ),
            "Заметка добавлена (покупатель её не видит).",
        )

    @expose("/state/<int:pk>", methods=["POST"])
    @has_access
    def change_state(self, pk: int):  # noqa: ANN201
        ticket = self._ticket(pk)
        return self._run(
            pk,
            lambda: tickets.change_state(
                db.session,
                ticket,
                request.form.get("state", ""),
                actor=self._actor(),
                comment=request.form.get("comment", ""),
            ),
            "Статус обращения изменён.",
        )

    @expose("/assign/<int:pk>", methods=["POST"])
    @has_access
    def assign(self, pk: int):  # noqa: ANN201
        ticket = self._ticket(pk)
        return self._run(
            pk,
            lambda: tickets.assign(
                db.session,
                ticket,
                g.user.id if request.form.get("take") else tickets.parse_assignee(request.form.get("assignee_id")),
                actor=self._actor(),
                comment=request.form.get("comment", ""),
            ),
            "Ответственный сохранён.",
        )

    @expose("/details/<int:pk>", methods=["POST"])
    @has_access
    def update_details(self, pk: int):  # noqa: ANN201
        ticket = self._ticket(pk)
        form = request.form
        return self._run(
            pk,
            lambda: tickets.update_details(
                db.session,
                ticket,
                actor=self._actor(),
                priority=form.get("priority", ticket.priority.value),
                topic=form.get("topic", ticket.topic.value),
                tags=form.get("tags", ticket.tags),
            ),
            "Приоритет, тема и метки сохранены.",
        )

    @expose("/reprint/<int:pk>", methods=["POST"])
    @has_access
    def create_reprint(self, pk: int):  # noqa: ANN201
        ticket = self._ticket(pk)
        act(
            lambda: reprint.create_reprint(
                db.session, ticket, actor=self._actor(), reason=request.form.get("reason", "")
            ),
            success=lambda order: f"Оформлена бесплатная перепечатка: заказ {order.number}.",
        )
        return redirect(url_for(".show", pk=pk))

    @expose("/file/<int:attachment_id>")
    @has_access
    def download(self, attachment_id: int):  # noqa: ANN201
        try:
            return send_stored(attachments.for_staff(db.session, attachment_id=attachment_id))
        except NotFound:
            abort(404)

    # --- mass assignment ------------------------------------------------------------------------------------

    @action("assign_action", "Назначить ответственного", None, "fa-user", multiple=True, single=False)
    def assign_action(self, items):  # noqa: ANN001, ANN201
        items = items if isinstance(items, list) else [items]
        return redirect(url_for(".mass_assign", ids=",".join(str(i.id) for i in items if i is not None)))

    @expose("/mass-assign", methods=["GET", "POST"])
    @has_access
    def mass_assign(self):  # noqa: ANN201
        raw = request.values.get("ids", "")
        ids = [int(part) for part in raw.split(",") if part.strip().isdigit()][:1000]
        found = list(db.session.scalars(sa.select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id))) if ids else []
        if not found:
            flash("Не выбрано ни одного обращения.", "danger")
            return redirect(url_for(".list"))
        if request.method == "POST":
            outcome = act(
                lambda: tickets.assign_many(
                    db.session,
                    [t.id for t in found],
                    tickets.parse_assignee(request.form.get("assignee_id")),
                    actor=self._actor(),
                    comment=request.form.get("comment", ""),
                ),
                success=lambda counts: f"Назначено: {counts[0]}; без изменений (закрытые или уже у него): {counts[1]}.",
            )
            if outcome.ok:
                return redirect(url_for(".list"))
        return self.render_template(
            "admin/support/mass_assign.html",
            tickets=found,
            ids=",".join(str(t.id) for t in found),
            staff=tickets.support_staff(db.session),
            title="Назначить ответственного",
        )

    # --- figures ---------------------------------------------------------------------------------------------

    @expose("/stats")
    @has_access
    def stats(self):  # noqa: ANN201
        error = None
        try:
            day_from, day_to = stats.parse_period(request.args.get("day_from"), request.args.get("day_to"))
        except DomainError as exc:
            error = exc.message
            day_from, day_to = stats.parse_period(None, None)
        return self.render_template(
            "admin/support/stats.html",
            figures=stats.figures(db.session, day_from=day_from, day_to=day_to),
            error=error,
            topics=list(TicketTopic),
            states=list(TicketState),
            title="Показатели поддержки",
        )


class CannedReplyView(ShopModelView):
    datamodel = ShopInterface(CannedReply)
    list_title = "Шаблоны ответов"
    show_title = "Шаблон ответа"
    add_title = "Новый шаблон ответа"
    edit_title = "Шаблон ответа"
    list_columns = ["title", "topic", "is_active", "updated_at"]
    add_columns = edit_columns = ["title", "topic", "body", "is_active"]
    show_columns = ["title", "topic", "body", "is_active", "created_at", "updated_at"]
    search_columns = ["title", "body", "topic", "is_active"]
    label_columns = {
        "title": "Название",
        "topic": "Тема обращений",
        "body": "Текст",
        "is_active": "Используется",
        "created_at": "Создан",
        "updated_at": "Изменён",
    }
    description_columns = {
        "body": "Можно подставить: {имя} — имя покупателя, {обращение} — номер обращения, {заказ} — номер заказа.",
        "topic": "Пусто — для любых обращений.",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "topic": SelectField(
            "Тема обращений",
            choices=[("", "— любая —")] + TicketTopic.choices(),
            coerce=lambda v: TicketTopic(v) if v else None,
        )
    }
    search_form_extra_fields = {"topic": enum_select(TicketTopic, "Тема обращений")}
    formatters_columns = {
        "topic": lambda v: label_of(TicketTopic)(v) or "любая",
        "is_active": bool_cell,
        "created_at": dt_cell,
        "updated_at": dt_cell,
    }
    base_order = ("title", "asc")

    def _check(self, item: CannedReply) -> None:
        item.title, item.body = canned.clean(item.title, item.body)

    def pre_add(self, item: CannedReply) -> None:
        self._check(item)

    def pre_update(self, item: CannedReply) -> None:
        self._check(item)


class SlaTargetView(ShopModelView):
    datamodel = ShopInterface(SlaTarget)
    list_title = "Сроки SLA (рабочие часы)"
    show_title = "Срок SLA"
    add_title = "Новый срок SLA"
    edit_title = "Срок SLA"
    list_columns = ["topic", "priority", "first_response_hours", "resolution_hours"]
    add_columns = edit_columns = show_columns = list_columns
    search_columns = ["topic", "priority"]
    label_columns = {
        "topic": "Тема",
        "priority": "Приоритет",
        "first_response_hours": "Первый ответ, раб. ч",
        "resolution_hours": "Решение, раб. ч",
    }
    description_columns = {
        "first_response_hours": "Рабочие часы: пн–пт 9–18 по Москве, без праздников производственного календаря.",
        "resolution_hours": "Не считая времени, пока обращение ждёт ответа клиента.",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "topic": enum_select(TicketTopic, "Тема"),
        "priority": enum_select(TicketPriority, "Приоритет"),
    }
    search_form_extra_fields = {
        "topic": enum_select(TicketTopic, "Тема"),
        "priority": enum_select(TicketPriority, "Приоритет"),
    }
    formatters_columns = {"topic": label_of(TicketTopic), "priority": label_of(TicketPriority)}
    list_template = "admin/support/sla_list.html"
    base_order = ("topic", "asc")

    def pre_add(self, item: SlaTarget) -> None:
        sla.check_target(item.first_response_hours, item.resolution_hours)

    def pre_update(self, item: SlaTarget) -> None:
        sla.check_target(item.first_response_hours, item.resolution_hours)

    @expose("/list/")
    @has_access
    def list(self):  # noqa: ANN201
        widgets = self._list()
        return self.render_template(
            self.list_template,
            title=self.list_title,
            widgets=widgets,
            table=sla.target_table(db.session),
        )
