"""Lists that grow without bound (a million orders): counts that stop counting at a threshold and show the
planner's estimate «≈» past it, and pages that reach no deeper than a bounded OFFSET.

Counting every row a common filter matches («Завершён»: most of a million; a common surname in a trigram
index) reads them all. PostgreSQL's EXPLAIN gives the size for the price of planning: past MAX_EXACT_COUNT
that estimate is shown; below it the rows are counted, up to MAX_EXACT_COUNT + 1 (an estimate too low is
caught there). SQLite, which holds no such sizes, counts exactly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ClauseElement, Executable

MAX_EXACT_COUNT = 1_000  # rows counted exactly; past this the planner's estimate, labelled «≈»
MAX_OFFSET = 10_000  # the deepest row a page reaches by OFFSET; narrower filters reach the rest
MAX_PAGE_SIZE = 100

T = TypeVar("T")


class RowCount(int):
    """A list's row count: its int value is the rows pages can reach; as HTML it is the number shown,
    «≈ 1 234 567» when estimated."""

    shown: int
    approximate: bool

    def __new__(cls, shown: int, *, approximate: bool = False, reachable: int | None = None) -> RowCount:
        value = super().__new__(cls, min(shown, reachable) if reachable is not None else shown)
        value.shown = shown
        value.approximate = approximate
        return value

    @property
    def label(self) -> str:
        number = f"{self.shown:,}".replace(",", "\u00a0")
        return f"≈\u00a0{number}" if self.approximate else number

    def __html__(self) -> str:
        return self.label


class _Explain(Executable, ClauseElement):
    inherit_cache = False

    def __init__(self, statement: sa.Select) -> None:
        self.statement = statement


@compiles(_Explain, "postgresql")
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def estimated_rows(session: Session, statement: sa.Select) -> int | None:
    """The planner's estimate of the rows a query returns (PostgreSQL); None elsewhere."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    found: Any = session.connection().execute(_Explain(statement)).scalar()
    plan = json.loads(found) if isinstance(found, str) else found
    return int(plan[0]["Plan"]["Plan Rows"])


def bounded_count(session: Session, statement: sa.Select, *, reachable: int | None = None) -> RowCount:
    """How many rows a query returns: exact up to MAX_EXACT_COUNT, the planner's estimate past it
    (an exact count on SQLite)."""
    statement = statement.order_by(None)
    estimate = estimated_rows(session, statement)
    if estimate is not None and estimate > MAX_EXACT_COUNT:
        return RowCount(estimate, approximate=True, reachable=reachable)
    limited = statement.limit(MAX_EXACT_COUNT + 1).subquery()
    counted = session.scalar(sa.select(sa.func.count()).select_from(limited)) or 0
    if counted <= MAX_EXACT_COUNT:
        return RowCount(counted, reachable=reachable)
    if estimate is None:
        exact = session.scalar(sa.select(sa.func.count()).select_from(statement.subquery())) or 0
        return RowCount(exact, reachable=reachable)
    return RowCount(max(estimate, counted), approximate=True, reachable=reachable)


def deepest_page(page_size: int) -> int:
    """The last page number (from 0) whose rows lie within MAX_OFFSET."""
    return max(MAX_OFFSET // max(page_size, 1) - 1, 0)


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (from 1), the page size and the bounded total."""

    items: list[T]
    number: int
    size: int
    total: RowCount

    @property
    def pages(self) -> int:
        return max((int(self.total) + self.size - 1) // self.size, 1)

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def paginate(session: Session, statement: sa.Select, *, page: int, size: int) -> Page:
    """Page `page` (from 1, clamped to the reachable ones) of an ordered select of ORM entities."""
    size = min(max(size, 1), MAX_PAGE_SIZE)
    total = bounded_count(session, statement, reachable=MAX_OFFSET)
    last = max(min((int(total) + size - 1) // size, deepest_page(size) + 1), 1)
    number = min(max(page, 1), last)
    items = list(session.scalars(statement.limit(size).offset((number - 1) * size)))
    return Page(items=items, number=number, size=size, total=total)
