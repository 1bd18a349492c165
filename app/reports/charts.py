"""Bokeh charts of the dashboard, drawn from `app/reports/dashboard.py`'s figures (never from a query of their own).

Each chart is a `json_item` the page embeds with BokehJS served by the app (no CDN, no inline script: the
JSON sits in a data block and `dashboard.js` hands it to `Bokeh.embed.embed_item`). Clicking a bar opens
the URL in its `drill` column (a TapTool with OpenURL: no JavaScript code in the document, so the page's
Content-Security-Policy holds). Tooltips show preformatted Russian text (₽, decimal comma).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from bokeh.embed import json_item
from bokeh.embed.standalone import StandaloneEmbedJson
from bokeh.models import (
    ColumnDataSource,
    DatetimeTickFormatter,
    FixedTicker,
    HoverTool,
    OpenURL,
    TapTool,
)
from bokeh.plotting import figure

from app.reports.dashboard import Point, RevenueWidget, TopRow
from app.reports.metrics import Period
from app.services.money import format_money

CURRENT = "#2c7fb8"
PREVIOUS = "#9aa5b1"
PALETTE = ("#2c7fb8", "#41ab5d", "#fd8d3c", "#807dba", "#e7298a", "#66c2a5", "#a6761d", "#666666", "#bbbbbb")
DrillUrl = Callable[[Period], str]


def _moment(day: date) -> datetime:
    return datetime.combine(day, time(12))


def _width_ms(points: list[Point]) -> float:
    if not points:
        return 86_400_000 * 0.8
    days = min((p.period.end - p.period.start).days + 1 for p in points)
    longest = max((p.period.end - p.period.start).days + 1 for p in points)
    return 86_400_000 * max(days, min(longest, 28 if longest < 300 else 330)) * 0.8


def _base(title: str, *, height: int = 300, x_datetime: bool = True, y_range: Any = None) -> Any:
    options: dict[str, Any] = {"y_range": y_range} if y_range is not None else {}
    plot = figure(
        title=title,
        height=height,
        sizing_mode="stretch_width",
        x_axis_type="datetime" if x_datetime else "linear",
        tools="box_zoom,reset,save",
        toolbar_location="above",
        **options,
    )
    plot.toolbar.logo = None
    plot.toolbar.autohide = True
    if x_datetime:
        plot.xaxis.formatter = DatetimeTickFormatter(
            days="%d.%m", months="%m.%Y", years="%Y", hours="%d.%m", minutes="%d.%m"
        )
    return plot


def _short(value: float) -> str:
    """Axis labels in Russian: «2,5 млн», «500 тыс.», «40»."""
    for size, unit in ((1_000_000_000, "млрд"), (1_000_000, "млн"), (1_000, "тыс.")):
        if abs(value) >= size:
            number = f"{value / size:.1f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{number} {unit}"
    return f"{value:.0f}"


def _axis(axis: Any, values: list[float]) -> None:
    """Ticks chosen here and labelled in Russian (a JavaScript formatter would need 'unsafe-eval')."""
    top = max([0.0, *values])
    low = min([0.0, *values])
    span = (top - low) or 1.0
    step = 10 ** math.floor(math.log10(span / 4))
    for factor in (1, 2, 2.5, 5, 10):
        if span / (step * factor) <= 6:
            step *= factor
            break
    ticks = [step * i for i in range(math.floor(low / step), math.ceil(top / step) + 1)]
    axis.ticker = FixedTicker(ticks=ticks)
    axis.major_label_overrides = {tick: _short(tick) for tick in ticks}


def _legend(plot: Any) -> None:
    """The legend above the chart, in one row: it never hides a bar."""
    legend = plot.legend[0]
    plot.legend.orientation = "horizontal"
    plot.legend.label_text_font_size = "11px"
    plot.legend.border_line_alpha = 0
    plot.add_layout(legend, "above")


def _money_text(value: Decimal) -> str:
    return format_money(value).replace("\u00a0", " ")


def _tap(plot: Any, renderer: Any) -> None:
    plot.add_tools(TapTool(renderers=[renderer], callback=OpenURL(url="@drill", same_tab=True)))


def revenue_chart(widget: RevenueWidget, drill: DrillUrl) -> StandaloneEmbedJson:
    """Revenue (realisation) per bucket as bars, the previous period of the same length as a line over them."""
    shift = widget.period.start - widget.previous.start
    source = ColumnDataSource(
        {
            "x": [_moment(p.period.start) for p in widget.points],
            "revenue": [float(p.sales.revenue) for p in widget.points],
            "label": [p.label for p in widget.points],
            "text": [_money_text(p.sales.revenue) for p in widget.points],
            "orders": [p.sales.orders for p in widget.points],
            "drill": [drill(p.period) for p in widget.points],
        }
    )
    previous = ColumnDataSource(
        {
            "x": [_moment(p.period.start + shift) for p in widget.previous_points],
            "revenue": [float(p.sales.revenue) for p in widget.previous_points],
            "label": [p.label for p in widget.previous_points],
            "text": [_money_text(p.sales.revenue) for p in widget.previous_points],
        }
    )
    plot = _base("Выручка (реализация), ₽")
    bars = plot.vbar(
        x="x", top="revenue", width=_width_ms(widget.points), source=source, color=CURRENT, legend_label="Период"
    )
    line = plot.line(x="x", y="revenue", source=previous, color=PREVIOUS, line_width=2, line_dash="dashed")
    plot.scatter(x="x", y="revenue", source=previous, color=PREVIOUS, size=5, legend_label="Предыдущий период")
    _axis(plot.yaxis, [float(p.sales.revenue) for p in widget.points + widget.previous_points])
    plot.add_tools(
        HoverTool(renderers=[bars], tooltips=[("Период", "@label"), ("Выручка", "@text"), ("Заказов", "@orders")])
    )
    plot.add_tools(HoverTool(renderers=[line], tooltips=[("Предыдущий", "@label"), ("Выручка", "@text")]))
    _tap(plot, bars)
    _legend(plot)
    return json_item(plot)


def orders_chart(widget: RevenueWidget, drill: DrillUrl) -> StandaloneEmbedJson:
    """Orders placed per bucket (by order date), with the previous period."""
    shift = widget.period.start - widget.previous.start
    source = ColumnDataSource(
        {
            "x": [_moment(p.period.start) for p in widget.points],
            "placed": [p.placed for p in widget.points],
            "label": [p.label for p in widget.points],
            "drill": [drill(p.period) for p in widget.points],
        }
    )
    previous = ColumnDataSource(
        {
            "x": [_moment(p.period.start + shift) for p in widget.previous_points],
            "placed": [p.placed for p in widget.previous_points],
            "label": [p.label for p in widget.previous_points],
        }
    )
    plot = _base("Оформлено заказов (по дате заказа)")
    bars = plot.vbar(
        x="x", top="placed", width=_width_ms(widget.points), source=source, color="#41ab5d", legend_label="Период"
    )
    plot.line(x="x", y="placed", source=previous, color=PREVIOUS, line_width=2, line_dash="dashed")
    plot.scatter(x="x", y="placed", source=previous, color=PREVIOUS, size=5, legend_label="Предыдущий период")
    _axis(plot.yaxis, [float(p.placed) for p in widget.points + widget.previous_points])
    plot.add_tools(HoverTool(renderers=[bars], tooltips=[("Период", "@label"), ("Оформлено", "@placed")]))
    _tap(plot, bars)
    _legend(plot)
    return json_item(plot)


def top_chart(title: str, rows: list[TopRow], measure: str, drill: Callable[[TopRow], str]) -> StandaloneEmbedJson:
    """Horizontal bars, the largest on top; «Остальные» last."""
    rows = list(reversed(rows))
    names = [r.name for r in rows]
    values = [float(r.sales.revenue) if measure == "revenue" else r.quantity for r in rows]
    source = ColumnDataSource(
        {
            "name": names,
            "value": values,
            "text": [_money_text(r.sales.revenue) for r in rows],
            "quantity": [f"{r.quantity:,}".replace(",", " ") for r in rows],
            "drill": [drill(r) for r in rows],
            "color": [PALETTE[-1] if r.key is None else PALETTE[0 if measure == "revenue" else 1] for r in rows],
        }
    )
    plot = _base(title, height=max(160, 34 * len(rows) + 70), x_datetime=False, y_range=names)
    bars = plot.hbar(y="name", right="value", height=0.7, source=source, color="color")
    _axis(plot.xaxis, [float(v) for v in values])
    plot.add_tools(HoverTool(renderers=[bars], tooltips=[("", "@name"), ("Выручка", "@text"), ("Штук", "@quantity")]))
    _tap(plot, bars)
    return json_item(plot)


def segments_chart(labels: list[str], values: list[Decimal], drills: list[str], title: str) -> StandaloneEmbedJson:
    source = ColumnDataSource(
        {
            "name": labels,
            "value": [float(v) for v in values],
            "text": [_money_text(v) for v in values],
            "drill": drills,
            "color": list(PALETTE[: len(labels)]),
        }
    )
    plot = _base(title, height=200, x_datetime=False, y_range=labels)
    bars = plot.hbar(y="name", right="value", height=0.6, source=source, color="color")
    _axis(plot.xaxis, [float(v) for v in values])
    plot.add_tools(HoverTool(renderers=[bars], tooltips=[("", "@name"), ("Выручка", "@text")]))
    _tap(plot, bars)
    return json_item(plot)
