"""A support ticket's history as readable Russian for the back office.

«Иванова М. изменила статус: Новый → В работе».
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.models import TicketHistory, TicketPriority, TicketState, TicketTopic
from app.reports.order_timeline import is_feminine, short_name

ENUMS: dict[str, type] = {"state": TicketState, "priority": TicketPriority, "topic": TicketTopic}
# field → (masculine, feminine) sentence after the actor; {old} and {new} are filled in.
PHRASES: dict[str, tuple[str, str]] = {
    "created": ("создал обращение", "создала обращение"),
    "state": ("изменил статус: {old} → {new}", "изменила статус: {old} → {new}"),
    "priority": ("изменил приоритет: {old} → {new}", "изменила приоритет: {old} → {new}"),
    "topic": ("изменил тему: {old} → {new}", "изменила тему: {old} → {new}"),
    "tags": ("изменил метки: {old} → {new}", "изменила метки: {old} → {new}"),
    "assignee": ("назначил ответственного: {old} → {new}", "назначила ответственного: {old} → {new}"),
    "message": ("написал сообщение", "написала сообщение"),
    "reply": ("ответил покупателю", "ответила покупателю"),
    "note": ("добавил внутреннюю заметку", "добавила внутреннюю заметку"),
    "rating": ("поставил оценку {new} из 5", "поставила оценку {new} из 5"),
    "reprint": ("оформил бесплатную перепечатку: заказ {new}", "оформила бесплатную перепечатку: заказ {new}"),
}


def _value(field: str, value: str | None) -> str:
    if value is None or value == "":
        return "—"
    if field in ENUMS:
        try:
            return ENUMS[field](value).label
        except ValueError:
            return value
    return value


@dataclass(frozen=True)
class TicketEvent:
    moment: datetime
    text: str
    comment: str
    field: str


def sentence(entry: TicketHistory) -> str:
    who = short_name(entry.actor_kind, entry.actor_name)
    fallback = "изменил «" + entry.field + "»: {old} → {new}"
    phrase = PHRASES.get(entry.field, (fallback, fallback))
    template = phrase[1 if is_feminine(entry.actor_kind, entry.actor_name) else 0]
    return f"{who} " + template.format(
        old=_value(entry.field, entry.old_value), new=_value(entry.field, entry.new_value)
    )


def staff_timeline(entries: Iterable[TicketHistory]) -> list[TicketEvent]:
    return [
        TicketEvent(moment=e.created_at, text=sentence(e), comment=e.comment, field=e.field)
        for e in sorted(entries, key=lambda e: e.id)
    ]
