"""The dashboard page: a period, a grouping and filters in, the widgets of `app/reports/dashboard.py` out, as
Bokeh charts (BokehJS served by the app from the installed package) and tables; drill-down lists and CSV.

Permissions: `can_list` shows the revenue widget (Manager, Accountant, Admin), `can_all_widgets` the rest
(Manager, Admin).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import Response, abort, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from markupsafe import Markup

from app.extensions import db
from app.models import Category, JournalEntry, LineKind, PromoCode
from app.models.orders import DeliveryMethod
from app.reports import dashboard as report
from app.reports import metrics
from app.reports.dashboard import Filters, TopRow
from app.reports.metrics import Period
from app.services.errors import DomainError
from app.services.shoptime import shop_today, shop_tz
from app.views.admin.orders import CATEGORY_FILTER

PAGE_SIZE = 50
MAX_PAGE = 10_000


@dataclass
class Request:
    preset: str
    period: Period
    grouping: str
    filters: Filters
    error: str | None = None

    def args(self, **changes: Any) -> dict[str, Any]:
        values: dict[str, Any] = {
            "preset": self.preset,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "grouping": self.grouping,
            "category": self.filters.category_id,
            "segment": self.filters.segment,
            "delivery": self.filters.delivery,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def default_grouping(period: Period) -> str:
    days = (period.end - period.start).days + 1
    return "day" if days <= 62 else "week" if days <= 190 else "month"


def _int(name: str) -> int | None:
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 9:
        raise DomainError("Неверный параметр фильтра.")
    return int(value)


def parse_request() -> Request:
    """The page's controls; bad input shows a message and the default view (nothing else changes)."""
    preset = request.args.get("preset") or ("custom" if request.args.get("start") else "month")
    try:
        if preset not in report.PRESETS:
            raise DomainError("Неизвестный период.")
        period = (
            Period.parse(request.args.get("start"), request.args.get("end"))
            if preset == "custom"
            else report.preset_period(preset, shop_today())
        )
        grouping = request.args.get("grouping") or default_grouping(period)
        report.buckets(period, grouping)  # validates the grouping and the number of points
        filters = Filters(
            category_id=_int("category"),
            segment=request.args.get("segment") or None,
            delivery=request.args.get("delivery") or None,
        )
        return Request(preset, period, grouping, filters)
    except DomainError as exc:
        period = report.preset_period("month", shop_today())
        return Request("month", period, default_grouping(period), Filters(), error=exc.message)


def _embed(items: dict[str, dict]) -> Markup:
    """The charts as a JSON data block (not a script: the page's CSP runs only our files)."""
    text = json.dumps(items, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(f'<script type="application/json" id="dashboard-charts">{text}</script>')  # noqa: S704


def format_change(value: Decimal | None, *, suffix: str) -> str:
    """«+12,4 % к прошлому месяцу»."""
    if value is None:
        return "нет данных для сравнения"
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{str(abs(value)).replace('.', ',')} % {suffix}"


def change_class(value: Decimal | None) -> str:
    if value is None or value == 0:
        return "text-muted"
    return "text-success" if value > 0 else "text-danger"


def previous_label(req: Request) -> str:
    days = (req.period.end - req.period.start).days + 1
    if req.preset == "today":
        return "ко вчера"
    if req.preset in report.PRESET_DAYS:
        return f"к предыдущим {days} дн."
    return f"к {report.previous_period(req.period).label}"


class DashboardView(BaseView):
    route_base = "/dashboard"
    default_view = "index"
    base_permissions = ["can_list", "can_all_widgets"]
    method_permission_name = {"index": "list", "entries": "list", "export": "list"}

    def _all_widgets(self) -> bool:
        return self.appbuilder.sm.has_access("can_all_widgets", self.class_permission_name)

    # --- drill-down URLs ---------------------------------------------------------------------------------

    def _entries_url(self, req: Request, period: Period, **key: Any) -> str:
        return url_for(
            "DashboardView.entries",
            **req.args(start=period.start.isoformat(), end=period.end.isoformat(), preset="custom", **key),
        )

    def _orders_url(self, req: Request, period: Period) -> str:
        args: dict[str, Any] = {
            "_flt_0_created_at": period.start.isoformat(),
            "_flt_1_created_at": period.end.isoformat(),
        }
        if req.filters.delivery:
            args["_flt_0_delivery_method"] = req.filters.delivery
        if req.filters.segment:
            args["_flt_0_company"] = "company" if req.filters.segment == "b2b" else "private"
        if req.filters.category_id is not None:
            args[CATEGORY_FILTER] = str(req.filters.category_id)
        return url_for("OrderView.list", **args)

    def _top_url(self, req: Request, row: TopRow, rows: list[TopRow], kind: str) -> str:
        if row.key is None:  # «Остальные»: everything but the rows shown
            shown = ",".join(str(r.key) for r in rows if r.key is not None)
            return self._entries_url(req, req.period, **{f"except_{kind}": shown})
        return self._entries_url(req, req.period, **{"category_key" if kind == "category" else kind: row.key})

    @expose("/")
    @has_access
    def index(self):  # noqa: ANN201
        from app.reports import charts  # here: bokeh (~50 MB) loads in a worker that shows the dashboard, not in all

        req = parse_request()
        all_widgets = self._all_widgets()
        board = report.dashboard(db.session, req.period, req.grouping, req.filters, revenue_only=not all_widgets)
        items = {
            "chart-revenue": charts.revenue_chart(board.revenue, lambda p: self._entries_url(req, p)),
        }
        if all_widgets:
            items["chart-orders"] = charts.orders_chart(board.revenue, lambda p: self._orders_url(req, p))
        if board.top is not None and board.top.by_revenue:
            top = board.top
            items["chart-products"] = charts.top_chart(
                "products",
                "Товары по выручке, ₽",
                top.by_revenue,
                "revenue",
                lambda r: self._top_url(req, r, top.by_revenue, "product"),
            )
            items["chart-quantity"] = charts.top_chart(
                "quantity",
                "Товары по количеству, шт.",
                top.by_quantity,
                "quantity",
                lambda r: self._top_url(req, r, top.by_quantity, "product"),
            )
            items["chart-categories"] = charts.top_chart(
                "categories",
                "Категории по выручке, ₽",
                top.categories,
                "revenue",
                lambda r: self._top_url(req, r, top.categories, "category"),
            )
        if board.customers is not None and any(s.revenue for s in board.customers.segments.values()):
            segments = board.customers.segments
            items["chart-segments"] = charts.segments_chart(
                [report.SEGMENTS[k] for k in segments],
                [s.revenue for s in segments.values()],
                [self._entries_url(req, req.period, segment=k) for k in segments],
                "Выручка по типу клиента, ₽",
            )
        return self.render_template(
            "admin/dashboard/index.html",
            title="Дашборд",
            req=req,
            board=board,
            charts=_embed(items),
            chart_ids=set(items),
            all_widgets=all_widgets,
            presets=report.PRESETS,
            groupings=report.GROUPINGS,
            segments=report.SEGMENTS,
            points_rows=report.POINTS_ROWS,
            deliveries=list(DeliveryMethod),
            categories=db.session.execute(sa.select(Category.id, Category.name).order_by(Category.name)).all(),
            reconciled=report.reconciled(db.session, req.period),
            format_change=format_change,
            change_class=change_class,
            previous_label=previous_label(req),
            shop_zone=shop_tz().key,
            entries_url=lambda period, **key: self._entries_url(req, period, **key),
            export_url=lambda widget: url_for("DashboardView.export", widget=widget, **req.args()),
        )

    @expose("/entries")
    @has_access
    def entries(self):  # noqa: ANN201
        """The journal entries behind a figure; their sum is the figure."""
        req = parse_request()
        if req.error:
            abort(400)
        try:
            product, category, promo = _int("product"), _int("category_key"), _int("promo")
            segment = request.args.get("segment") or None
            except_products = _ids("except_product")
            except_categories = _ids("except_category")
            page = _int("page") or 0
        except DomainError:
            abort(400)
        if product is None and request.args.get("product"):
            abort(400)
        if not self._all_widgets() and (product or category is not None or promo or except_products):
            abort(403)
        where = report.drill_where(
            req.filters, product_id=product, category_id=category, segment=segment, promo_code_id=promo
        )
        if except_products is not None:
            where += [JournalEntry.line_kind == LineKind.product, JournalEntry.product_id.not_in(except_products)]
        if except_categories is not None:
            keep = [c for c in except_categories if c]
            where.append(sa.or_(JournalEntry.category_id.is_(None), JournalEntry.category_id.not_in(keep)))
            if 0 in except_categories:
                where.append(JournalEntry.category_id.is_not(None))
        sales = metrics.sales(db.session, req.period, *where)
        query = (
            sa.select(JournalEntry)
            .where(JournalEntry.kind.in_(metrics.SALE_SIDE), metrics.in_period(JournalEntry.day, req.period), *where)
            .order_by(JournalEntry.day, JournalEntry.id)
        )
        count = db.session.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar_one()
        page = min(page, MAX_PAGE)
        rows = db.session.scalars(query.offset(page * PAGE_SIZE).limit(PAGE_SIZE)).all()
        names = {
            "product": _name(sa.select(JournalEntry.product_name).where(JournalEntry.product_id == product))
            if product
            else "",
            "promo": _name(sa.select(PromoCode.code).where(PromoCode.id == promo)) if promo else "",
        }
        return self.render_template(
            "admin/dashboard/entries.html",
            title="Записи журнала за показателем",
            req=req,
            sales=sales,
            rows=rows,
            count=count,
            page=page,
            pages=(count + PAGE_SIZE - 1) // PAGE_SIZE,
            names=names,
            segment=segment,
            category=category,
            page_url=lambda n: url_for("DashboardView.entries", **{**request.args.to_dict(), "page": n}),
            back_url=url_for("DashboardView.index", **req.args()),
        )

    @expose("/export/<widget>.csv")
    @has_access
    def export(self, widget: str):  # noqa: ANN201
        if widget not in ("revenue", "products", "categories", "customers", "promos"):
            abort(404)
        all_widgets = self._all_widgets()
        if widget != "revenue" and not all_widgets:
            abort(403)
        req = parse_request()
        if req.error:
            abort(400)
        board = report.dashboard(db.session, req.period, req.grouping, req.filters, revenue_only=not all_widgets)
        header, rows = report.widget_table(board, widget)
        buffer = io.StringIO()
        buffer.write("\ufeff")
        writer = csv.writer(buffer, delimiter=";")
        writer.writerow(header)
        writer.writerows([[_csv_safe(cell) for cell in row] for row in rows])
        name = f"dashboard-{widget}-{req.period.start:%Y%m%d}-{req.period.end:%Y%m%d}.csv"
        return Response(
            buffer.getvalue(),
            mimetype="text/csv; charset=utf-8",
            headers={"Content-Disposition": f"attachment; filename={name}"},
        )


def _ids(name: str) -> list[int] | None:
    value = request.args.get(name)
    if value is None:
        return None
    parts = [p for p in value.split(",") if p.strip()]
    if len(parts) > 100 or not all(p.strip().isdigit() and len(p.strip()) <= 9 for p in parts):
        raise DomainError("Неверный список.")
    return [int(p) for p in parts]


def _name(query: sa.Select) -> str:
    return db.session.execute(query.limit(1)).scalar() or ""


def _csv_safe(value: str) -> str:
    """A product or promo name starting with = + - @ is not run by Excel as a formula."""
    return "'" + value if value[:1] in ("=", "+", "@") or (value[:1] == "-" and not _number(value)) else value


def _number(value: str) -> bool:
    try:
        float(value.replace(",", "."))
    except ValueError:
        return False
    return True
