"""Dashboard rollups: daily sums of the sales journal and of placed orders, kept by database triggers in the
same transaction as the rows they sum, so the dashboard reads a few thousand rows instead of a million.

Never written by the application: the triggers of migrations `5b8e2f7d1c90` and `c4d6f8a1b203` add to them on
every insert into `journal_entry` (sales and returns), `orders` and `order_line` (and on a line's deletion);
`app/reports/dashboard.py` reads them. Keys use 0 for "none"
(no product, no category, no promo code) so that the unique key covers every row.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Model, UTCDateTime

Sum = sa.Numeric(16, 2, asdecimal=True)


class SalesDay(Model):
    """Sale-side journal entries (sales and returns) summed per shop-local day × product × category × segment ×
    delivery method × promo code × line kind. Amounts are signed like the journal.

    `orders`: +1 per sale posting, −1 per return (counted once per order, on the posting's first entry);
    `category_orders`: the same, counted once per order and category — the number of orders with that category.
    """

    __tablename__ = "sales_day"
    __table_args__ = (
        sa.UniqueConstraint(
            "day",
            "product_id",
            "category_id",
            "segment",
            "delivery_method",
            "promo_code_id",
            "line_kind",
            name="uq_sales_day_key",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    product_id: Mapped[int] = mapped_column(nullable=False)
    category_id: Mapped[int] = mapped_column(nullable=False)
    segment: Mapped[str] = mapped_column(sa.String(3), nullable=False)  # b2b (a company's order) | b2c
    delivery_method: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    promo_code_id: Mapped[int] = mapped_column(nullable=False)
    line_kind: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    quantity: Mapped[int] = mapped_column(sa.BigInteger, nullable=False)
    gross: Mapped[Decimal] = mapped_column(Sum, nullable=False)
    discount: Mapped[Decimal] = mapped_column(Sum, nullable=False)
    points: Mapped[Decimal] = mapped_column(Sum, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Sum, nullable=False)
    net: Mapped[Decimal] = mapped_column(Sum, nullable=False)
    vat: Mapped[Decimal] = mapped_column(Sum, nullable=False)
    cost: Mapped[Decimal] = mapped_column(Sum, nullable=False)
    orders: Mapped[int] = mapped_column(nullable=False)
    category_orders: Mapped[int] = mapped_column(nullable=False)


class BuyerFirstSale(Model):
    """Each buyer's first realisation day. A buyer is a company (its orders) or a private person (their own
    orders): `c<company id>` or `p<customer id>`."""

    __tablename__ = "buyer_first_sale"

    buyer: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    segment: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    first_day: Mapped[date] = mapped_column(sa.Date, nullable=False, index=True)


class BuyerDay(Model):
    """The days each buyer had a realisation: who was active in a period."""

    __tablename__ = "buyer_day"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    buyer: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    segment: Mapped[str] = mapped_column(sa.String(3), nullable=False)


class BuyerSaleDay(Model):
    """The days each buyer had a realisation, per category × delivery method × promo code of the sale: who was
    active in a period under the dashboard's filters, and who bought with a promo code."""

    __tablename__ = "buyer_sale_day"
    __table_args__ = (
        # The promo codes' buyers of a period: an index-only scan of the tenth of the rows that carry a code.
        sa.Index(
            "ix_buyer_sale_day_promo",
            "day",
            "promo_code_id",
            "buyer",
            postgresql_where=sa.text("promo_code_id <> 0"),
            sqlite_where=sa.text("promo_code_id <> 0"),
        ),
    )

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    buyer: Mapped[str] = mapped_column(sa.String(24), primary_key=True)
    category_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0: none (delivery)
    delivery_method: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    promo_code_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)  # 0: none
    segment: Mapped[str] = mapped_column(sa.String(3), nullable=False)


class OrdersPlacedCategoryDay(Model):
    """Orders placed having a line of the category, per shop-local day the order was placed (`orders.placed_day`)
    × category × segment × delivery method × promo code. Kept by the triggers on `order_line`: +1 when an order
    gets its first line of a category, −1 when it loses its last one (staff editing the lines)."""

    __tablename__ = "orders_placed_category_day"
    __table_args__ = (
        sa.UniqueConstraint(
            "day",
            "category_id",
            "segment",
            "delivery_method",
            "promo_code_id",
            name="uq_orders_placed_category_day_key",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    category_id: Mapped[int] = mapped_column(nullable=False)
    segment: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    delivery_method: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    promo_code_id: Mapped[int] = mapped_column(nullable=False)
    placed: Mapped[int] = mapped_column(nullable=False)


class OrdersPlacedDay(Model):
    """Orders placed per shop-local day they were placed (`orders.placed_day`) × segment × delivery method × promo
    code."""

    __tablename__ = "orders_placed_day"
    __table_args__ = (
        sa.UniqueConstraint("day", "segment", "delivery_method", "promo_code_id", name="uq_orders_placed_day_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(sa.Date, nullable=False)
    segment: Mapped[str] = mapped_column(sa.String(3), nullable=False)
    delivery_method: Mapped[str] = mapped_column(sa.String(20), nullable=False)
    promo_code_id: Mapped[int] = mapped_column(nullable=False)
    placed: Mapped[int] = mapped_column(nullable=False)


class ReconciledMonth(Model):
    """The last reconciliation of a calendar month: the accounting readers, the journal and the dashboard's
    rollup compared to the kopeck (nightly job `dashboard_reconcile`, or `flask dashboard reconcile`)."""

    __tablename__ = "reconciled_month"

    month: Mapped[date] = mapped_column(sa.Date, primary_key=True)  # its first day
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    ok: Mapped[bool] = mapped_column(nullable=False)
    revenue: Mapped[Decimal] = mapped_column(Sum, nullable=False)
    differences: Mapped[str] = mapped_column(sa.Text, default="", nullable=False)
