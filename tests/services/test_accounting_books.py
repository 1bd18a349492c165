"""The shop's requisites and expenses: validated on entry, their histories append-only in the database; a
journal entry outlives a deleted product (its link cleared, the entry kept) and keeps its order from deletion."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.models import Expense, ExpenseCategory, ExpenseHistory, JournalEntry, OrderStatus, SellerRequisites
from app.models.base import AppendOnlyRowChanged
from app.seed.demo_accounting import SELLER
from app.services.accounting import expenses, seller
from app.services.actors import Actor
from app.services.errors import ValidationError
from tests.factories import advance, place_order

S = OrderStatus
SYSTEM = Actor.system("test")


def _refused(sql: str) -> None:
    with db.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        conn.execute(sa.text(sql))


def _rows(session, table):
    session.expire_all()
    return [tuple(r) for r in session.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).all()]


@pytest.fixture
def paper(db_session):
    expenses.ensure_categories(db_session)
    db_session.commit()
    return db_session.scalar(sa.select(ExpenseCategory).where(ExpenseCategory.name == "Бумага"))


def test_requisites_versions_and_expense_history_are_append_only(db_session, paper):
    seller.set_requisites(db_session, SELLER, actor=SYSTEM, valid_from=date(2026, 1, 1))
    expense = expenses.add_expense(
        db_session,
        Expense(day=date(2026, 3, 2), category=paper, supplier_name="ООО «Бумага»", amount=D("100")),
        actor=SYSTEM,
    )
    db_session.commit()
    before = (_rows(db_session, "seller_requisites"), _rows(db_session, "expense_history"))
    for sql in (
        "UPDATE seller_requisites SET inn = '1234567894'",
        "DELETE FROM seller_requisites",
        "UPDATE expense_history SET new_value = 'x'",
        "DELETE FROM expense_history",
        f"DELETE FROM expense WHERE id = {expense.id}",  # its history holds it (RESTRICT), the trigger too
    ):
        with db.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError):
            conn.execute(sa.text(sql))
    _refused("UPDATE seller_requisites SET director = 'кто-то'")
    version = db_session.scalar(sa.select(SellerRequisites))
    version.director = "Другой"
    with pytest.raises(AppendOnlyRowChanged):
        db_session.flush()
    db_session.rollback()
    with pytest.raises(AppendOnlyRowChanged):
        db_session.execute(sa.delete(ExpenseHistory))
    db_session.rollback()
    assert (_rows(db_session, "seller_requisites"), _rows(db_session, "expense_history")) == before


def test_a_deleted_product_leaves_its_journal_entries_and_an_order_with_entries_stays(db_session, catalog, customer):
    order = advance(
        db_session, place_order(db_session, customer, catalog.banner), S.confirmed, S.in_production, S.ready
    )
    advance(db_session, order, S.handed_over)
    before = [(e.id, e.amount, e.product_name) for e in db_session.scalars(sa.select(JournalEntry))]
    product_id = catalog.banner.id
    db_session.rollback()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM cart_item WHERE product_id = :id"), {"id": product_id})
        conn.execute(sa.text("DELETE FROM product WHERE id = :id"), {"id": product_id})
    db_session.expire_all()
    entries = db_session.scalars(sa.select(JournalEntry).order_by(JournalEntry.id)).all()
    assert [(e.id, e.amount, e.product_name) for e in entries] == before
    assert {e.product_id for e in entries} == {None}
    with db.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError):  # its history and journal hold it
        conn.execute(sa.text("DELETE FROM orders WHERE id = :id"), {"id": order.id})
    assert db_session.scalar(sa.select(sa.func.count()).select_from(JournalEntry)) == len(before)


def test_the_shop_requisites_are_checked_like_a_company_s(db_session):
    for changes, field in (
        ({"inn": "1234567895"}, "inn"),
        ({"kpp": "12"}, "kpp"),
        ({"ogrn": "1022500001328"}, "ogrn"),
        ({"settlement_account": "40702810200000000002"}, "settlement_account"),
        ({"vat_regime": "patent"}, "vat_regime"),
        ({"director": "  "}, "director"),
    ):
        with pytest.raises(ValidationError) as refused:
            seller.set_requisites(db_session, replace(SELLER, **changes), actor=SYSTEM)
        assert refused.value.field == field
    assert db_session.scalar(sa.select(sa.func.count()).select_from(SellerRequisites)) == 0
    sole = replace(SELLER, inn="123456789047", kpp="", ogrn="309565808600188", vat_regime="usn_exempt")
    version = seller.set_requisites(db_session, sole, actor=SYSTEM, valid_from=date(2026, 2, 1))
    assert (version.kpp, seller.regime_on(db_session, date(2026, 2, 1)).label) == ("", "УСН, без НДС (освобождение)")
    assert seller.regime_on(db_session, date(2026, 1, 31)).value == "osno"  # nothing in force yet: the default


def test_an_expense_is_reversed_once_and_a_reversal_never(db_session, paper):
    expense = expenses.add_expense(
        db_session,
        Expense(day=date(2026, 3, 2), category=paper, supplier_name="ООО «Бумага»", amount=D("1220"), vat_rate="22"),
        actor=SYSTEM,
    )
    assert (expense.vat_rate, expense.vat_amount) == (D("22.00"), D("220.00"))
    reversal = expenses.reverse_expense(db_session, expense.id, actor=SYSTEM, reason="ошибка")
    assert (reversal.amount, reversal.vat_amount, reversal.reverses_id) == (D("-1220.00"), D("-220.00"), expense.id)
    with pytest.raises(ValidationError, match="уже сторнирован"):
        expenses.reverse_expense(db_session, expense.id, actor=SYSTEM, reason="ещё раз")
    with pytest.raises(ValidationError, match="уже сторнирующая"):
        expenses.reverse_expense(db_session, reversal.id, actor=SYSTEM, reason="назад")
    with pytest.raises(ValidationError, match="ставку НДС из списка"):
        expenses.add_expense(
            db_session,
            Expense(day=date(2026, 3, 2), category=paper, supplier_name="X", amount=D("10"), vat_rate="18"),
            actor=SYSTEM,
        )
