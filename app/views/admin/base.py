"""Shared pieces of the back-office views: data interface with shop-day date filters, enum fields, formats."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from flask_appbuilder import ModelView
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterNotEqual, SQLAFilterConverter
from flask_appbuilder.models.sqla.interface import SQLAInterface
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.interfaces import ORMOption
from wtforms import DecimalField, SelectField
from wtforms.validators import NumberRange

from app.services import paging
from app.services.money import format_money
from app.services.shoptime import format_datetime, shop_tz


def _parse_day(value: str) -> datetime | None:
    value = (value or "").strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            continue
    return None


def _shop_midnight(day: datetime) -> datetime:
    return datetime.combine(day.date(), time.min, tzinfo=shop_tz())


class FilterDayFrom(BaseFilter):
    """Moments on or after the start of this shop-local day."""

    name = "с даты (включительно)"
    arg_name = "day_from"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        day = _parse_day(value)
        if day is None:
            return query
        return query.filter(getattr(self.model, self.column_name) >= _shop_midnight(day))


class FilterDayTo(BaseFilter):
    """Moments before the end of this shop-local day."""

    name = "по дату (включительно)"
    arg_name = "day_to"

    def apply(self, query, value):  # noqa: ANN001, ANN201
        day = _parse_day(value)
        if day is None:
            return query
        return query.filter(getattr(self.model, self.column_name) < _shop_midnight(day) + timedelta(days=1))


class ShopFilterConverter(SQLAFilterConverter):
    """Datetimes are filtered by shop-local days (never by naive datetimes); enums by equality."""

    conversion_table = (
        ("is_datetime", [FilterDayFrom, FilterDayTo]),
        ("is_enum", [FilterEqual, FilterNotEqual]),
    ) + tuple(c for c in SQLAFilterConverter.conversion_table if c[0] not in ("is_datetime", "is_enum"))

    def convert(self, col_name: str):  # noqa: ANN201
        extra = getattr(self.datamodel, "extra_filters", {}).get(col_name)
        if extra:
            return [item(col_name, self.datamodel) for item in extra]
        return super().convert(col_name)


IN_USE_MESSAGE = (
    "Нельзя удалить: запись используется (в заказах, новостях или других данных). Отключите её вместо удаления."
)


class ShopInterface(SQLAInterface):
    """FAB's data interface with the shop's filters. List pages load what they show in a fixed number of
    queries (`list_loads`: select-in loads of the relations a list shows; a join would also be done for every
    row a deep page's OFFSET skips) and count at most MAX_EXACT_COUNT rows (an estimate «≈» past it)."""

    filter_converter_class = ShopFilterConverter

    def __init__(
        self,
        obj,  # noqa: ANN001
        session=None,  # noqa: ANN001
        extra_filters: dict | None = None,
        list_loads: Sequence[ORMOption] = (),
    ) -> None:
        super().__init__(obj, session)
        self.extra_filters = extra_filters or {}
        self.list_loads = tuple(list_loads)

    def query(  # noqa: PLR0913
        self,
        filters=None,  # noqa: ANN001
        order_column: str = "",
        order_direction: str = "",
        page: int | None = None,
        page_size: int | None = None,
        select_columns: list[str] | None = None,
        outer_default_load: bool = False,
    ) -> tuple[int, list]:
        query = self.session.query(self.obj)
        counted = self._apply_inner_all(query, filters, select_columns=select_columns, aliases_mapping={})
        count = paging.bounded_count(self.session, counted.statement, reachable=paging.MAX_OFFSET)
        query = self.apply_all(
            query, filters, order_column, order_direction, page, page_size, select_columns, outer_default_load
        )
        if self.list_loads:
            query = query.options(*self.list_loads)
        return count, query.all()

    def delete(self, item, commit: bool = True) -> None:  # noqa: ANN001
        """A row still referenced elsewhere is not deleted, with a message staff can act on."""
        try:
            super().delete(item, commit=commit)
        except DatabaseException as exc:
            if isinstance(exc.__cause__, IntegrityError):
                raise DatabaseException(IN_USE_MESSAGE) from exc.__cause__
            raise

    def is_nullable(self, col_name: str) -> bool:
        """Optional in forms: checkboxes (unticked is a value) and texts whose default is empty.

        FAB would mark every NOT NULL column required, so a checkbox could never be unticked.
        """
        column = self.list_columns.get(col_name)
        if column is not None and not self.is_relation(col_name):
            if isinstance(column.type, sa.Boolean):
                return True
            default = getattr(column.default, "arg", None)
            if isinstance(column.type, sa.String | sa.Text) and default == "":
                return True
        return super().is_nullable(col_name)


def enum_select(enum_cls: type[enum.Enum], label: str, **kwargs) -> SelectField:
    """A select with the Russian labels of a LabelledEnum, giving back enum members."""
    return SelectField(
        label,
        choices=[(m.value, m.label) for m in enum_cls],  # type: ignore[attr-defined]
        coerce=lambda v: v if isinstance(v, enum_cls) else enum_cls(v),
        **kwargs,
    )


class AmountField(DecimalField):
    """A decimal typed the Russian way («0,85», «12 200,00»); empty is zero."""

    def process_formdata(self, valuelist: list) -> None:
        text = str(valuelist[0] if valuelist else "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
        if not text:
            self.data = Decimal("0")
            return
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError(self.gettext("Not a valid decimal value.")) from None
        if not value.is_finite():
            raise ValueError(self.gettext("Not a valid decimal value."))
        self.data = value


def label_of(enum_cls: type[enum.Enum]):  # noqa: ANN201
    """A list/show formatter: FAB hands enum columns over as their raw value; show the Russian label."""

    def formatter(value) -> str:  # noqa: ANN001
        if value is None or value == "":
            return ""
        try:
            return enum_cls(value).label  # type: ignore[attr-defined]
        except ValueError:
            return str(value)

    return formatter


def money_cell(value) -> Markup:  # noqa: ANN001
    return Markup('<span class="text-nowrap">%s</span>') % format_money(value) if value is not None else Markup("")


def dt_cell(value) -> str:  # noqa: ANN001
    return format_datetime(value)


def bool_cell(value) -> str:  # noqa: ANN001
    return "да" if value else "нет"


def link(url: str, text: str) -> Markup:
    return Markup('<a href="%s">%s</a>') % (url, escape(text))


# What the columns hold: INTEGER is 32-bit on PostgreSQL, money is NUMERIC(14,2).
INT_MAX = 2**31 - 1
NUMERIC_MAX = 10**12 - 1


def number_bounds(model: type, columns: list[str] | None) -> dict[str, list]:
    """A range check for every integer and decimal column of a generated form: a number too large for its
    column is a message beside the field, never a database error."""
    found: dict[str, list] = {}
    mapper: Any = sa.inspect(model)
    table: dict[str, Any] = {column.key: column for column in mapper.columns}
    for name in columns or []:
        column = table.get(name)
        if column is None or isinstance(column.type, sa.Boolean):
            continue
        if isinstance(column.type, sa.Integer):
            found[name] = [NumberRange(max=INT_MAX, message=f"Не больше {INT_MAX}.")]
        elif isinstance(column.type, sa.Numeric):
            found[name] = [NumberRange(max=NUMERIC_MAX, message=f"Не больше {NUMERIC_MAX}.")]
    return found


class ShopModelView(ModelView):
    """A back-office view that asks, for its own pages, what the current staff member may do; its generated
    add/edit forms refuse numbers their columns cannot hold."""

    def _init_forms(self) -> None:
        bounds = number_bounds(self.datamodel.obj, [*(self.add_columns or []), *(self.edit_columns or [])])
        declared: dict[str, list] = dict(getattr(self, "validators_columns", None) or {})
        for name, checks in bounds.items():
            declared[name] = [*declared.get(name, []), *checks]
        self.validators_columns = declared
        super()._init_forms()

    def _get_list_widget(self, filters, *args, page=None, page_size=None, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        """Pages reach no deeper than MAX_OFFSET rows and hold at most MAX_PAGE_SIZE rows, whatever the URL asks."""
        page_size = min(page_size or self.page_size, paging.MAX_PAGE_SIZE)
        page = min(page, paging.deepest_page(page_size)) if page else page
        return super()._get_list_widget(filters, *args, page=page, page_size=page_size, **kwargs)

    def _can(self, permission: str) -> bool:
        return self.appbuilder.sm.has_access(permission, self.class_permission_name)
