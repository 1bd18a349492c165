"""The back-office support desk: each role may do exactly what permissions.py declares, CSRF on every POST, the
queue's filters and quick search, the ticket page with notes, replies, canned replies and the reprint,
canned replies and SLA targets, the figures."""

import io
import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import CannedReply, OrderReprint, OrderStatus, SlaTarget, Ticket, TicketMessage, TicketState
from app.services.actors import Actor
from app.services.orders.history import acting
from app.services.support import tickets
from app.views.admin.permissions import STAFF_ROLES, role_allows
from tests.factories import advance, login_staff, make_company, make_staff, pdf_bytes, place_order
from tests.support_helpers import open_ticket, pdf_upload, staff_actor, staff_user
from tests.views.admin.test_orders_admin import login_staff_with_csrf

# The matrix written out by hand (and checked against the declarations too).
CAN_READ = {"Admin", "Manager", "Operator", "Support"}
CAN_REPLY = {"Admin", "Manager", "Operator", "Support"}
CAN_ASSIGN = {"Admin", "Manager", "Operator", "Support"}
CAN_EDIT = {"Admin", "Manager", "Support"}
CAN_REPRINT = {"Admin", "Manager"}
CAN_STATS = {"Admin", "Manager"}
CAN_EDIT_CANNED = {"Admin", "Manager", "Support"}
CAN_EDIT_SLA = {"Admin", "Manager"}


def allowed(response) -> bool:  # noqa: ANN001
    """200 or a redirect back into the desk is allowed; 403 or a redirect to login / the start page is not."""
    if response.status_code == 200:
        return True
    if response.status_code in (403, 404):
        return False
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    return "login" not in location and location.rstrip("/") not in ("/admin", "")


@pytest.fixture
def defect(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    advance(db_session, order, OrderStatus.confirmed, OrderStatus.in_production, OrderStatus.ready)
    return open_ticket(
        db_session, customer, topic="defect", subject="Брак визиток", order_number=order.number, uploads=[pdf_upload()]
    )


def test_the_declared_matrix_is_the_intended_one():
    for role in STAFF_ROLES:
        assert role_allows(role, "TicketView", "can_list") == (role in CAN_READ), role
        assert role_allows(role, "TicketView", "can_reply") == (role in CAN_REPLY), role
        assert role_allows(role, "TicketView", "can_assign") == (role in CAN_ASSIGN), role
        assert role_allows(role, "TicketView", "can_edit_ticket") == (role in CAN_EDIT), role
        assert role_allows(role, "TicketView", "can_reprint") == (role in CAN_REPRINT), role
        assert role_allows(role, "TicketView", "can_stats") == (role in CAN_STATS), role
        assert role_allows(role, "CannedReplyView", "can_add") == (role in CAN_EDIT_CANNED), role
        assert role_allows(role, "SlaTargetView", "can_edit") == (role in CAN_EDIT_SLA), role


@pytest.mark.parametrize("role", STAFF_ROLES)
def test_each_role_may_do_exactly_its_part(app, staff_client, db_session, customer, defect, role):
    login_staff(staff_client, make_staff(app, role))
    me = staff_client.get("/admin/ticketview/list/")
    assert allowed(me) == (role in CAN_READ)
    attachment = defect.messages[0].attachments[0].id
    reads = [f"/admin/ticketview/show/{defect.id}", f"/admin/ticketview/file/{attachment}"]
    for url in reads:
        response = staff_client.get(url)
        assert allowed(response) == (role in CAN_READ), (role, url)
        response.close()
    assert allowed(staff_client.get("/admin/ticketview/stats")) == (role in CAN_STATS)
    assert allowed(staff_client.get(f"/admin/ticketview/mass-assign?ids={defect.id}")) == (role in CAN_ASSIGN)
    assert allowed(staff_client.get("/admin/cannedreplyview/list/")) == (role in CAN_READ)
    assert allowed(staff_client.get("/admin/cannedreplyview/add")) == (role in CAN_EDIT_CANNED)
    assert allowed(staff_client.get("/admin/slatargetview/list/")) == (role in {"Admin", "Manager", "Support"})
    assert allowed(staff_client.get("/admin/slatargetview/add")) == (role in CAN_EDIT_SLA)

    posts = [
        ("reply", {"body": f"Ответ от {role}", "then": "in_progress"}, CAN_REPLY),
        ("note", {"body": f"Заметка от {role}"}, CAN_REPLY),
        ("details", {"priority": "urgent", "topic": "defect", "tags": role.lower()}, CAN_EDIT),
        ("assign", {"take": "1"}, CAN_ASSIGN),
        ("state", {"state": "waiting"}, CAN_REPLY),
        ("reprint", {"reason": f"брак, решение {role}"}, CAN_REPRINT),
    ]
    for action, data, roles in posts:
        response = staff_client.post(f"/admin/ticketview/{action}/{defect.id}", data=data)
        assert allowed(response) == (role in roles), (role, action)
    db_session.expire_all()
    ticket = db_session.get(Ticket, defect.id)
    bodies = {m.body for m in ticket.messages}
    assert (f"Ответ от {role}" in bodies) == (role in CAN_REPLY)
    assert (f"Заметка от {role}" in bodies) == (role in CAN_REPLY)
    assert (ticket.tags == role.lower()) == (role in CAN_EDIT)
    assert (ticket.assignee is not None) == (role in CAN_ASSIGN | CAN_REPLY)  # a reply assigns its author too
    assert (ticket.state == TicketState.waiting) == (role in CAN_REPLY)
    reprinted = db_session.scalar(sa.select(sa.func.count()).select_from(OrderReprint))
    assert reprinted == (1 if role in CAN_REPRINT else 0)


def test_every_desk_post_needs_a_csrf_token(app, admin_app, db_session, defect, monkeypatch):
    monkeypatch.setitem(admin_app.config, "WTF_CSRF_ENABLED", True)
    client = app.test_client()
    login_staff_with_csrf(client, make_staff(app, "Admin"))
    for action, data in (
        ("reply", {"body": "без токена"}),
        ("note", {"body": "без токена"}),
        ("state", {"state": "resolved"}),
        ("assign", {"take": "1"}),
        ("details", {"priority": "urgent"}),
        ("reprint", {"reason": "без токена"}),
    ):
        assert client.post(f"/admin/ticketview/{action}/{defect.id}", data=data).status_code == 400, action
    assert client.post("/admin/ticketview/mass-assign", data={"ids": str(defect.id)}).status_code == 400
    canned = client.post("/admin/cannedreplyview/add", data={"title": "Без токена", "body": "Текст"})
    assert canned.status_code == 400 and db_session.scalar(sa.select(sa.func.count()).select_from(CannedReply)) == 0
    target = {"topic": "defect", "priority": "high", "first_response_hours": "1", "resolution_hours": "2"}
    assert client.post("/admin/slatargetview/add", data=target).status_code == 400
    action = client.post("/admin/ticketview/action_post", data={"action": "assign_action", "rowid": [defect.id]})
    assert action.status_code == 400
    db_session.expire_all()
    ticket = db_session.get(Ticket, defect.id)
    assert ticket.state == TicketState.new and ticket.assignee_id is None and len(ticket.messages) == 1
    page = client.get(f"/admin/ticketview/show/{defect.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(f"/admin/ticketview/note/{defect.id}", data={"body": "с токеном", "csrf_token": token})
    assert response.status_code == 302
    assert db_session.scalar(sa.select(sa.func.count()).select_from(TicketMessage)) == 2


@pytest.fixture
def support(app, staff_client):
    login_staff(staff_client, make_staff(app, "Support", email="helen@pechatnydvor.ru"))
    return staff_client


def test_the_queue_filters_by_sla_assignee_and_quick_search(
    app, support, db_session, catalog, customer, other_customer
):
    order = place_order(db_session, other_customer, catalog.cards)
    with time_machine.travel(datetime.now(UTC) - timedelta(days=5)):
        old = open_ticket(db_session, customer, subject="Старый вопрос")
    fresh = open_ticket(db_session, other_customer, subject="Свежий вопрос", order_number=order.number)
    helen = staff_user(app, db_session, "Support", email="anna@pechatnydvor.ru")
    tickets.assign(db_session, fresh, helen.id, actor=staff_actor(app, db_session, "Manager"))
    db_session.commit()
    page = support.get("/admin/ticketview/list/").get_data(as_text=True)
    assert "Старый вопрос" in page and "Свежий вопрос" in page and 'data-sla="breached"' in page
    breached = support.get("/admin/ticketview/list/?_flt_0_sla_due_at=breached").get_data(as_text=True)
    assert "Старый вопрос" in breached and "Свежий вопрос" not in breached
    nobody = support.get("/admin/ticketview/list/?_flt_0_assignee=none").get_data(as_text=True)
    assert "Старый вопрос" in nobody and "Свежий вопрос" not in nobody
    anna = support.get(f"/admin/ticketview/list/?_flt_0_assignee={helen.id}").get_data(as_text=True)
    assert "Свежий вопрос" in anna and "Старый вопрос" not in anna
    for query in (order.number, "other@example", f"№ {fresh.id}", "свежий"):
        found = support.get(f"/admin/ticketview/list/?_flt_0_subject={query}").get_data(as_text=True)
        assert "Свежий вопрос" in found and "Старый вопрос" not in found, query
    by_state = support.get("/admin/ticketview/list/?_flt_0_state=new").get_data(as_text=True)
    assert "Старый вопрос" in by_state and "Свежий вопрос" not in by_state
    by_order = support.get(f"/admin/ticketview/list/?_flt_0_order={order.number}").get_data(as_text=True)
    assert "Свежий вопрос" in by_order and "Старый вопрос" not in by_order
    company = make_company(db_session, other_customer)
    with acting(db_session, Actor.system("test")):
        order.company_id = company.id
    db_session.commit()
    tagged = open_ticket(db_session, other_customer, subject="Счёт для Ромашки", order_number=order.number)
    tickets.update_details(db_session, tagged, actor=staff_actor(app, db_session), tags="Документы, срочно")
    db_session.commit()
    for url in ("?_flt_0_company=ромашка", "?_flt_0_company=7707083893", "?_flt_2_tags=срочно"):
        found = support.get(f"/admin/ticketview/list/{url}").get_data(as_text=True)
        assert "Счёт для Ромашки" in found and "Свежий вопрос" not in found, url
    assert old.id


def test_the_ticket_page_shows_everything_in_context(app, support, db_session, customer, defect):
    tickets.add_note(db_session, defect, actor=staff_actor(app, db_session), body="Проверить партию бумаги")
    db_session.add(CannedReply(title="Извинение", body="Здравствуйте, {имя}! Заказ {заказ} перепечатаем."))
    db_session.commit()
    page = support.get(f"/admin/ticketview/show/{defect.id}").get_data(as_text=True)
    assert "Брак визиток" in page and "Проверить партию бумаги" in page and "внутренняя заметка" in page
    assert defect.order.number in page and "maket.pdf" in page and "scan.pdf" in page
    assert f"Здравствуйте, Покупатель! Заказ {defect.order.number} перепечатаем." in page
    assert "Оформить перепечатку" not in page  # Support has no reprint right
    assert 'data-testid="sla-first"' in page and "Первый ответ" in page
    assert "Тестов S. добавил внутреннюю заметку" in page


def test_mass_assignment_from_the_list(app, support, db_session, customer):
    first, second = open_ticket(db_session, customer), open_ticket(db_session, customer)
    anna = staff_user(app, db_session, "Operator", email="anna@pechatnydvor.ru")
    response = support.post(
        "/admin/ticketview/action_post", data={"action": "assign_action", "rowid": [first.id, second.id]}
    )
    location = response.headers["Location"]
    assert "/admin/ticketview/mass-assign" in location
    form = support.get(location).get_data(as_text=True)
    assert first.subject in form and "Тестов Operator" in form
    done = support.post(
        "/admin/ticketview/mass-assign",
        data={"ids": f"{first.id},{second.id}", "assignee_id": anna.id},
        follow_redirects=True,
    )
    assert "Назначено: 2" in done.get_data(as_text=True)
    db_session.expire_all()
    assert {t.assignee_id for t in db_session.scalars(sa.select(Ticket))} == {anna.id}
    bad = support.post(
        "/admin/ticketview/mass-assign", data={"ids": str(first.id), "assignee_id": "x"}, follow_redirects=True
    )
    assert "Выберите сотрудника из списка." in bad.get_data(as_text=True)


def test_reply_with_a_file_and_a_bad_state_message(support, db_session, defect):
    response = support.post(
        f"/admin/ticketview/reply/{defect.id}",
        data={"body": "Перепечатаем за наш счёт.", "then": "resolved", "files": [(io.BytesIO(pdf_bytes()), "akt.pdf")]},
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Ответ отправлен покупателю." in page and "akt.pdf" in page
    bad = support.post(f"/admin/ticketview/state/{defect.id}", data={"state": "waiting"}, follow_redirects=True)
    assert "Нельзя из «Решён» в «Ждём клиента»." in bad.get_data(as_text=True)
    empty = support.post(f"/admin/ticketview/note/{defect.id}", data={"body": " "}, follow_redirects=True)
    assert "Напишите текст сообщения." in empty.get_data(as_text=True)


def test_a_manager_makes_the_reprint_from_the_ticket(app, staff_client, db_session, defect):
    login_staff(staff_client, make_staff(app, "Manager"))
    page = staff_client.get(f"/admin/ticketview/show/{defect.id}").get_data(as_text=True)
    assert "Оформить перепечатку" in page
    missing = staff_client.post(f"/admin/ticketview/reprint/{defect.id}", data={"reason": ""}, follow_redirects=True)
    assert "Укажите причину перепечатки" in missing.get_data(as_text=True)
    done = staff_client.post(
        f"/admin/ticketview/reprint/{defect.id}", data={"reason": "Смещение реза"}, follow_redirects=True
    ).get_data(as_text=True)
    link = db_session.scalar(sa.select(OrderReprint))
    assert f"Оформлена бесплатная перепечатка: заказ {link.reprint_order.number}" in done
    assert 'data-testid="reprint-order"' in done and "Смещение реза" in done
    order_page = staff_client.get(f"/admin/orderview/show/{link.original_order_id}").get_data(as_text=True)
    assert f"оформил бесплатную перепечатку — заказ {link.reprint_order.number}" in order_page


def test_canned_replies_and_sla_targets_are_edited_with_checks(app, staff_client, db_session):
    login_staff(staff_client, make_staff(app, "Manager"))
    staff_client.post(
        "/admin/cannedreplyview/add",
        data={"title": " Макет принят ", "topic": "layout", "body": "Макет в работе.", "is_active": "y"},
    )
    reply = db_session.scalar(sa.select(CannedReply))
    assert (reply.title, reply.topic.value, reply.is_active) == ("Макет принят", "layout", True)
    empty = staff_client.post(
        "/admin/cannedreplyview/add", data={"title": "Пустой", "body": " "}, follow_redirects=True
    )
    assert "Напишите текст шаблона." in empty.get_data(as_text=True)
    bad = staff_client.post(
        "/admin/slatargetview/add",
        data={"topic": "defect", "priority": "high", "first_response_hours": "4", "resolution_hours": "2"},
        follow_redirects=True,
    )
    assert "Срок решения не может быть меньше срока первого ответа." in bad.get_data(as_text=True)
    staff_client.post(
        "/admin/slatargetview/add",
        data={"topic": "defect", "priority": "high", "first_response_hours": "1", "resolution_hours": "6"},
    )
    target = db_session.scalar(sa.select(SlaTarget))
    assert (target.topic.value, float(target.first_response_hours)) == ("defect", 1.0)
    page = staff_client.get("/admin/slatargetview/list/").get_data(as_text=True)
    assert 'data-testid="sla-table"' in page and "задано" in page and "по умолчанию" in page


def test_the_figures_page(app, staff_client, db_session, customer):
    login_staff(staff_client, make_staff(app, "Manager"))
    ticket = open_ticket(db_session, customer)
    tickets.close_by_customer(db_session, ticket, customer=customer)
    tickets.rate(db_session, ticket, customer=customer, rating=4)
    db_session.commit()
    page = staff_client.get("/admin/ticketview/stats").get_data(as_text=True)
    assert "Показатели поддержки" in page and 'data-testid="kpi-total">1<' in page
    assert 'data-testid="kpi-csat">100 %<' in page
    bad = staff_client.get("/admin/ticketview/stats?day_from=2026-12-31&day_to=2026-01-01").get_data(as_text=True)
    assert "Начало периода позже конца." in bad


def test_the_support_menu_follows_the_role(app, staff_client):
    login_staff(staff_client, make_staff(app, "Operator"))
    page = staff_client.get("/admin/ticketview/list/").get_data(as_text=True)
    assert "Поддержка" in page and "Нарушения SLA" in page and "Показатели" not in page
