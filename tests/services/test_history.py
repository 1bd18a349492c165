"""Order history: every kind of change leaves exactly its entries; nothing changes an order without a trace;
entries are never updated or deleted (ORM, set-based statements, plain SQL)."""

import io
from datetime import date
from decimal import Decimal as D

import pytest
import sqlalchemy as sa

from app.models import Order, OrderHistory, OrderStatus, PaymentStatus
from app.services.orders import batches, editing, lifecycle
from app.services.orders.history import (
    Actor,
    HistoryIsAppendOnly,
    UntrackedOrderChange,
    acting,
    entry_row,
    record_many,
    recorded_update,
)
from tests.factories import advance, make_staff, pdf_bytes, place_order, png_bytes

S = OrderStatus
SYSTEM = Actor.system("test")


def entries(session, order, after_id=0):
    session.expire_all()
    return [
        (e.field, e.old_value, e.new_value)
        for e in session.scalars(
            sa.select(OrderHistory)
            .where(OrderHistory.order_id == order.id, OrderHistory.id > after_id)
            .order_by(OrderHistory.id)
        )
    ]


def last_id(session):
    return session.scalar(sa.select(sa.func.coalesce(sa.func.max(OrderHistory.id), 0)))


def details_of(order, **changes):
    values = {
        "contact_name": order.contact_name,
        "contact_email": order.contact_email,
        "contact_phone": order.contact_phone,
        "delivery_method": order.delivery_method.value,
        "delivery_address": order.delivery_address,
        "comment": order.comment,
        "due_date": order.due_date,
        "packages": order.packages,
        "assignee_id": order.assignee_id,
    }
    return editing.OrderDetails(**(values | changes))


@pytest.fixture
def staff_user(app):
    """A back-office user and its Actor."""
    from flask_appbuilder.security.sqla.models import User

    from app.extensions import db

    email = make_staff(app, "Operator")
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        actor = Actor.staff(user)
        db.session.remove()
    return actor


def test_placing_an_order_records_its_creation_by_the_customer(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    entry = db_session.scalars(sa.select(OrderHistory).where(OrderHistory.order_id == order.id)).one()
    assert (entry.field, entry.old_value, entry.new_value) == ("created", None, "new")
    assert (entry.actor_kind.value, entry.actor_customer_id, entry.actor_name) == (
        "customer",
        customer.id,
        "Покупатель Первый",
    )


def test_status_and_payment_changes_are_recorded_with_actor_and_comment(db_session, catalog, customer, staff_user):
    order = place_order(db_session, customer, catalog.cards, payment="invoice")
    start = last_id(db_session)
    advance(db_session, order, S.confirmed)
    lifecycle.mark_paid(db_session, order, actor=staff_user, comment="п/п 15")
    advance(db_session, order, S.cancelled)
    lifecycle.change_status(db_session, order, S.refunded, actor=staff_user, comment="вернули на счёт")
    db_session.commit()
    assert entries(db_session, order, start) == [
        ("status", "new", "confirmed"),
        ("payment_status", "unpaid", "paid"),
        ("status", "confirmed", "cancelled"),
        ("status", "cancelled", "refunded"),
        ("payment_status", "paid", "refunded"),
    ]
    refund = db_session.scalars(
        sa.select(OrderHistory).where(OrderHistory.order_id == order.id, OrderHistory.field == "payment_status")
    ).all()
    assert [e.comment for e in refund] == ["п/п 15", "вернули на счёт"]
    assert {e.actor_staff_id for e in refund} == {staff_user.staff_id}


def test_every_details_field_is_recorded_old_to_new(db_session, catalog, customer, staff_user, app):
    order = place_order(db_session, customer, catalog.cards)
    start = last_id(db_session)
    changed = editing.update_details(
        db_session,
        order,
        details_of(
            order,
            contact_name="Пётр Сидоров",
            contact_email="Petr@Example.ru",
            contact_phone="8 (916) 111-22-33",
            comment="Позвонить перед выдачей",
            due_date="2026-12-03",
            packages="3",
            assignee_id=str(staff_user.staff_id),
        ),
        actor=staff_user,
        comment="по звонку",
    )
    db_session.commit()
    assert changed == 7
    assert entries(db_session, order, start) == [
        ("contact_name", "Покупатель Первый", "Пётр Сидоров"),
        ("contact_email", "buyer@example.ru", "petr@example.ru"),
        ("contact_phone", "+79990001122", "+79161112233"),
        ("comment", "", "Позвонить перед выдачей"),
        ("due_date", None, "2026-12-03"),
        ("assignee", None, staff_user.name),
        ("packages", "1", "3"),
    ]
    rows = db_session.scalars(sa.select(OrderHistory).where(OrderHistory.id > start)).all()
    assert {(e.comment, e.actor_staff_id) for e in rows} == {("по звонку", staff_user.staff_id)}
    # The same details again change nothing and record nothing.
    assert editing.update_details(db_session, order, details_of(order), actor=staff_user) == 0
    db_session.commit()
    assert len(entries(db_session, order, start)) == 7


def test_delivery_change_records_method_address_delivery_line_and_total(db_session, catalog, customer, staff_user):
    order = place_order(db_session, customer, catalog.cards)  # 790 ₽, pickup
    start = last_id(db_session)
    editing.update_details(
        db_session,
        order,
        details_of(order, delivery_method="courier", delivery_address="Москва, ул. Тверская, д. 7"),
        actor=staff_user,
    )
    db_session.commit()
    assert entries(db_session, order, start) == [
        ("delivery_method", "pickup", "courier"),
        ("delivery_address", "", "Москва, ул. Тверская, д. 7"),
        ("total", "790.00", "1190.00"),
        ("line_added", None, "Доставка: Курьер, 1 шт. — 400.00"),
    ]


def test_line_changes_are_recorded_with_the_line_and_the_new_total(db_session, catalog, customer, staff_user):
    order = place_order(db_session, customer, catalog.cards, quantity=100)  # 790 ₽
    line_id = order.lines[0].id
    start = last_id(db_session)
    ids = catalog.defaults(catalog.cards, "Дизайнерская 300 г/м²")
    editing.change_line(db_session, order, line_id, actor=staff_user, quantity="500", option_value_ids=ids)
    db_session.commit()
    changed = entries(db_session, order, start)
    assert ("line_quantity", "100", "500") in changed
    assert ("line_price", "790.00", "2704.00") in changed  # 1690 × 1.6
    assert ("total", "790.00", "2704.00") in changed
    options = next(e for e in changed if e[0] == "line_options")
    assert "Мелованная 300 г/м²" in options[1] and "Дизайнерская 300 г/м²" in options[2]
    assert len(changed) == 4
    subject = db_session.scalar(sa.select(OrderHistory.subject).where(OrderHistory.field == "line_quantity"))
    assert subject == "поз. 1 «Визитки стандартные»"

    start = last_id(db_session)
    editing.change_line(
        db_session, order, line_id, actor=staff_user, quantity="500", option_value_ids=ids, price="2500,00"
    )
    db_session.commit()
    assert entries(db_session, order, start) == [("total", "2704.00", "2500.00"), ("line_price", "2704.00", "2500.00")]

    start = last_id(db_session)
    line = editing.add_line(db_session, order, actor=staff_user, product_id=catalog.flyers.id, quantity="1000")
    db_session.commit()
    added = entries(db_session, order, start)
    assert [field for field, *_ in added] == ["total", "line_added"]  # the order's fields first, then lines
    assert added[1][2].startswith("Листовки, 1000 шт. (") and added[1][2].endswith(f" — {line.gross_amount}")

    start = last_id(db_session)
    editing.remove_line(db_session, order, line.id, actor=staff_user)
    db_session.commit()
    removed = entries(db_session, order, start)
    assert removed[0] == ("total", str(D("2500.00") + line.gross_amount), "2500.00")
    assert removed[1][0] == "line_removed" and removed[1][1].startswith("Листовки, 1000 шт.") and len(removed) == 2


def test_replacing_a_layout_records_old_and_new_file_names(db_session, catalog, customer, staff_user):
    order = place_order(db_session, customer, catalog.cards)
    start = last_id(db_session)
    editing.replace_layout(
        db_session,
        order,
        order.lines[0].id,
        actor=staff_user,
        stream=io.BytesIO(pdf_bytes(text="Исправленный макет")),
        filename="vizitka-v2.pdf",
    )
    db_session.commit()
    assert entries(db_session, order, start) == [("layout_file", "maket.pdf", "vizitka-v2.pdf")]


def test_printing_labels_is_recorded_and_a_reprint_counts(db_session, catalog, customer, staff_user):
    order = place_order(db_session, customer, catalog.cards)
    start = last_id(db_session)
    for _ in range(2):
        batches.record_labels_printed(
            db_session, order_ids=[order.id], format_label="Термоэтикетка 58×40 мм", actor=staff_user
        )
        db_session.commit()
    assert entries(db_session, order, start) == [("label_printed", "0", "1"), ("label_printed", "1", "2")]


def test_changing_an_order_without_an_actor_is_refused(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    order.comment = "тихая правка"
    with pytest.raises(UntrackedOrderChange, match="comment"):
        db_session.flush()
    db_session.rollback()
    order.lines[0].quantity = 200
    with pytest.raises(UntrackedOrderChange, match="line_quantity"):
        db_session.flush()
    db_session.rollback()
    with pytest.raises(UntrackedOrderChange, match="must record history"):
        db_session.execute(sa.update(Order).where(Order.id == order.id).values(comment="тихо"))
    db_session.rollback()
    with acting(db_session, SYSTEM, comment="по заявке"):
        order.comment = "с подписью"
    db_session.commit()
    assert entries(db_session, order)[-1] == ("comment", "", "с подписью")


def test_set_based_changes_record_their_own_rows_and_share_a_batch(db_session, catalog, customer, staff_user):
    first = place_order(db_session, customer, catalog.cards)
    second = place_order(db_session, customer, catalog.flyers)
    report = batches.change_status(db_session, order_ids=[first.id, second.id], target=S.confirmed, actor=staff_user)
    db_session.commit()
    rows = db_session.scalars(sa.select(OrderHistory).where(OrderHistory.field == "status")).all()
    assert {(r.order_id, r.batch_id) for r in rows} == {(first.id, report.batch_id), (second.id, report.batch_id)}


def test_history_entries_cannot_be_changed_or_deleted_through_the_orm(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    entry = db_session.scalars(sa.select(OrderHistory).where(OrderHistory.order_id == order.id)).one()
    entry.new_value = "completed"
    with pytest.raises(HistoryIsAppendOnly):
        db_session.flush()
    db_session.rollback()
    db_session.delete(entry)
    with pytest.raises(HistoryIsAppendOnly):
        db_session.flush()
    db_session.rollback()
    for statement in (
        sa.update(OrderHistory).values(comment="правка"),
        sa.delete(OrderHistory).where(OrderHistory.order_id == order.id),
    ):
        with pytest.raises(HistoryIsAppendOnly):
            db_session.execute(statement, execution_options=recorded_update())
        db_session.rollback()
    assert entries(db_session, order) == [("created", None, "new")]


def test_the_database_refuses_to_update_or_delete_history(app, db_session, catalog, customer):
    from app.extensions import db

    order = place_order(db_session, customer, catalog.cards)
    advance(db_session, order, S.confirmed)
    for sql in (
        "UPDATE order_history SET new_value = 'completed'",
        "UPDATE order_history SET actor_name = 'кто-то другой'",
        "DELETE FROM order_history",
        f"DELETE FROM orders WHERE id = {order.id}",  # would cascade into its history
    ):
        with db.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
            conn.execute(sa.text(sql))
    assert entries(db_session, order) == [("created", None, "new"), ("status", "new", "confirmed")]


def test_deleting_a_staff_user_keeps_their_entries_and_name(app, db_session, catalog, customer, staff_user):
    """The one update history allows: a deleted user's link is cleared by the foreign key, the name stays."""
    from app.extensions import db

    order = place_order(db_session, customer, catalog.cards)
    lifecycle.change_status(db_session, order, S.confirmed, actor=staff_user)
    db_session.commit()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ab_user_role WHERE user_id = :id"), {"id": staff_user.staff_id})
        conn.execute(sa.text("DELETE FROM ab_user WHERE id = :id"), {"id": staff_user.staff_id})
    db_session.expire_all()
    entry = db_session.scalars(sa.select(OrderHistory).where(OrderHistory.field == "status")).one()
    assert (entry.actor_staff_id, entry.actor_name, entry.new_value) == (None, staff_user.name, "confirmed")


def test_bulk_rows_go_through_the_same_append_only_table(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    record_many(db_session, [entry_row(order.id, SYSTEM, "document_issued", None, "Счёт № 15")])
    db_session.commit()
    assert entries(db_session, order)[-1] == ("document_issued", None, "Счёт № 15")


def test_details_bad_input_gets_a_message_and_changes_nothing(db_session, catalog, customer, staff_user):
    order = place_order(db_session, customer, catalog.cards, payment="on_receipt")
    start = last_id(db_session)
    cases = [
        ({"contact_name": "  "}, "Укажите имя получателя"),
        ({"contact_email": "не почта"}, "правильный email"),
        ({"contact_phone": "12345"}, "в формате"),
        ({"delivery_method": "teleport"}, "способ получения"),
        ({"delivery_method": "courier", "delivery_address": "Москва"}, "адрес доставки"),
        (
            {"delivery_method": "post", "delivery_address": "190000, Санкт-Петербург, Невский, 1"},
            "оплачиваются заранее",
        ),
        ({"due_date": "31.02.2026"}, "ДД.ММ.ГГГГ"),
        ({"packages": "0"}, "от 1 до 999"),
        ({"packages": "много"}, "целое число"),
        ({"assignee_id": "999999"}, "Сотрудник не найден"),
    ]
    for changes, message in cases:
        with pytest.raises(editing.ValidationError, match=message):
            editing.update_details(db_session, order, details_of(order, **changes), actor=staff_user)
        db_session.rollback()
    assert entries(db_session, order, start) == []
    assert (order.contact_name, order.packages, order.due_date) == ("Покупатель Первый", 1, None)


def test_closed_or_paid_orders_refuse_the_edits_that_no_longer_apply(db_session, catalog, customer, staff_user):
    order = place_order(db_session, customer, catalog.cards, payment="invoice")
    advance(db_session, order, S.confirmed)
    lifecycle.mark_paid(db_session, order, actor=SYSTEM)
    db_session.commit()
    with pytest.raises(editing.ValidationError, match="до начала печати и до оплаты"):
        editing.add_line(db_session, order, actor=staff_user, product_id=catalog.flyers.id, quantity="1000")
    db_session.rollback()
    with pytest.raises(editing.ValidationError, match="до начала печати и до оплаты"):
        editing.update_details(
            db_session,
            order,
            details_of(order, delivery_method="courier", delivery_address="Москва, Арбат, 1"),
            actor=staff_user,
        )
    db_session.rollback()
    advance(db_session, order, S.cancelled)
    with pytest.raises(editing.ValidationError, match="закрыт"):
        editing.update_details(db_session, order, details_of(order, packages=2), actor=staff_user)
    db_session.rollback()
    with pytest.raises(editing.ValidationError, match="уже не заменить"):
        editing.replace_layout(
            db_session, order, order.lines[0].id, actor=staff_user, stream=io.BytesIO(png_bytes()), filename="a.png"
        )
    db_session.rollback()


def test_a_refused_layout_stores_nothing_and_records_nothing(db_session, catalog, customer, staff_user):
    order = place_order(db_session, customer, catalog.cards)
    start = last_id(db_session)
    with pytest.raises(editing.ValidationError, match="тип файла не принимается"):
        editing.replace_layout(
            db_session,
            order,
            order.lines[0].id,
            actor=staff_user,
            stream=io.BytesIO(b"MZ\x90\x00 exe"),
            filename="x.exe",
        )
    db_session.rollback()
    assert entries(db_session, order, start) == []
    assert db_session.get(Order, order.id).lines[0].layout_file.original_name == "maket.pdf"


def test_history_keeps_aware_utc_times(db_session, catalog, customer):
    order = place_order(db_session, customer, catalog.cards)
    entry = db_session.scalars(sa.select(OrderHistory).where(OrderHistory.order_id == order.id)).one()
    assert entry.created_at.utcoffset().total_seconds() == 0
    assert entry.created_at.date() >= date(2026, 1, 1) or entry.created_at.year >= 2025
    assert order.payment_status == PaymentStatus.unpaid
