"""Support tickets: opening with checks and limits, the state machine, reopening, replies and notes, assignment,
rating, and the append-only history."""

import io
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine
from sqlalchemy.exc import DatabaseError

from app.models import ActorKind, StoredFile, Ticket, TicketHistory, TicketMessage, TicketPriority, TicketState
from app.services.actors import Actor
from app.services.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.services.orders.history import acting
from app.services.support import tickets
from app.services.support.attachments import Upload
from tests.factories import make_company, place_order
from tests.support_helpers import open_ticket, pdf_upload, png_upload, staff_actor, staff_user

S = TicketState


def fields(session, ticket) -> list[tuple[str, str | None, str | None]]:
    session.expire_all()
    return [
        (h.field, h.old_value, h.new_value)
        for h in session.scalars(
            sa.select(TicketHistory).where(TicketHistory.ticket_id == ticket.id).order_by(TicketHistory.id)
        )
    ]


def test_a_customer_opens_a_ticket_about_their_order_with_files(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    ticket = open_ticket(
        db_session,
        customer,
        topic="order",
        subject="  Поменять <b>бумагу</b>  ",
        body="Можно ли заменить бумагу?\n\nСпасибо.",
        order_number=order.number,
        uploads=[png_upload(), pdf_upload()],
    )
    assert ticket.state == S.new and ticket.priority == TicketPriority.normal
    assert ticket.subject == "Поменять бумагу"  # markup is not kept in plain-text fields
    assert ticket.order_id == order.id and ticket.customer_id == customer.id
    [message] = ticket.messages
    assert message.body == "Можно ли заменить бумагу?\n\nСпасибо." and message.internal is False
    assert [a.file.original_name for a in message.attachments] == ["photo.png", "scan.pdf"]
    assert all(a.file.customer_id == customer.id for a in message.attachments)
    assert ticket.first_response_due_at > ticket.created_at
    assert fields(db_session, ticket) == [("created", None, "new")]


def test_a_defect_starts_with_high_priority_and_a_company_order_names_the_company(db_session, catalog, customer):
    company = make_company(db_session, customer)
    order = place_order(db_session, customer, catalog.cards)
    with acting(db_session, Actor.system("test")):
        order.company_id = company.id
    db_session.commit()
    ticket = open_ticket(db_session, customer, topic="defect", subject="Брак тиража", order_number=order.number)
    assert ticket.priority == TicketPriority.high
    assert ticket.company_id == company.id


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"topic": "spam"}, "topic"),
        ({"subject": "  "}, "subject"),
        ({"subject": "x" * 201}, "subject"),
        ({"body": "<script></script>"}, "body"),
        ({"body": "а" * 5001}, "body"),
        ({"order_number": "2026-999999"}, "order"),
        ({"project_id": "12345"}, "project"),
        ({"uploads": [png_upload(f"{i}.png") for i in range(6)]}, "files"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(db_session, customer, changes, field):
    with pytest.raises(ValidationError) as refused:
        open_ticket(db_session, customer, **changes)
    db_session.rollback()
    assert refused.value.field == field
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0
    assert db_session.scalar(sa.select(sa.func.count()).select_from(StoredFile)) == 0


def test_another_customers_order_cannot_be_named(db_session, catalog, customer, other_customer):
    theirs = place_order(db_session, other_customer, catalog.cards)
    with pytest.raises(ValidationError, match="не найден среди ваших заказов"):
        open_ticket(db_session, customer, order_number=theirs.number)


def test_attachments_are_checked_by_content_and_size(app, db_session, customer, monkeypatch):
    fake = Upload(io.BytesIO(b"MZ\x90\x00 not a picture"), "virus.png")
    with pytest.raises(ValidationError, match="«virus.png»: Этот тип файла не принимается"):
        open_ticket(db_session, customer, uploads=[fake])
    db_session.rollback()
    with pytest.raises(ValidationError, match="«empty.pdf» пустой"):
        open_ticket(db_session, customer, uploads=[Upload(io.BytesIO(b""), "empty.pdf")])
    db_session.rollback()
    monkeypatch.setitem(app.config, "SUPPORT_ATTACHMENT_MAX_BYTES", 1024 * 1024)
    big = Upload(io.BytesIO(b"%PDF-1.4\n" + b"0" * (1024 * 1024 + 10)), "big.pdf")
    with pytest.raises(ValidationError, match="«big.pdf» слишком большой: максимум 1 МБ"):
        open_ticket(db_session, customer, uploads=[big])
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Ticket)) == 0


def test_open_tickets_per_customer_are_limited(app, db_session, customer, monkeypatch):
    monkeypatch.setitem(app.config, "SUPPORT_MAX_OPEN_TICKETS", 2)
    first = open_ticket(db_session, customer)
    open_ticket(db_session, customer)
    with pytest.raises(ValidationError, match="уже 2 открытых обращений"):
        open_ticket(db_session, customer)
    db_session.rollback()
    tickets.close_by_customer(db_session, first, customer=customer)
    db_session.commit()
    open_ticket(db_session, customer)  # a closed ticket frees a place


def test_messages_per_hour_are_limited(app, db_session, customer, monkeypatch):
    monkeypatch.setitem(app.config, "SUPPORT_MESSAGES_PER_HOUR", 3)
    ticket = open_ticket(db_session, customer)
    tickets.customer_reply(db_session, ticket, customer=customer, body="Второе")
    tickets.customer_reply(db_session, ticket, customer=customer, body="Третье")
    db_session.commit()
    with pytest.raises(ValidationError, match="не больше 3 в час"):
        tickets.customer_reply(db_session, ticket, customer=customer, body="Четвёртое")
    db_session.rollback()
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=61)):
        tickets.customer_reply(db_session, ticket, customer=customer, body="Через час можно")


def test_a_blocked_or_unconfirmed_customer_cannot_write(app, db_session, customer, monkeypatch):
    customer.active = False
    with pytest.raises(PermissionDenied, match="заблокирована"):
        open_ticket(db_session, customer)
    db_session.rollback()
    customer.active = True
    monkeypatch.setitem(app.config, "SECURITY_CONFIRMABLE", True)
    with pytest.raises(PermissionDenied, match="Подтвердите email"):
        open_ticket(db_session, customer)
    db_session.rollback()
    monkeypatch.setitem(app.config, "SUPPORT_REQUIRE_CONFIRMED_EMAIL", False)
    open_ticket(db_session, customer)


def test_staff_reply_is_the_first_response_assigns_and_waits_for_the_customer(app, db_session, customer):
    ticket = open_ticket(db_session, customer)
    actor = staff_actor(app, db_session)
    message = tickets.staff_reply(db_session, ticket, actor=actor, body="Будет готов завтра.", uploads=[pdf_upload()])
    db_session.commit()
    assert message.internal is False and message.author_kind == ActorKind.staff
    assert ticket.first_response_at == message.created_at
    assert ticket.assignee_id == actor.staff_id
    assert ticket.state == S.waiting and ticket.paused_since is not None
    assert message.attachments[0].file.customer_id is None  # staff files are served through the ticket only
    assert [f for f, _, _ in fields(db_session, ticket)] == ["created", "reply", "assignee", "state", "state"]
    assert fields(db_session, ticket)[-2:] == [("state", "new", "in_progress"), ("state", "in_progress", "waiting")]


def test_an_internal_note_changes_nothing_the_customer_sees(app, db_session, customer):
    ticket = open_ticket(db_session, customer)
    before = ticket.last_message_at
    note = tickets.add_note(db_session, ticket, actor=staff_actor(app, db_session), body="Проверить оплату")
    db_session.commit()
    assert note.internal is True
    assert ticket.first_response_at is None and ticket.state == S.new and ticket.last_message_at == before
    assert [m.body for m in tickets.public_messages(db_session, ticket)] == [ticket.messages[0].body]
    row = tickets.customer_tickets(db_session, customer.id)[0]
    assert row.last_reply is None


def test_the_database_refuses_an_internal_message_from_a_customer(db_session, customer):
    ticket = open_ticket(db_session, customer)
    db_session.add(
        TicketMessage(ticket_id=ticket.id, author_kind=ActorKind.customer, author_name="x", body="x", internal=True)
    )
    with pytest.raises(DatabaseError):
        db_session.flush()


def test_state_machine_refuses_impossible_moves(app, db_session, customer):
    ticket = open_ticket(db_session, customer)
    actor = staff_actor(app, db_session)
    with pytest.raises(InvalidTransition, match="уже в статусе «Новый»"):
        tickets.change_state(db_session, ticket, "new", actor=actor)
    with pytest.raises(ValidationError, match="Неизвестный статус"):
        tickets.change_state(db_session, ticket, "lost", actor=actor)
    tickets.change_state(db_session, ticket, "resolved", actor=actor, comment="ответили по телефону")
    with pytest.raises(InvalidTransition, match="Нельзя из «Решён» в «Ждём клиента»"):
        tickets.change_state(db_session, ticket, "waiting", actor=actor)
    tickets.change_state(db_session, ticket, "closed", actor=actor)
    db_session.commit()
    assert tickets.allowed_states(ticket) == [S.in_progress]
    with pytest.raises(InvalidTransition, match="закрыто"):
        tickets.staff_reply(db_session, ticket, actor=actor, body="ещё")
    entry = fields(db_session, ticket)[1]
    assert entry == ("state", "new", "resolved")


def test_a_customer_reply_brings_a_waiting_ticket_back_to_work(app, db_session, customer):
    ticket = open_ticket(db_session, customer)
    tickets.staff_reply(db_session, ticket, actor=staff_actor(app, db_session), body="Пришлите макет")
    db_session.commit()
    written, message = tickets.customer_reply(
        db_session, ticket, customer=customer, body="Вот он", uploads=[pdf_upload()]
    )
    db_session.commit()
    assert written.id == ticket.id and ticket.state == S.in_progress and ticket.paused_since is None
    assert ticket.last_customer_message_at == message.created_at


def test_a_reply_within_the_reopen_window_reopens_later_opens_a_new_ticket(app, db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    ticket = open_ticket(db_session, customer, order_number=order.number)
    actor = staff_actor(app, db_session)
    tickets.staff_reply(db_session, ticket, actor=actor, body="Готово", then="resolved")
    db_session.commit()
    assert ticket.state == S.resolved and ticket.resolved_at is not None
    with time_machine.travel(datetime.now(UTC) + timedelta(days=13)):
        written, _ = tickets.customer_reply(db_session, ticket, customer=customer, body="Не совсем")
        db_session.commit()
    assert written.id == ticket.id and ticket.state == S.in_progress and ticket.reopen_count == 1
    assert ticket.resolved_at is None
    tickets.close_by_customer(db_session, ticket, customer=customer)
    db_session.commit()
    with time_machine.travel(datetime.now(UTC) + timedelta(days=15)):
        written, message = tickets.customer_reply(db_session, ticket, customer=customer, body="Снова вопрос")
        db_session.commit()
    assert written.id != ticket.id and written.previous_ticket_id == ticket.id
    assert written.order_id == order.id and written.topic == ticket.topic and message.body == "Снова вопрос"
    db_session.refresh(ticket)
    assert ticket.state == S.closed
    assert fields(db_session, written)[0] == ("created", None, "new")


def test_close_and_rate_once_after_closing(db_session, customer, other_customer):
    ticket = open_ticket(db_session, customer)
    with pytest.raises(ValidationError, match="Оценить можно закрытое"):
        tickets.rate(db_session, ticket, customer=customer, rating=5)
    with pytest.raises(NotFound):
        tickets.close_by_customer(db_session, ticket, customer=other_customer)
    tickets.close_by_customer(db_session, ticket, customer=customer)
    with pytest.raises(InvalidTransition, match="уже закрыто"):
        tickets.close_by_customer(db_session, ticket, customer=customer)
    for bad in ("0", "6", "пять", ""):
        with pytest.raises(ValidationError, match="от 1 до 5"):
            tickets.rate(db_session, ticket, customer=customer, rating=bad)
    tickets.rate(db_session, ticket, customer=customer, rating="4", comment=" Быстро <i>ответили</i> ")
    db_session.commit()
    assert (ticket.rating, ticket.rating_comment) == (4, "Быстро ответили")
    with pytest.raises(ValidationError, match="уже поставлена"):
        tickets.rate(db_session, ticket, customer=customer, rating=1)
    assert fields(db_session, ticket)[-1] == ("rating", None, "4")


def test_assignment_checks_the_staff_member_and_records_names(app, db_session, customer):
    ticket = open_ticket(db_session, customer)
    actor = staff_actor(app, db_session, "Manager")
    ivanova = staff_user(app, db_session, "Support")
    accountant = staff_user(app, db_session, "Accountant")
    with pytest.raises(ValidationError, match="не работает с обращениями"):
        tickets.assign(db_session, ticket, accountant.id, actor=actor)
    with pytest.raises(ValidationError, match="Выберите сотрудника"):
        tickets.parse_assignee("abc")
    assert tickets.assign(db_session, ticket, ivanova.id, actor=actor, comment="по макетам") is True
    assert tickets.assign(db_session, ticket, ivanova.id, actor=actor) is False
    assert tickets.assign(db_session, ticket, None, actor=actor) is True
    db_session.commit()
    history = fields(db_session, ticket)
    assert ("assignee", None, "Тестов Support") in history and ("assignee", "Тестов Support", None) in history
    assert ("state", "new", "in_progress") in history
    assert {u.id for u in tickets.support_staff(db_session)} == {actor.staff_id, ivanova.id}


def test_mass_assignment_leaves_closed_tickets(app, db_session, customer):
    first, second, closed = (open_ticket(db_session, customer) for _ in range(3))
    tickets.close_by_customer(db_session, closed, customer=customer)
    db_session.commit()
    actor = staff_actor(app, db_session, "Manager")
    assert tickets.assign_many(db_session, [first.id, second.id, closed.id], actor.staff_id, actor=actor) == (2, 1)
    db_session.commit()
    assert (first.assignee_id, second.assignee_id, closed.assignee_id) == (actor.staff_id, actor.staff_id, None)
    with pytest.raises(ValidationError):
        tickets.assign_many(db_session, [], None, actor=actor)


def test_priority_topic_and_tags_are_recorded_and_move_the_due_times(app, db_session, customer):
    ticket = open_ticket(db_session, customer)
    due = ticket.first_response_due_at
    actor = staff_actor(app, db_session)
    changed = tickets.update_details(
        db_session, ticket, actor=actor, priority="urgent", topic="layout", tags="Срочно, макет ,срочно"
    )
    db_session.commit()
    assert changed == 3 and ticket.tags == "срочно, макет"
    assert ticket.first_response_due_at < due
    assert fields(db_session, ticket)[1:] == [
        ("priority", "normal", "urgent"),
        ("topic", "order", "layout"),
        ("tags", None, "срочно, макет"),
    ]
    assert (
        tickets.update_details(db_session, ticket, actor=actor, priority="urgent", topic="layout", tags="макет, срочно")
        == 1
    )
    with pytest.raises(ValidationError, match="приоритет"):
        tickets.update_details(db_session, ticket, actor=actor, priority="asap")


def test_ticket_history_is_append_only_in_the_database(db_session, customer):
    ticket = open_ticket(db_session, customer)
    with pytest.raises(DatabaseError):
        db_session.execute(
            sa.text("UPDATE support_ticket_history SET new_value = 'closed' WHERE ticket_id = :t"), {"t": ticket.id}
        )
    db_session.rollback()
    with pytest.raises(DatabaseError):
        db_session.execute(sa.text("DELETE FROM support_ticket_history WHERE ticket_id = :t"), {"t": ticket.id})
    db_session.rollback()
    assert len(fields(db_session, ticket)) == 1


def test_a_customer_sees_only_their_own_tickets(db_session, customer, other_customer):
    mine = open_ticket(db_session, customer)
    theirs = open_ticket(db_session, other_customer)
    assert [row.ticket.id for row in tickets.customer_tickets(db_session, customer.id)] == [mine.id]
    with pytest.raises(NotFound):
        tickets.customer_ticket(db_session, theirs.id, customer.id)
    with pytest.raises(NotFound):
        tickets.customer_reply(db_session, theirs, customer=customer, body="чужое")
