"""History in words: who did what, the verb agreeing with the actor; the customer sees statuses only."""

from datetime import UTC, datetime

import pytest

from app.models import ActorKind, OrderHistory
from app.reports.order_timeline import customer_timeline, is_feminine, sentence, short_name

MOMENT = datetime(2026, 3, 12, 11, 5, tzinfo=UTC)


def entry(field, old=None, new=None, *, kind=ActorKind.staff, name="Иванова Мария", subject="", entry_id=1):
    return OrderHistory(
        id=entry_id,
        created_at=MOMENT,
        actor_kind=kind,
        actor_name=name,
        field=field,
        old_value=old,
        new_value=new,
        comment="внутреннее",
        subject=subject,
    )


@pytest.mark.parametrize(
    "item, text",
    [
        (entry("status", "confirmed", "in_production"), "Иванова М. изменила статус: Принят → В печати"),
        (entry("status", "new", "confirmed", name="Сидоров Олег"), "Сидоров О. изменил статус: Новый → Принят"),
        (
            entry("created", None, "new", kind=ActorKind.customer, name="Анна Кузнецова"),
            "Заказ оформлен покупателем: Анна Кузнецова",
        ),
        (
            entry("status", "new", "cancelled", kind=ActorKind.customer, name="Анна Кузнецова"),
            "Изменение — статус: Новый → Отменён (Анна Кузнецова)",
        ),
        (
            entry("layout_file", "a.pdf", "b.pdf", kind=ActorKind.customer, name="Саша", subject="поз. 1"),
            "Замена — макет (поз. 1): a.pdf → b.pdf (Саша)",
        ),
        (entry("created", None, "new", name="Admin"), "Заказ оформлен сотрудником: Admin"),
        (entry("label_printed", "1", "2", name="Admin"), "Напечатана этикетка, 2-й раз (Admin)"),
        (
            entry("payment_status", "unpaid", "paid", kind=ActorKind.system, name="система (оплата)"),
            "Система (оплата) изменила оплату: Не оплачен → Оплачен",
        ),
        (entry("due_date", None, "2026-12-03"), "Иванова М. изменила срок готовности: — → 03.12.2026"),
        (entry("total", "790.00", "1190.00"), "Иванова М. изменила сумму заказа: 790,00\u00a0₽ → 1\u00a0190,00\u00a0₽"),
        (
            entry("line_quantity", "100", "500", subject="поз. 1 «Визитки»"),
            "Иванова М. изменила тираж (поз. 1 «Визитки»): 100 → 500",
        ),
        (
            entry("line_added", None, "Листовки, 1000 шт. — 2490.00"),
            "Иванова М. добавила позицию: Листовки, 1000 шт. — 2\u00a0490,00\u00a0₽",
        ),
        (
            entry("layout_file", "a.pdf", "b.pdf", subject="поз. 1 «Визитки»"),
            "Иванова М. заменила макет (поз. 1 «Визитки»): a.pdf → b.pdf",
        ),
        (entry("assignee", None, "Сидоров Олег"), "Иванова М. назначила ответственного: — → Сидоров Олег"),
        (entry("assignee", "Сидоров Олег", None), "Иванова М. сняла ответственного: Сидоров Олег"),
        (
            entry("label_printed", "1", "2", subject="Термоэтикетка 58×40 мм"),
            "Иванова М. повторно напечатала этикетку (Термоэтикетка 58×40 мм), 2-й раз",
        ),
        (entry("document_issued", None, "Счёт № 15"), "Иванова М. изменила поле «document_issued»: — → Счёт № 15"),
    ],
)
def test_entries_read_as_russian_sentences(item, text):
    assert sentence(item) == text


def test_gender_and_short_names():
    assert is_feminine(ActorKind.staff, "Бухова Анна") and not is_feminine(ActorKind.staff, "Тестов Operator")
    assert is_feminine(ActorKind.customer, "Никита Ильин") is None and is_feminine(ActorKind.system, "система (demo)")
    assert is_feminine(ActorKind.staff, "Олег") is False and is_feminine(ActorKind.staff, "admin") is None
    assert short_name(ActorKind.staff, "Иванова Мария") == "Иванова М."
    assert short_name(ActorKind.customer, "Иван Петров") == "Иван Петров"


def test_the_customer_sees_statuses_without_names_or_comments():
    items = customer_timeline(
        [
            entry("created", None, "new", kind=ActorKind.customer, name="Иван Петров", entry_id=1),
            entry("comment", "", "позвонить", entry_id=2),
            entry("status", "new", "confirmed", entry_id=3),
            entry("payment_status", "unpaid", "paid", entry_id=4),
        ]
    )
    assert [(i.status, i.moment) for i in items] == [("Новый", MOMENT), ("Принят", MOMENT)]
    assert not hasattr(items[0], "actor") and not hasattr(items[0], "comment")
