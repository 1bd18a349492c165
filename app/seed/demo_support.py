"""Demo support data: canned replies and two tickets (a question about an order, a misprint), idempotent."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models import CannedReply, Customer, Order, Ticket, TicketTopic
from app.services.actors import Actor
from app.services.support import tickets

CANNED = [
    ("Приветствие", None, "Здравствуйте, {имя}!\n\nСпасибо за обращение {обращение}. "),
    (
        "Макет: нет вылетов",
        TicketTopic.layout,
        "Здравствуйте, {имя}!\n\nВ макете нет вылетов под обрез (по 2 мм с каждой стороны). "
        "Пришлите, пожалуйста, исправленный файл — или мы напечатаем как есть, с риском белой полосы по краю.",
    ),
    (
        "Брак: перепечатаем",
        TicketTopic.defect,
        "Здравствуйте, {имя}!\n\nПриносим извинения: тираж заказа {заказ} перепечатаем бесплатно. "
        "Новый заказ уже в работе, о готовности сообщим.",
    ),
    (
        "Документы по счёту",
        TicketTopic.payment,
        "Здравствуйте, {имя}!\n\nЗакрывающие документы по заказу {заказ} отправим на почту компании в течение дня.",
    ),
]


def load_demo_support(session: Session, customers: list[Customer]) -> str:
    for title, topic, body in CANNED:
        if session.scalar(sa.select(CannedReply).where(CannedReply.title == title)) is None:
            session.add(CannedReply(title=title, topic=topic, body=body, is_active=True))
    session.flush()
    if session.scalar(sa.select(sa.func.count()).select_from(Ticket)):
        return "Поддержка: демо-обращения уже есть."
    ivan, _, romashka = customers
    first_order = session.scalar(sa.select(Order).where(Order.customer_id == ivan.id).order_by(Order.id))
    question = tickets.open_ticket(
        session,
        customer=ivan,
        topic=TicketTopic.order,
        subject="Можно забрать визитки завтра утром?",
        body="Здравствуйте! Успеете напечатать к 10 утра? Я буду рядом с офисом.",
        order_number=first_order.number if first_order else "",
    )
    tickets.staff_reply(
        session,
        question,
        actor=Actor.system("demo"),
        body="Здравствуйте, Иван! Да, заказ будет готов к 10:00, ждём вас.",
        then="waiting",
    )
    banner = session.scalar(sa.select(Order).where(Order.customer_id == romashka.id).order_by(Order.id))
    tickets.open_ticket(
        session,
        customer=romashka,
        topic=TicketTopic.defect,
        subject="Баннер выцвел по краю",
        body="На баннере по нижнему краю полоса другого цвета. Фото могу прислать.",
        order_number=banner.number if banner else "",
    )
    session.flush()
    return "Поддержка: 2 демо-обращения, шаблоны ответов."
