"""A record of each bulk data run, so that an interrupted one can be continued (`flask seed bulk --resume`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import JSONType, Model, UTCDateTime, utcnow


class BulkRun(Model):
    """The parameters of a run and what is fixed at its start (the moment "now" of the generated history, the
    first customer number, the order numbers reserved per year), and how far it got: `orders_done` and
    `customers_done` are updated in the transaction of each committed batch."""

    __tablename__ = "bulk_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    seed: Mapped[int] = mapped_column(nullable=False)
    customers: Mapped[int] = mapped_column(nullable=False)
    orders: Mapped[int] = mapped_column(nullable=False)
    days: Mapped[int] = mapped_column(nullable=False)
    method: Mapped[str] = mapped_column(sa.String(10), nullable=False)
    moment: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    first_customer_number: Mapped[int] = mapped_column(nullable=False)
    first_numbers: Mapped[dict] = mapped_column(JSONType, default=dict, nullable=False)  # {"2026": 1234}
    orders_done: Mapped[int] = mapped_column(default=0, nullable=False)
    customers_done: Mapped[int] = mapped_column(default=0, nullable=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
