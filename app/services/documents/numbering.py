"""Document numbers: one gapless sequence per series and year (shop time zone), assigned only at issue.

The counter row is incremented by one UPDATE … RETURNING, which holds the row lock until the issuing
transaction ends: concurrent issuers queue up behind it, and a rolled-back issue takes its number back with
it, so numbers never skip and never repeat. счета-фактуры, УПД and corrections share the «vat_invoice» series.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.models import DocumentCounter


def next_number(session: Session, series: str, year: int) -> int:
    """Take the next number of the series in the year (1 for the year's first document)."""
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(DocumentCounter)
    session.execute(
        insert.values(series=series, year=year, last_value=0).on_conflict_do_nothing(index_elements=["series", "year"])
    )
    return session.execute(
        sa.update(DocumentCounter)
        .where(DocumentCounter.series == series, DocumentCounter.year == year)
        .values(last_value=DocumentCounter.last_value + 1)
        .returning(DocumentCounter.last_value)
        .execution_options(synchronize_session=False)
    ).scalar_one()
