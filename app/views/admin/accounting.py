"""Back-office accounting: the VAT, profit, expense and receivables reports with their drill-down to the
journal entries and expenses behind a figure, the monthly reconciliation, the journal itself, expenses and
their categories, and the shop's own requisites. Every figure comes from `app.reports.metrics`."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from flask import Response, abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.security.decorators import has_access
from wtforms import SelectField

from app.extensions import db
from app.models import (
    Expense,
    ExpenseCategory,
    ExpenseHistory,
    JournalEntry,
    JournalKind,
    JournalReason,
    PaymentMethod,
    SellerRequisites,
    VatRegime,
)
from app.reports import accounting, metrics
from app.reports.metrics import Period
from app.services.accounting import expenses, seller
from app.services.actors import Actor
from app.services.errors import DomainError, ValidationError
from app.services.money import format_rate
from app.services.shoptime import shop_today
from app.views.admin.base import (
    AmountField,
    ShopInterface,
    ShopModelView,
    bool_cell,
    dt_cell,
    enum_select,
    label_of,
    money_cell,
)
from app.views.common import act
from app.views.shop.files import send_stored

MAX_ENTRIES = 2000
REPORTS = {
    "vat": "НДС",
    "profit": "Прибыль",
    "expenses": "Расходы",
    "receivables": "Дебиторка",
    "reconciliation": "Сверка",
}


def _actor() -> Actor:
    return Actor.staff(g.user)


def _period(default: Period | None = None) -> Period:
    """The period of the request (start/end, or a month/quarter shortcut); bad input is named, the default shown."""
    try:
        if request.args.get("quarter") and request.args.get("year"):
            return Period.quarter(int(request.args["year"]), int(request.args["quarter"]))
        if request.args.get("month") and request.args.get("year"):
            return Period.month(int(request.args["year"]), int(request.args["month"]))
        return Period.parse(request.args.get("start"), request.args.get("end"), default=default)
    except (DomainError, ValueError, OverflowError) as exc:
        flash(exc.message if isinstance(exc, DomainError) else "Неверный период.", "danger")
        return default or Period.current_month()


def _export(name: str, period_label: str, tables: list[accounting.Table]) -> Response | None:
    kind = request.args.get("export")
    if kind not in ("csv", "xlsx"):
        return None
    stem = f"{name}-{period_label.replace(' ', '-').replace('.', '')}"
    if kind == "csv":
        body, mimetype = accounting.to_csv(tables), "text/csv; charset=utf-8"
    else:
        body, mimetype = accounting.to_xlsx(tables), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    from urllib.parse import quote

    response.headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(stem)}.{kind}"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _rate_arg(value: str | None) -> Decimal | None | str:
    if value in (None, "", "any"):
        return "any"
    if value == "none":
        return None
    try:
        return Decimal(value).quantize(Decimal("0.01"))
    except ArithmeticError:
        return "any"


class AccountingReportsView(BaseView):
    """The four reports, the reconciliation by month, and the entries behind any figure."""

    route_base = "/accounting"
    default_view = "vat"
    base_permissions = ["can_list"]
    method_permission_name = {
        name: "list" for name in ("vat", "profit", "expenses", "receivables", "reconciliation", "entries")
    }

    def _render(self, template: str, report_key: str, period: Period | None, **context: Any) -> str:
        return self.render_template(
            f"admin/accounting/{template}",
            reports=REPORTS,
            current=report_key,
            period=period,
            today=shop_today(),
            title=REPORTS.get(report_key, "Бухгалтерия"),
            **context,
        )

    @expose("/vat")
    @has_access
    def vat(self):  # noqa: ANN201
        today = shop_today()
        period = _period(Period.quarter(today.year, (today.month - 1) // 3 + 1))
        report = accounting.vat_report(db.session, period)
        return _export("nds", period.label, accounting.vat_tables(report)) or self._render(
            "vat.html", "vat", period, report=report
        )

    @expose("/profit")
    @has_access
    def profit(self):  # noqa: ANN201
        today = shop_today()
        period = _period(Period(date(today.year, 1, 1), Period.month(today.year, today.month).end))
        if len(period.months()) > 36:
            flash("Отчёт о прибыли — не больше 36 месяцев; показаны первые 36.", "warning")
            period = Period(period.start, period.months()[35].end)
        report = accounting.profit_report(db.session, period)
        return _export("pribyl", period.label, accounting.profit_tables(report)) or self._render(
            "profit.html", "profit", period, report=report
        )

    @expose("/expenses")
    @has_access
    def expenses(self):  # noqa: ANN201
        period = _period()
        report = accounting.expense_report(db.session, period)
        return _export("rashody", period.label, accounting.expense_tables(report)) or self._render(
            "expenses.html", "expenses", period, report=report
        )

    @expose("/receivables")
    @has_access
    def receivables(self):  # noqa: ANN201
        as_of = shop_today()
        if request.args.get("as_of"):
            try:
                as_of = Period.parse(request.args["as_of"], request.args["as_of"]).start
            except DomainError as exc:
                flash(exc.message, "danger")
        report = accounting.receivables_report(db.session, as_of)
        return _export("debitorka", as_of.strftime("%d.%m.%Y"), accounting.receivables_tables(report)) or self._render(
            "receivables.html", "receivables", None, report=report
        )

    @expose("/reconciliation")
    @has_access
    def reconciliation(self):  # noqa: ANN201
        today = shop_today()
        period = _period(Period(date(today.year, 1, 1), Period.month(today.year, today.month).end))
        if len(period.months()) > 36:
            flash("Сверка — не больше 36 месяцев за раз; показаны первые 36.", "warning")
            period = Period(period.start, period.months()[35].end)
        months = accounting.monthly_reconciliation(db.session, period)
        return self._render("reconciliation.html", "reconciliation", period, months=months)

    @expose("/entries")
    @has_access
    def entries(self):  # noqa: ANN201
        """The journal entries (or expenses) behind a figure: the period and the figure's own filters."""
        period = _period()
        source = request.args.get("source", "journal")
        if source == "expenses":
            query = db.select(Expense).where(metrics.in_period(Expense.day, period))
            if request.args.get("category"):
                query = query.where(Expense.category_id == _int(request.args["category"]))
            if request.args.get("inn") is not None and request.args.get("supplier"):
                query = query.where(Expense.supplier_name == request.args["supplier"])
            if request.args.get("vat") == "1":
                query = query.where(Expense.vat_amount != 0)
            rows = db.session.scalars(query.order_by(Expense.day, Expense.id).limit(MAX_ENTRIES + 1)).all()
            return self._render(
                "entries.html", "entries", period, expenses=rows[:MAX_ENTRIES], more=len(rows) > MAX_ENTRIES
            )
        kinds = {
            "sales": metrics.SALE_SIDE,
            "money": metrics.MONEY_SIDE,
            "all": tuple(JournalKind),
        }.get(request.args.get("kinds", "sales"), metrics.SALE_SIDE)
        category = request.args.get("category")
        query = journal_query(period, kinds, _rate_arg(request.args.get("rate")))
        if category == "none":
            query = query.where(JournalEntry.category_id.is_(None))
        elif category:
            query = query.where(JournalEntry.category_id == _int(category))
        if request.args.get("order"):
            query = query.where(JournalEntry.order_id == _int(request.args["order"]))
        rows = db.session.scalars(query.limit(MAX_ENTRIES + 1)).all()
        totals = {
            name: sum((getattr(r, name) for r in rows[:MAX_ENTRIES]), Decimal("0.00"))
            for name in ("gross", "discount", "points", "amount", "net", "vat", "cost")
        }
        return self._render(
            "entries.html", "entries", period, entries=rows[:MAX_ENTRIES], more=len(rows) > MAX_ENTRIES, totals=totals
        )


def journal_query(period: Period, kinds: tuple[JournalKind, ...], rate: Decimal | None | str):  # noqa: ANN201
    from app.services.accounting import journal

    return journal.entries_query(start=period.start, end=period.end, kinds=kinds, vat_rate=rate)


def _int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        abort(404)
    if not 1 <= number <= 2**63 - 1:
        abort(404)
    return number


class JournalEntryView(ShopModelView):
    """The sales journal as posted: read-only (the database refuses changes to it)."""

    datamodel = ShopInterface(JournalEntry)
    list_title = "Журнал реализации"
    show_title = "Запись журнала"
    base_permissions = ["can_list", "can_show"]
    list_columns = ["day", "kind", "reason", "order_number", "product_name", "vat_rate", "net", "vat", "amount"]
    show_columns = [
        "day",
        "posted_at",
        "kind",
        "reason",
        "order_number",
        "cycle",
        "line_position",
        "product_name",
        "category_name",
        "quantity",
        "vat_rate",
        "gross",
        "discount",
        "points",
        "amount",
        "net",
        "vat",
        "cost",
        "payment_method",
        "actor_name",
        "comment",
        "batch_id",
    ]
    search_columns = ["day", "kind", "reason", "order_number", "product_name", "category_name"]
    order_columns = ["day", "order_number", "amount"]
    base_order = ("id", "desc")
    label_columns = {
        "day": "День",
        "posted_at": "Проведено",
        "kind": "Вид",
        "reason": "Основание",
        "order_number": "Заказ",
        "cycle": "Реализация №",
        "line_position": "Позиция",
        "product_name": "Товар",
        "category_name": "Категория",
        "quantity": "Кол-во",
        "vat_rate": "Ставка НДС",
        "gross": "До скидок",
        "discount": "Скидка",
        "points": "Баллы",
        "amount": "Сумма с НДС",
        "net": "Без НДС",
        "vat": "НДС",
        "cost": "Себестоимость",
        "payment_method": "Способ оплаты",
        "actor_name": "Кто",
        "comment": "Комментарий",
        "batch_id": "Массовая операция",
    }
    search_form_extra_fields = {
        "kind": enum_select(JournalKind, "Вид"),
        "reason": enum_select(JournalReason, "Основание"),
    }
    formatters_columns = {
        "kind": label_of(JournalKind),
        "reason": label_of(JournalReason),
        "payment_method": label_of(PaymentMethod),
        "day": lambda d: d.strftime("%d.%m.%Y") if d else "",
        "posted_at": dt_cell,
        "vat_rate": lambda r: format_rate(r) if r is not None else "без НДС",
        **{c: money_cell for c in ("gross", "discount", "points", "amount", "net", "vat", "cost")},
    }


VAT_CHOICES = [(f"{r:.2f}", f"{r:g} %") for r in expenses.VAT_RATES] + [("", "без НДС")]


class ExpenseView(ShopModelView):
    """Expenses: entered and edited by the accountant (each edit in the history), cancelled by a reversal."""

    datamodel = ShopInterface(Expense)
    list_title = "Расходы"
    show_title = "Расход"
    add_title = "Новый расход"
    edit_title = "Расход"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_reverse"]
    list_columns = [
        "day",
        "category",
        "supplier_name",
        "supplier_inn",
        "amount",
        "vat_amount",
        "document_number",
        "comment",
    ]
    add_columns = edit_columns = [
        "day",
        "category",
        "supplier_name",
        "supplier_inn",
        "amount",
        "vat_rate",
        "vat_amount",
        "document_number",
        "document_date",
        "comment",
    ]
    show_columns = [*add_columns, "created_by", "created_at"]
    search_columns = ["day", "category", "supplier_name", "supplier_inn", "document_number"]
    order_columns = ["day", "amount", "supplier_name"]
    base_order = ("day", "desc")
    show_template = "admin/accounting/expense_show.html"
    label_columns = {
        "day": "Дата",
        "category": "Категория",
        "supplier_name": "Поставщик",
        "supplier_inn": "ИНН поставщика",
        "amount": "Сумма с НДС, ₽",
        "vat_rate": "Ставка НДС",
        "vat_amount": "НДС, ₽",
        "document_number": "Номер документа",
        "document_date": "Дата документа",
        "comment": "Комментарий",
        "created_by": "Внёс",
        "created_at": "Внесён",
    }
    description_columns = {
        "vat_amount": "Пусто — НДС выделяется из суммы по ставке («в том числе»).",
        "day": "День, к которому относится расход (по московскому времени).",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "amount": AmountField(
            "Сумма с НДС, ₽",
            places=2,
            widget=BS3TextFieldWidget(),
            description="Например 12 200,00",
        ),
        "vat_rate": SelectField("Ставка НДС", choices=VAT_CHOICES, default="22.00", widget=Select2Widget()),
        "vat_amount": AmountField(
            "НДС, ₽",
            places=2,
            widget=BS3TextFieldWidget(),
            description="Пусто — НДС выделяется из суммы по ставке («в том числе»).",
        ),
    }
    formatters_columns = {
        "day": lambda d: d.strftime("%d.%m.%Y") if d else "",
        "document_date": lambda d: d.strftime("%d.%m.%Y") if d else "",
        "amount": money_cell,
        "vat_amount": money_cell,
        "vat_rate": lambda r: format_rate(r) if r is not None else "без НДС",
        "created_at": dt_cell,
    }

    def pre_add(self, item: Expense) -> None:
        expenses.check(db.session, item)
        item.created_by = _actor().name[:200]

    def post_add(self, item: Expense) -> None:
        expenses.record_created(db.session, item, actor=_actor())
        db.session.commit()

    def pre_update(self, item: Expense) -> None:
        expenses.check(db.session, item)
        expenses.record_changes(db.session, item, actor=_actor())

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):  # noqa: ANN001, ANN201
        expense = db.session.get(Expense, int(pk))
        if expense is None:
            abort(404)
        widgets = self._get_show_widget(pk, expense)
        reversal = db.session.scalar(db.select(Expense).where(Expense.reverses_id == expense.id))
        history = db.session.scalars(
            db.select(ExpenseHistory).where(ExpenseHistory.expense_id == expense.id).order_by(ExpenseHistory.id)
        ).all()
        return self.render_template(
            self.show_template,
            pk=pk,
            title=self.show_title,
            widgets=widgets,
            expense=expense,
            reversal=reversal,
            history=history,
            labels=expenses.TRACKED,
            can_reverse=self._can("can_reverse"),
            can_edit=self._can("can_edit"),
        )

    @expose("/reverse/<int:pk>", methods=["POST"])
    @has_access
    def reverse(self, pk: int):  # noqa: ANN201
        outcome = act(
            lambda: expenses.reverse_expense(db.session, pk, actor=_actor(), reason=request.form.get("reason", "")),
            success="Расход сторнирован: создана обратная запись.",
            missing_is_404=True,
        )
        target = outcome.result.id if outcome.result is not None else pk
        return redirect(url_for(".show", pk=target))

    @expose("/scan/<int:pk>", methods=["POST"])
    @has_access
    def scan(self, pk: int):  # noqa: ANN201
        upload = request.files.get("scan")
        if upload is None or not upload.filename:
            flash("Выберите файл скана (PDF, PNG или JPEG).", "danger")
            return redirect(url_for(".show", pk=pk))
        act(
            lambda: expenses.attach_scan(
                db.session, pk, actor=_actor(), stream=upload.stream, filename=upload.filename
            ),
            success="Скан прикреплён.",
            missing_is_404=True,
        )
        return redirect(url_for(".show", pk=pk))

    @expose("/scan_file/<int:pk>")
    @has_access
    def scan_file(self, pk: int):  # noqa: ANN201
        expense = db.session.get(Expense, pk)
        if expense is None or expense.scan_file is None:
            abort(404)
        return send_stored(expense.scan_file)


ExpenseView.method_permission_name = {"scan": "edit", "scan_file": "show", "reverse": "reverse"}


class ExpenseCategoryView(ShopModelView):
    datamodel = ShopInterface(ExpenseCategory)
    list_title = "Категории расходов"
    show_title = add_title = edit_title = "Категория расходов"
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = add_columns = edit_columns = show_columns = ["name", "position", "is_active"]
    label_columns = {"name": "Название", "position": "Порядок", "is_active": "Используется"}
    formatters_columns = {"is_active": bool_cell}
    base_order = ("position", "asc")

    def _check(self, item: ExpenseCategory) -> None:
        item.name = " ".join((item.name or "").split())[:120]
        if not item.name:
            raise ValidationError("Укажите название категории.")

    def pre_add(self, item: ExpenseCategory) -> None:
        self._check(item)

    def pre_update(self, item: ExpenseCategory) -> None:
        self._check(item)


class SellerRequisitesView(ShopModelView):
    """The shop's requisites: each save is a new version in force from its date (the list is the history)."""

    datamodel = ShopInterface(SellerRequisites)
    list_title = "Реквизиты магазина (история)"
    show_title = "Реквизиты магазина"
    add_title = "Новые реквизиты магазина"
    base_permissions = ["can_list", "can_show", "can_add"]
    list_columns = ["valid_from", "short_name", "inn", "kpp", "vat_regime", "actor_name", "created_at"]
    add_columns = [
        "valid_from",
        "full_name",
        "short_name",
        "inn",
        "kpp",
        "ogrn",
        "legal_address",
        "postal_address",
        "bank_name",
        "bik",
        "correspondent_account",
        "settlement_account",
        "director",
        "chief_accountant",
        "vat_regime",
        "comment",
    ]
    show_columns = [*add_columns, "actor_name", "created_at"]
    base_order = ("valid_from", "desc")
    label_columns = {
        "valid_from": "Действуют с",
        "full_name": "Полное наименование",
        "short_name": "Краткое наименование",
        "inn": "ИНН",
        "kpp": "КПП",
        "ogrn": "ОГРН / ОГРНИП",
        "legal_address": "Юридический адрес",
        "postal_address": "Почтовый адрес",
        "bank_name": "Банк",
        "bik": "БИК",
        "correspondent_account": "Корр. счёт",
        "settlement_account": "Расчётный счёт",
        "director": "Руководитель",
        "chief_accountant": "Главный бухгалтер",
        "vat_regime": "Налогообложение",
        "comment": "Комментарий",
        "actor_name": "Кто изменил",
        "created_at": "Когда",
    }
    add_form_extra_fields = {"vat_regime": enum_select(VatRegime, "Налогообложение", default=VatRegime.osno.value)}
    formatters_columns = {
        "vat_regime": label_of(VatRegime),
        "valid_from": lambda d: d.strftime("%d.%m.%Y") if d else "",
        "created_at": dt_cell,
    }

    def pre_add(self, item: SellerRequisites) -> None:
        values = seller.check(
            seller.SellerData(
                **{
                    name: getattr(item, name) or ""
                    for name in (
                        "full_name",
                        "short_name",
                        "inn",
                        "kpp",
                        "ogrn",
                        "legal_address",
                        "bank_name",
                        "bik",
                        "correspondent_account",
                        "settlement_account",
                        "director",
                        "postal_address",
                        "chief_accountant",
                    )
                },
                vat_regime=(item.vat_regime.value if isinstance(item.vat_regime, VatRegime) else str(item.vat_regime)),
            )
        )
        for name, value in values.items():
            setattr(item, name, value)
        item.valid_from = item.valid_from or shop_today()
        item.comment = (item.comment or "").strip()
        item.actor_name = _actor().name[:200]
