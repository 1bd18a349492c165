"""Expenses (расходы) the accountant enters: checked on entry, every edit recorded in the expense's history,
never deleted — an expense is cancelled by a reversing expense (its exact negative) with a reason."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import IO, Any, BinaryIO, cast

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import Expense, ExpenseCategory, ExpenseHistory
from app.services import storage
from app.services.actors import Actor
from app.services.companies import requisites
from app.services.errors import NotFound, ValidationError
from app.services.money import ZERO, extract_vat, format_money, format_rate, to_money
from app.services.shoptime import shop_today

DEFAULT_CATEGORIES = ("Бумага", "Краска", "Аренда", "Зарплата", "Доставка", "Реклама", "Прочее")
VAT_RATES = (Decimal("22"), Decimal("10"), Decimal("7"), Decimal("5"), Decimal("0"))
MAX_AMOUNT = Decimal("1000000000")
SCAN_KINDS = frozenset({"pdf", "png", "jpeg"})
# The fields an edit may change, with their names in the history.
TRACKED = {
    "day": "Дата",
    "category_id": "Категория",
    "supplier_name": "Поставщик",
    "supplier_inn": "ИНН поставщика",
    "amount": "Сумма",
    "vat_rate": "Ставка НДС",
    "vat_amount": "НДС",
    "document_number": "Номер документа",
    "document_date": "Дата документа",
    "scan_file_id": "Скан",
    "comment": "Комментарий",
}


def ensure_categories(session: Session) -> None:
    """The default categories, when the list is empty (a new database has them from its migration)."""
    if session.scalar(sa.select(sa.func.count()).select_from(ExpenseCategory)):
        return
    session.add_all(ExpenseCategory(name=n, position=i) for i, n in enumerate(DEFAULT_CATEGORIES, 1))
    session.flush()


def parse_amount(value: object, field: str = "amount") -> Decimal:
    if isinstance(value, Decimal):
        amount = value
    else:
        text = str(value or "").strip().replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            amount = Decimal(text)
        except InvalidOperation:
            raise ValidationError("Укажите сумму числом, например 12500,00.", field=field) from None
    if not amount.is_finite():
        raise ValidationError("Укажите сумму числом, например 12500,00.", field=field)
    return to_money(amount)


def parse_rate(value: object) -> Decimal | None:
    """A VAT rate from the list, or None for «без НДС»."""
    if value is None or str(value).strip() in ("", "none", "без НДС"):
        return None
    try:
        rate = Decimal(str(value).strip().replace(",", ".").rstrip("%").strip())
    except InvalidOperation:
        raise ValidationError("Выберите ставку НДС из списка.", field="vat_rate") from None
    if rate not in VAT_RATES:
        raise ValidationError("Выберите ставку НДС из списка.", field="vat_rate")
    return rate.quantize(Decimal("0.01"))


def check(session: Session, expense: Expense) -> Expense:
    """Normalise and check an expense's fields in place (a new one or an edit); ValidationError if wrong."""
    if expense.reverses_id is not None:
        raise ValidationError("Сторнирующую запись не изменяют.")
    with session.no_autoflush:  # a flush here would clear the changes `record_changes` reads
        reversed_already = expense.id is not None and session.scalar(
            sa.select(Expense.id).where(Expense.reverses_id == expense.id)
        )
    if reversed_already:
        raise ValidationError("Расход сторнирован — изменения невозможны; внесите новый расход.")
    if expense.day is None:
        raise ValidationError("Укажите дату расхода.", field="day")
    if expense.day > shop_today():
        raise ValidationError("Дата расхода в будущем.", field="day")
    if expense.category_id is None and expense.category is None:
        raise ValidationError("Выберите категорию.", field="category")
    name = " ".join((expense.supplier_name or "").split())
    if not name:
        raise ValidationError("Укажите поставщика.", field="supplier_name")
    expense.supplier_name = name[:200]
    inn = "".join((expense.supplier_inn or "").split())
    expense.supplier_inn = requisites.check_inn(inn, individual=len(inn) == 12) if inn else ""
    amount = parse_amount(expense.amount)
    if amount <= 0 or amount > MAX_AMOUNT:
        raise ValidationError("Сумма расхода — больше нуля и не больше 1 000 000 000 ₽.", field="amount")
    expense.amount = amount
    expense.vat_rate = parse_rate(expense.vat_rate)
    expected = extract_vat(amount, expense.vat_rate)[1]
    vat = (
        ZERO
        if expense.vat_amount is None or str(expense.vat_amount).strip() == ""
        else parse_amount(expense.vat_amount, "vat_amount")
    )
    if expense.vat_rate is None or expense.vat_rate == 0:
        if vat != 0:
            raise ValidationError("Без НДС (или 0 %) сумма НДС — ноль.", field="vat_amount")
    elif vat == 0:
        vat = expected  # «в том числе»: extracted from the amount
    elif abs(vat - expected) > Decimal("1.00"):
        raise ValidationError(
            f"НДС {format_money(vat)} не сходится со ставкой {format_rate(expense.vat_rate)}: "
            f"ожидается около {format_money(expected)}.",
            field="vat_amount",
        )
    expense.vat_amount = vat
    expense.document_number = " ".join((expense.document_number or "").split())[:60]
    if expense.document_date is not None and expense.document_date > shop_today():
        raise ValidationError("Дата документа в будущем.", field="document_date")
    expense.comment = (expense.comment or "").strip()
    return expense


def _as_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


def record_changes(session: Session, expense: Expense, *, actor: Actor, comment: str = "") -> int:
    """Write each changed field of a loaded expense to its history (before the flush); returns the count."""
    state: Any = sa.inspect(expense)
    rows = []
    for key in TRACKED:
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if _as_text(old) == _as_text(new) or (isinstance(old, Decimal) and new is not None and old == new):
            continue
        rows.append(
            ExpenseHistory(
                expense_id=expense.id,
                actor_kind=actor.kind,
                actor_staff_id=actor.staff_id,
                actor_name=actor.name[:200],
                field=key,
                old_value=_as_text(old),
                new_value=_as_text(new),
                comment=comment,
            )
        )
    session.add_all(rows)
    return len(rows)


def add_expense(session: Session, expense: Expense, *, actor: Actor) -> Expense:
    """Check and record a new expense (its creation is the first line of its history)."""
    check(session, expense)
    expense.created_by = actor.name[:200]
    session.add(expense)
    session.flush()
    return record_created(session, expense, actor=actor)


def record_created(session: Session, expense: Expense, *, actor: Actor) -> Expense:
    """The first line of a stored expense's history."""
    session.add(
        ExpenseHistory(
            expense_id=expense.id,
            actor_kind=actor.kind,
            actor_staff_id=actor.staff_id,
            actor_name=actor.name[:200],
            field="created",
            new_value=format_money(expense.amount),
        )
    )
    session.flush()
    return expense


def reverse_expense(session: Session, expense_id: int, *, actor: Actor, reason: str) -> Expense:
    """Cancel an expense by its exact negative, dated today (or its own day if that is later), with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Укажите причину сторно.", field="reason")
    expense = session.get(Expense, expense_id, with_for_update=True)
    if expense is None:
        raise NotFound("Расход не найден.")
    if expense.reverses_id is not None:
        raise ValidationError("Это уже сторнирующая запись.")
    if session.scalar(sa.select(Expense.id).where(Expense.reverses_id == expense.id)):
        raise ValidationError("Расход уже сторнирован.")
    reversal = Expense(
        day=max(shop_today(), expense.day),
        category_id=expense.category_id,
        supplier_name=expense.supplier_name,
        supplier_inn=expense.supplier_inn,
        amount=-expense.amount,
        vat_rate=expense.vat_rate,
        vat_amount=-expense.vat_amount,
        document_number=expense.document_number,
        document_date=expense.document_date,
        comment=f"Сторно: {reason}",
        reverses_id=expense.id,
        created_by=actor.name[:200],
    )
    session.add(reversal)
    session.flush()
    session.add(
        ExpenseHistory(
            expense_id=expense.id,
            actor_kind=actor.kind,
            actor_staff_id=actor.staff_id,
            actor_name=actor.name[:200],
            field="reversed",
            new_value=str(reversal.id),
            comment=reason,
        )
    )
    session.flush()
    return reversal


def attach_scan(session: Session, expense_id: int, *, actor: Actor, stream: IO[bytes], filename: str | None) -> Expense:
    """Store a scan of the expense's document (PDF, PNG, JPEG; checked by content) and attach it."""
    expense = session.get(Expense, expense_id)
    if expense is None:
        raise NotFound("Расход не найден.")
    stored = storage.store_upload(
        session, stream=cast(BinaryIO, stream), filename=filename, allowed_kinds=SCAN_KINDS, field="scan"
    )
    expense.scan_file_id = stored.id
    record_changes(session, expense, actor=actor)
    session.flush()
    return expense
