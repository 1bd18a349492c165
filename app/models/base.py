"""Column types and helpers shared by all models: aware UTC datetimes, money, enums stored as text."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
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
