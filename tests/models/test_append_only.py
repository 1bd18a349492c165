"""Company history and newsletter consent are append-only: the database (triggers) and the session refuse
UPDATE and DELETE; the one update let through is a deleted staff user's or customer's link being cleared."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.models import ActorKind, CompanyHistory, ConsentSource, NewsletterConsent
from app.models.base import AppendOnlyRowChanged
from tests.factories import make_company, make_staff


@pytest.fixture
def company_history(app, db_session, customer, other_customer):
    """A company whose history holds entries by the system, a staff member and a customer."""
    from flask_appbuilder.security.sqla.models import User

    company = make_company(db_session, customer)
    staff_email = make_staff(app, "Operator")
    staff = db_session.scalar(sa.select(User).where(User.email == staff_email))
    for kind, staff_id, customer_id, name in (
        (ActorKind.staff, staff.id, None, "Тестов Оператор"),
        (ActorKind.customer, None, other_customer.id, "Покупатель Второй"),
    ):
        db_session.add(
            CompanyHistory(
                company_id=company.id,
                actor_kind=kind,
                actor_staff_id=staff_id,
                actor_customer_id=customer_id,
                actor_name=name,
                field="email",
                old_value="a@example.ru",
                new_value="b@example.ru",
            )
        )
    db_session.commit()
    return company


def _rows(session: sa.orm.Session, table: str) -> list[tuple]:
    session.expire_all()
    return [tuple(row) for row in session.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")).all()]


@pytest.fixture
def consents(db_session, customer):
    for subscribed, source in ((True, ConsentSource.registration), (False, ConsentSource.unsubscribe_link)):
        db_session.add(NewsletterConsent(customer_id=customer.id, subscribed=subscribed, source=source))
    db_session.commit()
    return customer


def _refused(sql: str) -> None:
    from app.extensions import db

    with db.engine.connect() as conn, pytest.raises(sa.exc.DatabaseError, match="append-only"):
        conn.execute(sa.text(sql))


def test_the_database_refuses_to_update_or_delete_company_history(db_session, company_history):
    before = _rows(db_session, "company_history")
    assert len(before) >= 3
    for sql in (
        "UPDATE company_history SET new_value = 'c@example.ru'",
        "UPDATE company_history SET actor_name = 'кто-то другой'",
        "UPDATE company_history SET actor_staff_id = NULL, comment = 'правка' WHERE actor_staff_id IS NOT NULL",
        f"UPDATE company_history SET actor_customer_id = {company_history.created_by_id} "
        "WHERE actor_customer_id IS NOT NULL",
        "DELETE FROM company_history",
        f"DELETE FROM company WHERE id = {company_history.id}",  # would cascade into its history
    ):
        _refused(sql)
    assert _rows(db_session, "company_history") == before


def test_the_database_refuses_to_update_or_delete_newsletter_consent(db_session, consents):
    before = _rows(db_session, "newsletter_consent")
    assert len(before) == 2
    for sql in (
        "UPDATE newsletter_consent SET subscribed = NOT subscribed",
        "UPDATE newsletter_consent SET source = 'staff'",
        "DELETE FROM newsletter_consent",
        f"DELETE FROM customer WHERE id = {consents.id}",  # would cascade into its consent history
    ):
        _refused(sql)
    assert _rows(db_session, "newsletter_consent") == before


def test_deleting_a_staff_user_or_a_customer_clears_their_link_and_keeps_the_entry(
    app, db_session, company_history, other_customer
):
    from app.extensions import db

    before = _rows(db_session, "company_history")
    entries = {e.actor_kind: e for e in company_history.history}
    staff_id, customer_id = entries[ActorKind.staff].actor_staff_id, other_customer.id
    db_session.rollback()
    with db.engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM ab_user_role WHERE user_id = :id"), {"id": staff_id})
        conn.execute(sa.text("DELETE FROM ab_user WHERE id = :id"), {"id": staff_id})
        conn.execute(sa.text("DELETE FROM company_member WHERE customer_id = :id"), {"id": customer_id})
        conn.execute(sa.text("DELETE FROM customer WHERE id = :id"), {"id": customer_id})
    db_session.expire_all()
    kept = {e.actor_kind: e for e in db_session.scalars(sa.select(CompanyHistory)).all()}
    assert (kept[ActorKind.staff].actor_staff_id, kept[ActorKind.staff].actor_name) == (None, "Тестов Оператор")
    assert (kept[ActorKind.customer].actor_customer_id, kept[ActorKind.customer].actor_name) == (
        None,
        "Покупатель Второй",
    )
    assert len(_rows(db_session, "company_history")) == len(before)


@pytest.mark.parametrize(("model", "column"), [(CompanyHistory, "comment"), (NewsletterConsent, "actor")])
def test_the_session_refuses_to_update_or_delete_append_only_rows(db_session, company_history, consents, model, column):
    table = model.__tablename__
    before = _rows(db_session, table)
    entry = db_session.scalars(sa.select(model).order_by(model.id)).first()
    setattr(entry, column, "правка")
    with pytest.raises(AppendOnlyRowChanged, match=f"{table} is append-only: UPDATE refused"):
        db_session.flush()
    db_session.rollback()
    db_session.delete(db_session.scalars(sa.select(model)).first())
    with pytest.raises(AppendOnlyRowChanged, match="DELETE refused"):
        db_session.flush()
    db_session.rollback()
    for statement, refused in ((sa.update(model).values({column: "правка"}), "UPDATE"), (sa.delete(model), "DELETE")):
        with pytest.raises(AppendOnlyRowChanged, match=f"{refused} refused"):
            db_session.execute(statement)
        db_session.rollback()
    assert _rows(db_session, table) == before


def test_the_database_refuses_to_update_or_delete_personal_data_consent(db_session, customer):
    from app.services.messaging import subscriptions

    subscriptions.record_personal_data_consent(db_session, customer)
    db_session.commit()
    before = _rows(db_session, "personal_data_consent")
    assert len(before) == 1
    for sql in (
        "UPDATE personal_data_consent SET document = 'другая политика'",
        "UPDATE personal_data_consent SET source = 'staff'",
        "DELETE FROM personal_data_consent",
        f"DELETE FROM customer WHERE id = {customer.id}",  # would cascade into the consent
    ):
        _refused(sql)
    assert _rows(db_session, "personal_data_consent") == before
