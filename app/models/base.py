"""Column types and helpers shared by all models: aware UTC datetimes, money, enums stored as text (with labels),
the columns of a change record, and the ORM's half of the append-only rule (the database's half is triggers)."""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, UOWTransaction, mapped_column
from sqlalchemy.types import TypeDecorator

from app.extensions import db

Model = db.Model

# NUMERIC(14,2): every amount of money in the database.
Money = sa.Numeric(14, 2, asdecimal=True)
ZERO = Decimal("0.00")

# JSON, stored as JSONB on PostgreSQL.
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    return datetime.now(UTC)


DEFAULT_SHOP_TZ = "Europe/Moscow"


def shop_zone() -> ZoneInfo:
    """The shop's time zone (`SHOP_TIMEZONE`); `app.services.shoptime` converts with it."""
    name = current_app.config.get("SHOP_TIMEZONE", DEFAULT_SHOP_TZ) if has_app_context() else DEFAULT_SHOP_TZ
    return ZoneInfo(name)


def shop_day_of_created(context) -> date:  # noqa: ANN001 - a DefaultExecutionContext
    """Column default: the shop-local day of the row's `created_at` (its own default already applied, as it is
    declared before), for ORM and Core inserts alike — the day the dashboard's order-day rollups key on."""
    created = context.get_current_parameters().get("created_at") or utcnow()
    if isinstance(created, str):
        created = datetime.fromisoformat(created)
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return created.astimezone(shop_zone()).date()


# Fragment search (ILIKE '%…%') at a million rows: pg_trgm GIN indexes on PostgreSQL; SQLite keeps the plain scan.
sa.event.listen(
    Model.metadata, "before_create", sa.DDL("CREATE EXTENSION IF NOT EXISTS pg_trgm").execute_if(dialect="postgresql")
)


def trigram_index(name: str, column: str) -> sa.Index:
    """A pg_trgm GIN index for ILIKE on fragments, built on PostgreSQL only."""
    return sa.Index(name, column, postgresql_using="gin", postgresql_ops={column: "gin_trgm_ops"}).ddl_if(
        dialect="postgresql"
    )


def prefix_index(name: str, column: str) -> sa.Index:
    """A btree for LIKE 'prefix%' whatever the database collation, built on PostgreSQL only."""
    return sa.Index(name, column, postgresql_ops={column: "varchar_pattern_ops"}).ddl_if(dialect="postgresql")


def built_on(obj: object, dialect_name: str) -> bool:
    """Whether a schema item of the models exists on this backend (indexes declared for one dialect only)."""
    condition = getattr(obj, "_ddl_if", None)
    return condition is None or condition.dialect in (None, dialect_name)


class UTCDateTime(TypeDecorator):
    """A timezone-aware datetime, always UTC. Naive values are refused, not guessed."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC datetime is required")
        value = value.astimezone(UTC)
        # SQLite has no time zone storage: keep naive UTC there.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[enum.Enum], name: str, length: int = 20) -> sa.Enum:
    """A VARCHAR with a CHECK constraint holding the enum's values (no native enum types to migrate)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class TimestampMixin:
    created_at: sa.orm.Mapped[datetime] = sa.orm.mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at: sa.orm.Mapped[datetime] = sa.orm.mapped_column(
        UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False
    )


class LabelledEnum(enum.StrEnum):
    """A text enum whose members carry a Russian label for the interface."""

    @property
    def label(self) -> str:
        return self._labels()[self.value]

    @classmethod
    def _labels(cls) -> dict[str, str]:
        raise NotImplementedError

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(m.value, m.label) for m in cls]


class ActorKind(LabelledEnum):
    staff = "staff"
    customer = "customer"
    system = "system"

    @classmethod
    def _labels(cls) -> dict[str, str]:
        return {"staff": "Сотрудник", "customer": "Покупатель", "system": "Система"}


class ChangeRecordMixin:
    """The columns of an append-only change record: when, who (staff, customer or system), what, old → new."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    actor_kind: Mapped[ActorKind] = mapped_column(enum_column(ActorKind, "actor_kind"), nullable=False)
    actor_staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("ab_user.id", ondelete="SET NULL"))
    actor_customer_id: Mapped[int | None] = mapped_column(sa.ForeignKey("customer.id", ondelete="SET NULL"))
    actor_name: Mapped[str] = mapped_column(sa.String(200), nullable=False)
    field: Mapped[str] = mapped_column(sa.String(60), nullable=False)
    old_value: Mapped[str | None] = mapped_column(sa.Text)
    new_value: Mapped[str | None] = mapped_column(sa.Text)
    comment: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)


class AppendOnlyRowChanged(RuntimeError):
    """A programming error: something tried to update or delete a row of an append-only table."""


class AppendOnly:
    """A model whose rows are only ever added: the session refuses to update or delete them, the database too
    (UPDATE/DELETE-refusing triggers, added by the table's migration)."""


def _append_only_tables() -> set[str]:
    found, pending = set(), list(AppendOnly.__subclasses__())
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if hasattr(cls, "__tablename__"):
            found.add(cls.__tablename__)
    return found


@event.listens_for(Session, "before_flush")
def _refuse_changed_append_only_rows(session: Session, flush_context: UOWTransaction, instances: object) -> None:
    for obj in session.deleted:
        if isinstance(obj, AppendOnly):
            raise AppendOnlyRowChanged(f"{type(obj).__tablename__} is append-only: DELETE refused")
    for obj in session.dirty:
        if isinstance(obj, AppendOnly) and session.is_modified(obj, include_collections=False):
            raise AppendOnlyRowChanged(f"{type(obj).__tablename__} is append-only: UPDATE refused")


@event.listens_for(Session, "do_orm_execute")
def _refuse_set_based_changes_to_append_only_tables(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    name = getattr(getattr(state.statement, "table", None), "name", None)
    if name in _append_only_tables():
        raise AppendOnlyRowChanged(f"{name} is append-only: {'UPDATE' if state.is_update else 'DELETE'} refused")
