"""An order's history as readable Russian: the staff timeline and the customer's list of statuses.

«Иванова М. изменила статус: Принят → В печати». The verb agrees with the actor: the system is
«она» (система); for staff the gender is guessed from the name (surname or first-name endings).
Customers, and staff whose name tells nothing, get sentences without a gendered verb:
«Заказ оформлен покупателем: Анна Кузнецова», «Изменение — статус: Новый → Отменён (Анна Кузнецова)».
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from app.models import ActorKind, DeliveryMethod, OrderHistory, OrderStatus, PaymentMethod, PaymentStatus
from app.services.money import format_money

# (masculine, feminine) past-tense verbs.
VERBS = {
    "created": ("оформил", "оформила"),
    "changed": ("изменил", "изменила"),
    "added": ("добавил", "добавила"),
    "removed": ("удалил", "удалила"),
    "replaced": ("заменил", "заменила"),
    "printed": ("напечатал", "напечатала"),
    "issued": ("выставил", "выставила"),
    "cancelled": ("аннулировал", "аннулировала"),
    "assigned": ("назначил", "назначила"),
    "unassigned": ("снял", "сняла"),
    "refunded": ("вернул", "вернула"),
}

ENUMS: dict[str, type] = {
    "status": OrderStatus,
    "payment_status": PaymentStatus,
    "delivery_method": DeliveryMethod,
    "payment_method": PaymentMethod,
}
MONEY_FIELDS = frozenset({"total", "points_paid", "line_price"})
DATE_FIELDS = frozenset({"due_date"})

# field → (verb, what): «изменила статус», «изменил адрес доставки». Later features add their fields here.
FIELD_PHRASES: dict[str, tuple[str, str]] = {
    "status": ("changed", "статус"),
    "payment_status": ("changed", "оплату"),
    "payment_method": ("changed", "способ оплаты"),
    "delivery_method": ("changed", "способ получения"),
    "delivery_address": ("changed", "адрес доставки"),
    "contact_name": ("changed", "получателя"),
    "contact_email": ("changed", "email"),
    "contact_phone": ("changed", "телефон"),
    "comment": ("changed", "комментарий к заказу"),
    "due_date": ("changed", "срок готовности"),
    "packages": ("changed", "количество мест"),
    "total": ("changed", "сумму заказа"),
    "points_paid": ("changed", "оплату баллами"),
    "promo_code_text": ("changed", "промокод"),
    "line_quantity": ("changed", "тираж"),
    "line_options": ("changed", "параметры"),
    "line_price": ("changed", "сумму позиции"),
    "line_product": ("changed", "название позиции"),
    "line_vat_rate": ("changed", "ставку НДС позиции"),
    "layout_file": ("replaced", "макет"),
}

FEMALE_SURNAME_ENDINGS = ("ова", "ева", "ёва", "ина", "ына", "ская", "цкая", "ая")
MALE_SURNAME_ENDINGS = ("ов", "ев", "ёв", "ин", "ын", "ский", "цкий", "ой", "ий")
MALE_NAMES_IN_A = frozenset({"илья", "никита", "фома", "кузьма", "лука", "савва", "данила", "гаврила", "миша"})


def is_feminine(kind: ActorKind, name: str) -> bool | None:
    """Whether the past-tense verb takes the feminine form for this actor; None when that is not known
    (customers — their names are not checked; staff whose name gives no clue)."""
    if kind == ActorKind.system:
        return True  # «система»
    if kind == ActorKind.customer:
        return None
    words = [w.strip(".,()").lower() for w in name.split()]
    for word in words:
        if word.endswith(FEMALE_SURNAME_ENDINGS) and len(word) > 4:
            return True
        if word.endswith(MALE_SURNAME_ENDINGS) and len(word) > 3:
            return False
    if any(w.endswith(("а", "я")) and w not in MALE_NAMES_IN_A and len(w) > 2 for w in words):
        return True
    if any(w in MALE_NAMES_IN_A or (w[-1:] in "бвгджзйклмнпрстфхцчшщ" and len(w) > 2) for w in words if w.isalpha()):
        return False
    return None


# Sentences without a gendered verb: (what happened, the rest), the actor named at the end.
NEUTRAL = {
    "created": "Оформлено",
    "changed": "Изменение —",
    "added": "Добавлена",
    "removed": "Удалена",
    "replaced": "Замена —",
    "printed": "Напечатана",
    "assigned": "Назначен",
    "unassigned": "Снят",
}


def short_name(kind: ActorKind, name: str) -> str:
    """«Иванова М.» for staff (stored as «Фамилия Имя»); «Система (demo)»; a customer's name as given."""
    if kind == ActorKind.system:
        return name[:1].upper() + name[1:]
    if kind == ActorKind.staff:
        parts = name.split()
        if len(parts) >= 2 and parts[1][:1].isalpha():
            return f"{parts[0]} {parts[1][0]}."
    return name


def value_text(field: str, value: str | None) -> str:
    """A stored history value as people read it."""
    if value is None or value == "":
        return "—"
    if field in ENUMS:
        try:
            return ENUMS[field](value).label
        except ValueError:
            return value
    if field in MONEY_FIELDS:
        try:
            return format_money(Decimal(value))
        except InvalidOperation:
            return value
    if field in DATE_FIELDS:
        try:
            return date.fromisoformat(value).strftime("%d.%m.%Y")
        except ValueError:
            return value
    return value


def _line_text(value: str | None) -> str:
    """«Визитки, 500 шт. — 1690.00» with the amount written as money."""
    if not value:
        return "—"
    head, sep, amount = value.rpartition(" — ")
    if not sep:
        return value
    try:
        return f"{head} — {format_money(Decimal(amount))}"
    except InvalidOperation:
        return value


@dataclass(frozen=True)
class TimelineItem:
    moment: datetime
    actor: str
    text: str  # the whole sentence, actor first
    comment: str
    batch_id: str | None
    field: str


def sentence(entry: OrderHistory) -> str:
    """One entry as a Russian sentence: actor first when the verb can agree with them, else actor last."""
    who = short_name(entry.actor_kind, entry.actor_name)
    female = is_feminine(entry.actor_kind, entry.actor_name)
    if female is None:
        return _neutral_sentence(entry, who)

    def verb(key: str) -> str:
        return VERBS[key][1 if female else 0]

    field, old, new = entry.field, entry.old_value, entry.new_value
    where = f" ({entry.subject})" if entry.subject and field.startswith(("line_", "layout")) else ""
    if field == "created":
        return f"{who} {verb('created')} заказ"
    if field == "line_added":
        return f"{who} {verb('added')} позицию: {_line_text(new)}"
    if field == "line_removed":
        return f"{who} {verb('removed')} позицию: {_line_text(old)}"
    if field == "line_refunded":
        return f"{who} {verb('refunded')} позицию: {_line_text(old)}; к возврату {value_text('total', new)}"
    if field == "assignee":
        if new:
            return f"{who} {verb('assigned')} ответственного: {value_text(field, old)} → {new}"
        return f"{who} {verb('unassigned')} ответственного: {old or '—'}"
    if field == "reprint":
        return f"{who} {verb('created')} бесплатную перепечатку — заказ {new}"
    if field == "reprint_of":
        return f"{who} {verb('created')} этот заказ как бесплатную перепечатку заказа {new}"
    if field == "tracking":
        if new:
            return f"{who} {verb('added')} трек-номер: {new}"
        return f"{who} {verb('removed')} трек-номер: {old}"
    if field == "label_printed":
        fmt, times = _label_print(entry)
        if times > 1:
            return f"{who} повторно {verb('printed')} этикетку{fmt}, {times}-й раз"
        return f"{who} {verb('printed')} этикетку{fmt}"
    if field == "document":
        return f"{who} {verb('issued')} документ: {new}"
    if field == "document_cancelled":
        return f"{who} {verb('cancelled')} документ: {new}"
    verb_key, what = FIELD_PHRASES.get(field, ("changed", f"поле «{field}»"))
    return f"{who} {verb(verb_key)} {what}{where}: {value_text(field, old)} → {value_text(field, new)}"


def _label_print(entry: OrderHistory) -> tuple[str, int]:
    try:
        times = int(entry.new_value or "1")
    except ValueError:
        times = 1
    return (f" ({entry.subject})" if entry.subject else ""), times


def _neutral_sentence(entry: OrderHistory, who: str) -> str:
    """The same events without a verb that would have to agree with the actor's gender."""
    field, old, new = entry.field, entry.old_value, entry.new_value
    where = f" ({entry.subject})" if entry.subject and field.startswith(("line_", "layout")) else ""
    by = f"покупателем: {who}" if entry.actor_kind == ActorKind.customer else f"сотрудником: {who}"
    if field == "created":
        return f"Заказ оформлен {by}"
    if field == "reprint_of":
        return f"Заказ оформлен как бесплатная перепечатка заказа {new} ({who})"
    if field == "reprint":
        return f"Оформлена бесплатная перепечатка — заказ {new} ({who})"
    if field == "line_added":
        return f"Добавлена позиция: {_line_text(new)} ({who})"
    if field == "line_removed":
        return f"Удалена позиция: {_line_text(old)} ({who})"
    if field == "line_refunded":
        return f"Возвращена позиция: {_line_text(old)}; к возврату {value_text('total', new)} ({who})"
    if field == "assignee":
        if new:
            return f"Назначен ответственный: {value_text(field, old)} → {new} ({who})"
        return f"Снят ответственный: {old or '—'} ({who})"
    if field == "label_printed":
        fmt, times = _label_print(entry)
        again = f", {times}-й раз" if times > 1 else ""
        return f"Напечатана этикетка{fmt}{again} ({who})"
    verb_key, what = FIELD_PHRASES.get(field, ("changed", f"поле «{field}»"))
    return f"{NEUTRAL[verb_key]} {what}{where}: {value_text(field, old)} → {value_text(field, new)} ({who})"


def staff_timeline(entries: Iterable[OrderHistory]) -> list[TimelineItem]:
    """Every entry, oldest first, with who, comments and batch ids (back office only)."""
    return [
        TimelineItem(
            moment=e.created_at,
            actor=short_name(e.actor_kind, e.actor_name),
            text=sentence(e),
            comment=e.comment,
            batch_id=e.batch_id,
            field=e.field,
        )
        for e in sorted(entries, key=lambda e: e.id)
    ]


@dataclass(frozen=True)
class CustomerStatusItem:
    moment: datetime
    status: str  # the Russian label


def customer_timeline(entries: Iterable[OrderHistory]) -> list[CustomerStatusItem]:
    """The statuses the order went through, with when: no names, no comments, nothing else."""
    items = []
    for e in sorted(entries, key=lambda e: e.id):
        if e.field in ("created", "status") and e.new_value:
            try:
                label = OrderStatus(e.new_value).label
            except ValueError:
                continue
            items.append(CustomerStatusItem(moment=e.created_at, status=label))
    return items
