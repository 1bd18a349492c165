"""Bokeh charts of the dashboard, drawn from `app/reports/dashboard.py`'s figures (never from a query of their own).

Each chart is a `json_item` the page embeds with BokehJS served by the app (no CDN, no inline script: the
JSON sits in a data block and `dashboard.js` hands it to `Bokeh.embed.embed_item`). Clicking a bar opens
the URL in its `drill` column (a TapTool with OpenURL: no JavaScript code in the document, so the page's
Content-Security-Policy holds). Tooltips show preformatted Russian text (₽, decimal comma); axis ticks are
chosen here and labelled in Russian («2,5 млн»), since a JavaScript tick formatter would need 'unsafe-eval'.

Building and serializing a Bokeh figure costs tens of milliseconds, so each chart is built and serialized
once per process (`Template`) and a request only puts its figures into a copy of that JSON: the data
sources, ticks and their labels, categories and height — everything else of the chart is fixed.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from bokeh.embed import json_item
from bokeh.models import ColumnDataSource, DatetimeTickFormatter, FixedTicker, HoverTool, OpenURL, TapTool
from bokeh.plotting import figure

from app.reports.dashboard import Point, RevenueWidget, TopRow
from app.reports.metrics import Period
from app.services.money import format_money

CURRENT = "#2c7fb8"
PLACED = "#41ab5d"
PREVIOUS = "#9aa5b1"
OTHERS_COLOR = "#bbbbbb"
DAY_MS = 86_400_000
DrillUrl = Callable[[Period], str]


# --- templates ----------------------------------------------------------------------------------------------


class Template:
    """A chart built and serialized once; `render` fills a copy with one request's values.

    Models to fill carry a `name`: «current» and «previous» (data sources), «axis» (ticks and their labels),
    «factors» (the categories of a bar list), «plot» (its height).
    """

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._text: str | None = None
        self._lock = threading.Lock()

    def render(self, values: dict[str, dict[str, Any]]) -> dict[str, Any]:
        if self._text is None:
            with self._lock:
                if self._text is None:
                    self._text = json.dumps(json_item(self._build()))
        item: dict[str, Any] = json.loads(self._text)
        _fill(item, values)
        return item


def _encode(value: Any) -> Any:
    if isinstance(value, dict):
        return {"type": "map", "entries": [[key, _encode(item)] for key, item in value.items()]}
    return value


def _fill(node: Any, values: dict[str, dict[str, Any]]) -> None:
    if isinstance(node, dict):
        attributes = node.get("attributes")
        if isinstance(attributes, dict) and attributes.get("name") in values:
            for key, value in values[attributes["name"]].items():
                attributes[key] = _encode(value)
        for child in node.values():
            _fill(child, values)
    elif isinstance(node, list):
        for child in node:
            _fill(child, values)


_TEMPLATES: dict[str, Template] = {}


def _template(key: str, build: Callable[[], Any]) -> Template:
    return _TEMPLATES.setdefault(key, Template(build))


# --- pieces -------------------------------------------------------------------------------------------------


def _moment(day: date) -> float:
    """Noon of a day as Bokeh's datetime: milliseconds since the epoch."""
    return datetime.combine(day, time(12), tzinfo=UTC).timestamp() * 1000


def _width_ms(points: list[Point]) -> float:
    if not points:
        return DAY_MS * 0.8
    days = min((p.period.end - p.period.start).days + 1 for p in points)
    longest = max((p.period.end - p.period.start).days + 1 for p in points)
    return DAY_MS * max(days, min(longest, 28 if longest < 300 else 330)) * 0.8


def _figure(title: str, *, height: int = 300, x_datetime: bool = True, categories: bool = False) -> Any:
    options: dict[str, Any] = {"y_range": ["—"]} if categories else {}
    plot = figure(
        title=title,
        height=height,
        sizing_mode="stretch_width",
        x_axis_type="datetime" if x_datetime else "linear",
        tools="box_zoom,reset,save",
        toolbar_location="above",
        name="plot",
        **options,
    )
    plot.toolbar.logo = None
    plot.toolbar.autohide = True
    if categories:
        plot.y_range.name = "factors"
    if x_datetime:
        plot.xaxis.formatter = DatetimeTickFormatter(
            days="%d.%m", months="%m.%Y", years="%Y", hours="%d.%m", minutes="%d.%m"
        )
    return plot


def _named_axis(axis: Any) -> None:
    axis.name = "axis"
    axis.ticker = FixedTicker(ticks=[0], name="ticks")


def _short(value: float) -> str:
    """Axis labels in Russian: «2,5 млн», «500 тыс.», «40»."""
    for size, unit in ((1_000_000_000, "млрд"), (1_000_000, "млн"), (1_000, "тыс.")):
        if abs(value) >= size:
            number = f"{value / size:.1f}".rstrip("0").rstrip(".").replace(".", ",")
            return f"{number} {unit}"
    return f"{value:.0f}"


def axis_ticks(values: list[float]) -> dict[str, Any]:
    """Round ticks (1, 2, 2,5 or 5 × 10ⁿ apart, at most 7) covering 0 and the values, labelled in Russian."""
    top = max([0.0, *values])
    low = min([0.0, *values])
    span = (top - low) or 1.0
    step = 10.0 ** math.floor(math.log10(span / 4))
    for factor in (1, 2, 2.5, 5, 10):
        if span / (step * factor) <= 6:
            step *= factor
            break
    ticks = [step * i for i in range(math.floor(low / step), math.ceil(top / step) + 1)]
    return {"ticker": {"ticks": ticks}, "major_label_overrides": {tick: _short(tick) for tick in ticks}}


def _legend(plot: Any) -> None:
    """The legend above the chart, in one row: it never hides a bar."""
    legend = plot.legend[0]
    plot.legend.orientation = "horizontal"
    plot.legend.label_text_font_size = "11px"
    plot.legend.border_line_alpha = 0
    plot.add_layout(legend, "above")


def _tap(plot: Any, renderer: Any) -> None:
    plot.add_tools(TapTool(renderers=[renderer], callback=OpenURL(url="@drill", same_tab=True)))


def _money_text(value: Decimal) -> str:
    return format_money(value).replace("\u00a0", " ")


def _values(name: str, data: dict[str, list]) -> dict[str, Any]:
    return {name: {"data": data}}


def _axis_values(ticks: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Ticks go to the axis's ticker (a model of its own): named «ticks» inside the axis «axis»."""
    return {"axis": {"major_label_overrides": ticks["major_label_overrides"]}, "ticks": ticks["ticker"]}


# --- the charts -------------------------------------------------------------------------------------------------


def _period_chart(title: str, measure: str, color: str, tooltips: list[tuple[str, str]]) -> Any:
    def build() -> Any:
        plot = _figure(title)
        current = ColumnDataSource(
            {"x": [], measure: [], "w": [], "label": [], "text": [], "drill": []}, name="current"
        )
        previous = ColumnDataSource({"x": [], measure: [], "label": [], "text": []}, name="previous")
        bars = plot.vbar(x="x", top=measure, width="w", source=current, color=color, legend_label="Период")
        line = plot.line(x="x", y=measure, source=previous, color=PREVIOUS, line_width=2, line_dash="dashed")
        plot.scatter(x="x", y=measure, source=previous, color=PREVIOUS, size=5, legend_label="Предыдущий период")
        _named_axis(plot.yaxis[0])
        plot.add_tools(HoverTool(renderers=[bars], tooltips=tooltips))
        plot.add_tools(HoverTool(renderers=[line], tooltips=[("Предыдущий", "@label"), ("", "@text")]))
        _tap(plot, bars)
        _legend(plot)
        return plot

    return build


def revenue_chart(widget: RevenueWidget, drill: DrillUrl) -> dict[str, Any]:
    """Revenue (realisation) per bucket as bars, the previous period of the same length as a line over them."""
    shift = widget.period.start - widget.previous.start
    width = _width_ms(widget.points)
    template = _template(
        "revenue",
        _period_chart(
            "Выручка (реализация), ₽",
            "revenue",
            CURRENT,
            [("Период", "@label"), ("Выручка", "@text"), ("Заказов", "@orders")],
        ),
    )
    values = {
        **_values(
            "current",
            {
                "x": [_moment(p.period.start) for p in widget.points],
                "revenue": [float(p.sales.revenue) for p in widget.points],
                "w": [width] * len(widget.points),
                "label": [p.label for p in widget.points],
                "text": [_money_text(p.sales.revenue) for p in widget.points],
                "orders": [p.sales.orders for p in widget.points],
                "drill": [drill(p.period) for p in widget.points],
            },
        ),
        **_values(
            "previous",
            {
                "x": [_moment(p.period.start + shift) for p in widget.previous_points],
                "revenue": [float(p.sales.revenue) for p in widget.previous_points],
                "label": [p.label for p in widget.previous_points],
                "text": [_money_text(p.sales.revenue) for p in widget.previous_points],
            },
        ),
        **_axis_values(axis_ticks([float(p.sales.revenue) for p in widget.points + widget.previous_points])),
    }
    return template.render(values)


def orders_chart(widget: RevenueWidget, drill: DrillUrl) -> dict[str, Any]:
    """Orders placed per bucket (by order date), with the previous period."""
    shift = widget.period.start - widget.previous.start
    width = _width_ms(widget.points)
    template = _template(
        "orders",
        _period_chart(
            "Оформлено заказов (по дате заказа)", "placed", PLACED, [("Период", "@label"), ("Оформлено", "@placed")]
        ),
    )
    values = {
        **_values(
            "current",
            {
                "x": [_moment(p.period.start) for p in widget.points],
                "placed": [p.placed for p in widget.points],
                "w": [width] * len(widget.points),
                "label": [p.label for p in widget.points],
                "text": [str(p.placed) for p in widget.points],
                "drill": [drill(p.period) for p in widget.points],
            },
        ),
        **_values(
            "previous",
            {
                "x": [_moment(p.period.start + shift) for p in widget.previous_points],
                "placed": [p.placed for p in widget.previous_points],
                "label": [p.label for p in widget.previous_points],
                "text": [f"оформлено {p.placed}" for p in widget.previous_points],
            },
        ),
        **_axis_values(axis_ticks([float(p.placed) for p in widget.points + widget.previous_points])),
    }
    return template.render(values)


def _bars_chart(title: str) -> Callable[[], Any]:
    def build() -> Any:
        plot = _figure(title, height=200, x_datetime=False, categories=True)
        source = ColumnDataSource(
            {"name": [], "value": [], "text": [], "quantity": [], "drill": [], "color": []}, name="current"
        )
        bars = plot.hbar(y="name", right="value", height=0.7, source=source, color="color")
        _named_axis(plot.xaxis[0])
        plot.add_tools(
            HoverTool(renderers=[bars], tooltips=[("", "@name"), ("Выручка", "@text"), ("Штук", "@quantity")])
        )
        _tap(plot, bars)
        return plot

    return build


def _bars(key: str, title: str, names: list[str], values: list[float], extra: dict[str, list]) -> dict[str, Any]:
    template = _template(key, _bars_chart(title))
    return template.render(
        {
            **_values("current", {"name": names, "value": values, **extra}),
            "factors": {"factors": names},
            "plot": {"height": max(160, 34 * len(names) + 70)},
            **_axis_values(axis_ticks(values)),
        }
    )


def top_chart(key: str, title: str, rows: list[TopRow], measure: str, drill: Callable[[TopRow], str]) -> dict[str, Any]:
    """Horizontal bars, the largest on top; «Остальные» last."""
    rows = list(reversed(rows))
    color = CURRENT if measure == "revenue" else PLACED
    return _bars(
        key,
        title,
        [r.name for r in rows],
        [float(r.sales.revenue) if measure == "revenue" else float(r.quantity) for r in rows],
        {
            "text": [_money_text(r.sales.revenue) for r in rows],
            "quantity": [f"{r.quantity:,}".replace(",", " ") for r in rows],
            "drill": [drill(r) for r in rows],
            "color": [OTHERS_COLOR if r.key is None else color for r in rows],
        },
    )


def segments_chart(labels: list[str], values: list[Decimal], drills: list[str], title: str) -> dict[str, Any]:
    return _bars(
        "segments",
        title,
        labels,
        [float(v) for v in values],
        {
            "text": [_money_text(v) for v in values],
            "quantity": ["" for _ in values],
            "drill": drills,
            "color": [CURRENT, PLACED][: len(labels)],
        },
    )
