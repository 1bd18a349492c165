"""The life of a support ticket: opening one, replies and internal notes, states, assignment, priority and tags,
closing and rating by the customer, limits, auto-close — each change written to the ticket's history.

States: новый → в работе → ждём клиента → решён → закрыт. A customer's reply brings a ticket waiting for
them back to work, and reopens a resolved or closed one within SUPPORT_REOPEN_DAYS; later it opens a new
ticket that names the old one. Internal notes are staff-only: no query here hands them to the customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_appbuilder.security.sqla.models import Role, User
from sqlalchemy.orm import Session, selectinload

from app.models import (
    ActorKind,
    Customer,
    Order,
    StoredFile,
    Ticket,
    TicketAttachment,
    TicketHistory,
    TicketMessage,
    TicketPriority,
    TicketState,
    TicketTopic,
)
from app.services.actors import Actor, staff_name
from app.services.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.services.markup import plain_text
from app.services.orders import lookup
from app.services.projects import projects
from app.services.shoptime import now
from app.services.support import attachments, notices, sla
from app.services.support.attachments import Upload

S = TicketState

# Staff moves between states (a customer's reply, close and the jobs make their own, below).
TRANSITIONS: dict[TicketState, frozenset[TicketState]] = {
    S.new: frozenset({S.in_progress, S.waiting, S.resolved, S.closed}),
    S.in_progress: frozenset({S.waiting, S.resolved, S.closed}),
    S.waiting: frozenset({S.in_progress, S.resolved, S.closed}),
    S.resolved: frozenset({S.in_progress, S.closed}),
    S.closed: frozenset({S.in_progress}),
}
# Counted against the customer's limit of open tickets.
OPEN_STATES = frozenset({S.new, S.in_progress, S.waiting})
# States a staff reply may leave the ticket in.
REPLY_STATES = (S.waiting, S.in_progress, S.resolved)
# Roles whose members work tickets (the back office declares what each may do; see views/admin/permissions.py).
SUPPORT_ROLES = ("Support", "Operator", "Manager", "Admin")

SUBJECT_MAX = 200
COMMENT_MAX = 1000
TAGS_MAX = 300


@dataclass(frozen=True)
class Limits:
    max_open: int
    messages_per_hour: int
    message_chars: int
    reopen_days: int
    autoclose_days: int


def limits() -> Limits:
    config = current_app.config
    return Limits(
        max_open=int(config.get("SUPPORT_MAX_OPEN_TICKETS", 5)),
        messages_per_hour=int(config.get("SUPPORT_MESSAGES_PER_HOUR", 20)),
        message_chars=int(config.get("SUPPORT_MESSAGE_MAX_CHARS", 5000)),
        reopen_days=int(config.get("SUPPORT_REOPEN_DAYS", 14)),
        autoclose_days=int(config.get("SUPPORT_AUTOCLOSE_DAYS", 7)),
    )


def confirmation_required(customer: Customer) -> bool:
    """Whether the customer must confirm their email before writing (only when the shop confirms emails)."""
    config = current_app.config
    return bool(
        config.get("SUPPORT_REQUIRE_CONFIRMED_EMAIL", True)
        and config.get("SECURITY_CONFIRMABLE", False)
        and customer.confirmed_at is None
    )


# --- history ---------------------------------------------------------------------------------------------


def record(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    field: str,
    old: str | None,
    new: str | None,
    *,
    comment: str = "",
    moment: datetime | None = None,
) -> TicketHistory:
    entry = TicketHistory(
        created_at=moment or now(),
        actor_kind=actor.kind,
        actor_staff_id=actor.staff_id,
        actor_customer_id=actor.customer_id,
        actor_name=actor.name[:200],
        field=field,
        old_value=old,
        new_value=new,
        comment=comment,
    )
    if ticket.id is None:
        entry.ticket = ticket
    else:
        entry.ticket_id = ticket.id
    session.add(entry)
    return entry


# --- input -------------------------------------------------------------------------------------------------


def parse_topic(value: TicketTopic | str | None) -> TicketTopic:
    try:
        return TicketTopic(value or "")
    except ValueError:
        raise ValidationError("Выберите тему обращения.", field="topic") from None


def parse_priority(value: TicketPriority | str | None) -> TicketPriority:
    try:
        return TicketPriority(value or "")
    except ValueError:
        raise ValidationError("Выберите приоритет.", field="priority") from None


def parse_state(value: TicketState | str | None) -> TicketState:
    try:
        return TicketState(value or "")
    except ValueError:
        raise ValidationError("Неизвестный статус обращения.", field="state") from None


def clean_subject(value: str | None) -> str:
    subject = plain_text(value)
    if len(subject) < 3:
        raise ValidationError("Напишите тему обращения (хотя бы 3 символа).", field="subject")
    if len(subject) > SUBJECT_MAX:
        raise ValidationError(f"Тема — не длиннее {SUBJECT_MAX} символов.", field="subject")
    return subject


def clean_body(value: str | None, *, field: str = "body") -> str:
    body = plain_text(value, multiline=True)
    if not body:
        raise ValidationError("Напишите текст сообщения.", field=field)
    limit = limits().message_chars
    if len(body) > limit:
        raise ValidationError(f"Сообщение — не длиннее {limit} символов (сейчас {len(body)}).", field=field)
    return body


def clean_tags(value: str | None) -> str:
    """«Срочно, Доставка ,срочно» → «срочно, доставка»: lower case, no repeats, in the order given."""
    seen: list[str] = []
    for part in plain_text(value).replace(";", ",").split(","):
        tag = part.strip().lower()
        if tag and tag not in seen:
            seen.append(tag[:40])
    text = ", ".join(seen)
    if len(text) > TAGS_MAX:
        raise ValidationError(f"Метки — не длиннее {TAGS_MAX} символов вместе.", field="tags")
    return text


def _check_customer(customer: Customer) -> None:
    if not customer.active:
        raise PermissionDenied("Учётная запись заблокирована — обращения недоступны.")
    if confirmation_required(customer):
        raise PermissionDenied("Подтвердите email: мы отправили ссылку на почту, её можно запросить снова.")


def _check_rate(session: Session, customer: Customer, moment: datetime) -> None:
    allowed = limits().messages_per_hour
    sent = session.scalar(
        sa.select(sa.func.count())
        .select_from(TicketMessage)
        .where(TicketMessage.author_customer_id == customer.id, TicketMessage.created_at > moment - timedelta(hours=1))
    )
    if (sent or 0) >= allowed:
        raise ValidationError(
            f"Слишком много сообщений: не больше {allowed} в час. Попробуйте немного позже.", field="body"
        )


def open_count(session: Session, customer_id: int) -> int:
    return (
        session.scalar(
            sa.select(sa.func.count())
            .select_from(Ticket)
            .where(Ticket.customer_id == customer_id, Ticket.state.in_(OPEN_STATES))
        )
        or 0
    )


def _check_open_limit(session: Session, customer: Customer) -> None:
    allowed = limits().max_open
    if open_count(session, customer.id) >= allowed:
        raise ValidationError(
            f"У вас уже {allowed} открытых обращений — это максимум. Дождитесь ответа по ним "
            "или закройте те, где вопрос решён.",
        )


# --- customers -------------------------------------------------------------------------------------------


def _add_message(
    session: Session,
    ticket: Ticket,
    actor: Actor,
    body: str,
    files: Sequence[StoredFile],
    *,
    internal: bool,
    moment: datetime,
) -> TicketMessage:
    message = TicketMessage(
        ticket=ticket,
        created_at=moment,
        author_kind=actor.kind,
        author_customer_id=actor.customer_id,
        author_staff_id=actor.staff_id,
        author_name=actor.name[:200],
        body=body,
        internal=internal,
    )
    session.add(message)
    attachments.attach(session, message, files)
    if not internal:
        ticket.last_message_at = moment
    return message


def open_ticket(
    session: Session,
    *,
    customer: Customer,
    topic: TicketTopic | str,
    subject: str,
    body: str,
    order_number: str = "",
    project_id: int | str | None = None,
    uploads: Sequence[Upload] = (),
    previous: Ticket | None = None,
) -> Ticket:
    """A new ticket with its first message; every rule is checked before anything is stored."""
    _check_customer(customer)
    chosen_topic = parse_topic(topic)
    clean_subject_text = clean_subject(subject)
    text = clean_body(body)
    order = None
    if order_number and order_number.strip():
        try:
            order = lookup.customer_order(session, customer.id, order_number.strip())
        except NotFound:
            raise ValidationError("Заказ не найден среди ваших заказов.", field="order") from None
    project = None
    if project_id not in (None, ""):
        try:
            project = projects.project_for_customer(session, int(project_id), customer.id)  # type: ignore[arg-type]
        except (NotFound, ValueError):
            raise ValidationError("Проект не найден среди ваших проектов.", field="project") from None
    attachments.check_count(uploads)
    moment = now()
    _check_open_limit(session, customer)
    _check_rate(session, customer, moment)
    files = attachments.store(session, uploads, customer_id=customer.id)

    actor = Actor.customer(customer)
    ticket = Ticket(
        customer_id=customer.id,
        topic=chosen_topic,
        subject=clean_subject_text,
        state=S.new,
        priority=sla.default_priority(chosen_topic),
        order_id=order.id if order is not None else None,
        project_id=project.id if project is not None else None,
        company_id=(order.company_id if order is not None else None)
        or (project.company_id if project is not None else None),
        previous_ticket_id=previous.id if previous is not None else None,
        created_at=moment,
        state_changed_at=moment,
        last_message_at=moment,
        last_customer_message_at=moment,
    )
    sla.apply_targets(session, ticket)
    session.add(ticket)
    _add_message(session, ticket, actor, text, files, internal=False, moment=moment)
    record(
        session,
        ticket,
        actor,
        "created",
        None,
        S.new.value,
        comment=f"продолжение обращения № {previous.id}" if previous is not None else "",
        moment=moment,
    )
    session.flush()
    return ticket


def reopen_deadline(ticket: Ticket) -> datetime | None:
    """Until when a customer's reply reopens a resolved or closed ticket (None while it is open)."""
    ended = ticket.closed_at if ticket.state == S.closed else ticket.resolved_at
    if ticket.state not in (S.resolved, S.closed) or ended is None:
        return None
    return ended + timedelta(days=limits().reopen_days)


def customer_reply(
    session: Session, ticket: Ticket, *, customer: Customer, body: str, uploads: Sequence[Upload] = ()
) -> tuple[Ticket, TicketMessage]:
    """The customer writes in their ticket. Returns the ticket written to: a new one when the old one
    was closed longer ago than SUPPORT_REOPEN_DAYS."""
    if ticket.customer_id != customer.id:
        raise NotFound("Обращение не найдено.")
    _check_customer(customer)
    text = clean_body(body)
    attachments.check_count(uploads)
    moment = now()
    deadline = reopen_deadline(ticket)
    if deadline is not None and moment > deadline:
        new = open_ticket(
            session,
            customer=customer,
            topic=ticket.topic,
            subject=ticket.subject,
            body=text,
            order_number=ticket.order.number
            if ticket.order is not None and ticket.order.customer_id == customer.id
            else "",
            project_id=ticket.project_id,
            uploads=uploads,
            previous=ticket,
        )
        return new, new.messages[0]
    _check_rate(session, customer, moment)
    files = attachments.store(session, uploads, customer_id=customer.id)
    actor = Actor.customer(customer)
    message = _add_message(session, ticket, actor, text, files, internal=False, moment=moment)
    ticket.last_customer_message_at = moment
    record(session, ticket, actor, "message", None, "сообщение покупателя", moment=moment)
    if ticket.state in (S.waiting, S.resolved, S.closed):
        _set_state(session, ticket, S.in_progress, actor=actor, moment=moment)
    session.flush()
    return ticket, message


def close_by_customer(session: Session, ticket: Ticket, *, customer: Customer) -> Ticket:
    """«Вопрос решён»: the customer closes their ticket."""
    if ticket.customer_id != customer.id:
        raise NotFound("Обращение не найдено.")
    if ticket.state == S.closed:
        raise InvalidTransition("Обращение уже закрыто.")
    _set_state(session, ticket, S.closed, actor=Actor.customer(customer), moment=now())
    session.flush()
    return ticket


def rate(session: Session, ticket: Ticket, *, customer: Customer, rating: int | str, comment: str = "") -> Ticket:
    """A 1–5 mark with a comment, once, after the ticket is closed."""
    if ticket.customer_id != customer.id:
        raise NotFound("Обращение не найдено.")
    if ticket.state != S.closed:
        raise ValidationError("Оценить можно закрытое обращение.", field="rating")
    if ticket.rating is not None:
        raise ValidationError("Оценка уже поставлена — спасибо!", field="rating")
    try:
        mark = int(rating)
    except (TypeError, ValueError):
        mark = 0
    if not 1 <= mark <= 5:
        raise ValidationError("Поставьте оценку от 1 до 5.", field="rating")
    text = plain_text(comment, multiline=True)
    if len(text) > COMMENT_MAX:
        raise ValidationError(f"Комментарий — не длиннее {COMMENT_MAX} символов.", field="rating_comment")
    moment = now()
    ticket.rating, ticket.rating_comment, ticket.rated_at = mark, text, moment
    record(session, ticket, Actor.customer(customer), "rating", None, str(mark), comment=text, moment=moment)
    session.flush()
    return ticket


@dataclass(frozen=True)
class TicketRow:
    """A line of «Мои обращения»: the ticket and the last public answer of the shop (if any)."""

    ticket: Ticket
    last_reply: TicketMessage | None


def customer_tickets(session: Session, customer_id: int) -> list[TicketRow]:
    tickets = list(
        session.scalars(
            sa.select(Ticket)
            .where(Ticket.customer_id == customer_id)
            .options(selectinload(Ticket.order))
            .order_by(Ticket.last_message_at.desc(), Ticket.id.desc())
        )
    )
    replies: dict[int, TicketMessage] = {}
    if tickets:
        for message in session.scalars(
            sa.select(TicketMessage)
            .where(
                TicketMessage.ticket_id.in_([t.id for t in tickets]),
                TicketMessage.internal.is_(False),
                TicketMessage.author_kind != ActorKind.customer,
            )
            .order_by(TicketMessage.id.desc())
        ):
            replies.setdefault(message.ticket_id, message)
    return [TicketRow(t, replies.get(t.id)) for t in tickets]


def customer_ticket(session: Session, ticket_id: int, customer_id: int) -> Ticket:
    """The customer's own ticket; NotFound for anyone else's (the same answer as for no ticket at all)."""
    ticket = session.scalar(sa.select(Ticket).where(Ticket.id == ticket_id, Ticket.customer_id == customer_id))
    if ticket is None:
        raise NotFound("Обращение не найдено.")
    return ticket


def public_messages(session: Session, ticket: Ticket) -> list[TicketMessage]:
    """The conversation as the customer sees it: never an internal note."""
    return list(
        session.scalars(
            sa.select(TicketMessage)
            .where(TicketMessage.ticket_id == ticket.id, TicketMessage.internal.is_(False))
            .options(selectinload(TicketMessage.attachments).selectinload(TicketAttachment.file))
            .order_by(TicketMessage.id)
        )
    )


def order_choices(session: Session, customer_id: int) -> list[Order]:
    return lookup.customer_orders(session, customer_id)


# --- staff -------------------------------------------------------------------------------------------------


def _set_state(
    session: Session, ticket: Ticket, target: TicketState, *, actor: Actor, moment: datetime, comment: str = ""
) -> None:
    """Move the ticket, keeping its timestamps and SLA clocks, and record it (no rule checked here)."""
    old = ticket.state
    if old == target:
        return
    ticket.state = target
    ticket.state_changed_at = moment
    ended = (S.resolved, S.closed)
    if old in ended and target not in ended:
        ticket.resolved_at = None
        ticket.closed_at = None
        ticket.reopen_count = (ticket.reopen_count or 0) + 1
    if target == S.resolved:
        ticket.resolved_at = moment
    if target == S.closed:
        ticket.closed_at = moment
    if target in sla.RUNNING_STATES:
        sla.resume(session, ticket, moment)
    else:
        sla.pause(ticket, moment)
    record(session, ticket, actor, "state", old.value, target.value, comment=comment, moment=moment)
    sla.refresh(ticket)


def transition_error(ticket: Ticket, target: TicketState) -> str | None:
    if target == ticket.state:
        return f"Обращение уже в статусе «{target.label}»."
    if target not in TRANSITIONS[ticket.state]:
        return f"Нельзя из «{ticket.state.label}» в «{target.label}»."
    return None


def allowed_states(ticket: Ticket) -> list[TicketState]:
    return [s for s in TicketState if s in TRANSITIONS[ticket.state]]


def change_state(
    session: Session, ticket: Ticket, target: TicketState | str, *, actor: Actor, comment: str = ""
) -> Ticket:
    """A staff change of state through the state machine; the customer hears of «решён» and «закрыт»."""
    state = parse_state(target)
    error = transition_error(ticket, state)
    if error:
        raise InvalidTransition(error)
    _set_state(session, ticket, state, actor=actor, moment=now(), comment=plain_text(comment)[:COMMENT_MAX])
    session.flush()
    if state in (S.resolved, S.closed):
        notices.state_changed(session, ticket)
    return ticket


def staff_reply(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    body: str,
    then: TicketState | str = S.waiting,
    uploads: Sequence[Upload] = (),
) -> TicketMessage:
    """A public answer: the customer sees it and is told by their channels. The first one is the first response."""
    if ticket.state == S.closed:
        raise InvalidTransition("Обращение закрыто — сначала верните его в работу.")
    text = clean_body(body)
    after = parse_state(then)
    if after not in REPLY_STATES:
        raise ValidationError("После ответа обращение может быть «в работе», «ждём клиента» или «решён».", field="then")
    files = attachments.store(session, uploads, customer_id=None)
    moment = now()
    message = _add_message(session, ticket, actor, text, files, internal=False, moment=moment)
    ticket.last_staff_reply_at = moment
    if ticket.first_response_at is None:
        ticket.first_response_at = moment
    record(session, ticket, actor, "reply", None, "ответ покупателю", moment=moment)
    if ticket.assignee_id is None and actor.staff_id is not None:
        _assign(session, ticket, actor.staff_id, actor=actor, moment=moment)
    _set_state(session, ticket, after, actor=actor, moment=moment)
    sla.refresh(ticket)
    session.flush()
    # One message to the customer: the reply says itself when it marks the ticket resolved.
    notices.reply_sent(session, message, state_after=after)
    return message


def add_note(
    session: Session, ticket: Ticket, *, actor: Actor, body: str, uploads: Sequence[Upload] = ()
) -> TicketMessage:
    """An internal note: for staff only — never shown to the customer, never sent."""
    text = clean_body(body)
    files = attachments.store(session, uploads, customer_id=None)
    moment = now()
    message = _add_message(session, ticket, actor, text, files, internal=True, moment=moment)
    record(session, ticket, actor, "note", None, "внутренняя заметка", moment=moment)
    session.flush()
    return message


def support_staff(session: Session) -> list[User]:
    """Active staff who work tickets (can be made assignee)."""
    return list(
        session.scalars(
            sa.select(User)
            .where(User.active.is_(True), User.roles.any(Role.name.in_(SUPPORT_ROLES)))
            .order_by(User.last_name, User.first_name)
        )
    )


def _staff_member(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not user.active or not any(r.name in SUPPORT_ROLES for r in user.roles):
        raise ValidationError("Сотрудник не найден, отключён или не работает с обращениями.", field="assignee_id")
    return user


def _assign(
    session: Session, ticket: Ticket, user_id: int | None, *, actor: Actor, moment: datetime, comment: str = ""
) -> bool:
    if user_id == ticket.assignee_id:
        return False
    names = {}
    for uid in (ticket.assignee_id, user_id):
        if uid is not None:
            user = session.get(User, uid)
            names[uid] = staff_name(user) if user is not None else str(uid)
    old = names.get(ticket.assignee_id) if ticket.assignee_id is not None else None
    ticket.assignee_id = user_id
    record(
        session, ticket, actor, "assignee", old, names.get(user_id) if user_id else None, comment=comment, moment=moment
    )
    if user_id is not None and ticket.state == S.new:
        _set_state(session, ticket, S.in_progress, actor=actor, moment=moment)
    return True


def parse_assignee(value: str | int | None) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise ValidationError("Выберите сотрудника из списка.", field="assignee_id") from None


def assign(session: Session, ticket: Ticket, assignee_id: int | None, *, actor: Actor, comment: str = "") -> bool:
    """Put a staff member in charge (None: nobody); a new ticket given to someone is in work. True if changed."""
    if assignee_id is not None:
        _staff_member(session, assignee_id)
    changed = _assign(
        session, ticket, assignee_id, actor=actor, moment=now(), comment=plain_text(comment)[:COMMENT_MAX]
    )
    session.flush()
    return changed


def assign_many(
    session: Session, ticket_ids: Sequence[int], assignee_id: int | None, *, actor: Actor, comment: str = ""
) -> tuple[int, int]:
    """Mass assignment: (changed, unchanged). Closed tickets are left as they are (counted as unchanged)."""
    if not ticket_ids:
        raise ValidationError("Не выбрано ни одного обращения.")
    if assignee_id is not None:
        _staff_member(session, assignee_id)
    moment = now()
    text = plain_text(comment)[:COMMENT_MAX]
    changed = 0
    found = list(session.scalars(sa.select(Ticket).where(Ticket.id.in_(list(ticket_ids))).order_by(Ticket.id)))
    if not found:
        raise NotFound("Выбранные обращения не найдены.")
    for ticket in found:
        if ticket.state != S.closed and _assign(session, ticket, assignee_id, actor=actor, moment=moment, comment=text):
            changed += 1
    session.flush()
    return changed, len(found) - changed


def update_details(
    session: Session,
    ticket: Ticket,
    *,
    actor: Actor,
    priority: TicketPriority | str | None = None,
    topic: TicketTopic | str | None = None,
    tags: str | None = None,
) -> int:
    """Priority, topic and tags; a new priority or topic moves the SLA due times. Returns the fields changed."""
    new_priority = parse_priority(priority) if priority is not None else ticket.priority
    new_topic = parse_topic(topic) if topic is not None else ticket.topic
    new_tags = clean_tags(tags) if tags is not None else ticket.tags
    moment = now()
    moves_sla = new_priority != ticket.priority or new_topic != ticket.topic
    changed = 0
    for field, old, new in (
        ("priority", ticket.priority.value, new_priority.value),
        ("topic", ticket.topic.value, new_topic.value),
        ("tags", ticket.tags, new_tags),
    ):
        if old != new:
            record(session, ticket, actor, field, old or None, new or None, moment=moment)
            changed += 1
    ticket.priority, ticket.topic, ticket.tags = new_priority, new_topic, new_tags
    if moves_sla:
        sla.apply_targets(session, ticket)
    session.flush()
    return changed


def staff_ticket(session: Session, ticket_id: int) -> Ticket:
    ticket = session.scalar(
        sa.select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(
            selectinload(Ticket.messages).selectinload(TicketMessage.attachments).selectinload(TicketAttachment.file),
            selectinload(Ticket.history),
        )
    )
    if ticket is None:
        raise NotFound("Обращение не найдено.")
    return ticket


def customer_context(session: Session, ticket: Ticket, *, limit: int = 10) -> dict:
    """What staff see beside the conversation: the customer's latest orders and other tickets."""
    recent = list(
        session.scalars(
            sa.select(Order)
            .where(Order.customer_id == ticket.customer_id)
            .order_by(Order.created_at.desc(), Order.id.desc())
            .limit(limit)
        )
    )
    others = list(
        session.scalars(
            sa.select(Ticket)
            .where(Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id)
            .order_by(Ticket.created_at.desc())
            .limit(limit)
        )
    )
    return {"orders": recent, "tickets": others}


# --- jobs --------------------------------------------------------------------------------------------------


@dataclass
class AutoCloseReport:
    waiting: int = 0
    resolved: int = 0

    def __str__(self) -> str:
        return f"Закрыто без ответа клиента: {self.waiting}, закрыто решённых: {self.resolved}"


def auto_close(session: Session, *, moment: datetime | None = None) -> AutoCloseReport:
    """Close tickets waiting for the customer (with a notice) or resolved, for SUPPORT_AUTOCLOSE_DAYS. Idempotent."""
    moment = moment or now()
    cutoff = moment - timedelta(days=limits().autoclose_days)
    actor = Actor.system("автозакрытие")
    report = AutoCloseReport()
    due = list(
        session.scalars(
            sa.select(Ticket)
            .where(Ticket.state.in_([S.waiting, S.resolved]), Ticket.state_changed_at <= cutoff)
            .order_by(Ticket.id)
            .with_for_update(skip_locked=True)
        )
    )
    for ticket in due:
        was_waiting = ticket.state == S.waiting
        _set_state(
            session,
            ticket,
            S.closed,
            actor=actor,
            moment=moment,
            comment=f"нет ответа клиента {limits().autoclose_days} дн." if was_waiting else "",
        )
        session.flush()
        if was_waiting:
            notices.state_changed(session, ticket, automatic=True)
            report.waiting += 1
        else:
            report.resolved += 1
    return report
