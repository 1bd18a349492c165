"""Companies: requisites validated per field, staff review with reasons and history, members and invitations,
who may order for the company and who sees its orders and files."""

import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from app.models import Company, CompanyHistory, CompanyStatus, MemberRole, Notification, Order
from app.services import storage
from app.services.actors import Actor
from app.services.companies import addresses, invites, registry
from app.services.companies import members as company_members
from app.services.companies.registry import CompanyData, RequisitesError
from app.services.customers import files as customer_files
from app.services.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from app.services.orders import cart as cart_service
from app.services.orders import lookup, placing
from app.services.projects import projects
from app.services.shoptime import now
from tests.factories import ROMASHKA, add_member, layout_for, make_company, make_customer, place_order


@pytest.fixture
def company(db_session, customer):
    return make_company(db_session, customer)


def _checkout(customer, company_id="", payment="invoice"):
    return placing.CheckoutData(
        contact_name="Анна",
        contact_email=customer.email,
        contact_phone="+79990001122",
        delivery_method="pickup",
        payment_method=payment,
        checkout_token=uuid.uuid4().hex,
        company_id=str(company_id),
    )


def _fill_cart(session, customer, catalog):
    cart = cart_service.get_or_create_cart(session, token=None, customer_id=customer.id)
    ids = catalog.defaults(catalog.cards)
    layout = storage.store_bytes(
        session, data=layout_for(catalog.cards, ids), filename="m.pdf", customer_id=customer.id
    )
    cart_service.add_item(session, cart, product=catalog.cards, quantity=100, option_value_ids=ids, layout=layout)
    session.commit()
    return cart


def test_a_new_company_is_pending_with_its_creator_as_owner(db_session, customer):
    company = make_company(db_session, customer, status="pending")
    assert company.status == CompanyStatus.pending
    assert [(m.customer_id, m.role) for m in company.members] == [(customer.id, MemberRole.owner)]
    assert company.phone == "+74951234567" and company.inn_kpp == "7707083893/773601001"
    assert [h.field for h in company.history] == ["created"]


def test_every_wrong_field_gets_its_message_and_nothing_is_stored(db_session, customer):
    data = CompanyData(
        **(
            ROMASHKA
            | {
                "inn": "7707083894",
                "kpp": "77360100",
                "ogrn": "1027700132196",
                "settlement_account": "40702810200000000002",
                "correspondent_account": "3010181040000000022",
                "short_name": "",
                "email": "not-an-email",
            }
        )
    )
    with pytest.raises(RequisitesError) as caught:
        registry.create_company(db_session, owner=customer, data=data)
    errors = caught.value.errors
    assert set(errors) == {"inn", "kpp", "ogrn", "settlement_account", "correspondent_account", "short_name", "email"}
    assert errors["inn"] == "ИНН с ошибкой: не сходится контрольная цифра. Проверьте номер."
    assert errors["short_name"] == "Укажите краткое наименование."
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


def test_an_individual_entrepreneur_has_a_12_digit_inn_an_ogrnip_and_no_kpp(db_session, customer):
    ip = {
        "kind": "individual",
        "inn": "302502032671",
        "ogrn": "309565808600211",
        "kpp": "",
        "short_name": "ИП Петров",
        "full_name": "Индивидуальный предприниматель Петров Пётр Петрович",
        "settlement_account": "",
        "correspondent_account": "",
        "bik": "",
        "bank_name": "",
    }
    company = make_company(db_session, customer, **ip)
    assert company.kind.value == "individual" and company.kpp == "" and company.ogrn == "309565808600211"
    with pytest.raises(RequisitesError) as caught:
        registry.create_company(
            db_session, owner=customer, data=CompanyData(**(ROMASHKA | ip | {"kpp": "773601001", "inn": "7707083893"}))
        )
    assert caught.value.errors == {
        "kpp": "У индивидуального предпринимателя нет КПП — оставьте поле пустым.",
        "inn": "ИНН индивидуального предпринимателя — 12 цифр.",
    }


def test_the_same_inn_and_kpp_cannot_be_registered_twice(db_session, customer, other_customer, company):
    with pytest.raises(RequisitesError, match="уже зарегистрирована"):
        registry.create_company(db_session, owner=other_customer, data=CompanyData(**ROMASHKA))


def test_staff_review_needs_a_reason_to_reject_or_block_and_is_recorded(db_session, customer):
    company = make_company(db_session, customer, status="pending")
    staff = Actor.system("проверка")
    with pytest.raises(ValidationError, match="Укажите причину"):
        registry.review(db_session, company, "blocked", actor=staff, reason="  ")
    with pytest.raises(InvalidTransition):
        registry.review(db_session, company, "pending", actor=staff)
    registry.review(db_session, company, "approved", actor=staff)
    registry.review(db_session, company, "blocked", actor=staff, reason="Долг по оплате")
    db_session.commit()
    assert company.status == CompanyStatus.blocked and company.status_reason == "Долг по оплате"
    entries = [(h.field, h.old_value, h.new_value, h.comment) for h in company.history if h.field == "status"]
    assert entries == [("status", "pending", "approved", ""), ("status", "approved", "blocked", "Долг по оплате")]


def test_every_requisites_change_is_in_the_history_and_identity_changes_go_back_to_review(
    db_session, customer, company
):
    data = CompanyData.of(company)
    data.bank_name = "АО «Банк»"
    changed = registry.update_requisites(db_session, company, data=data, actor=Actor.customer(customer))
    assert changed == ["bank_name"] and company.status == CompanyStatus.approved
    data.kpp = "773101001"
    registry.update_requisites(db_session, company, data=data, actor=Actor.customer(customer))
    db_session.commit()
    assert company.status == CompanyStatus.pending
    rows = db_session.scalars(sa.select(CompanyHistory).where(CompanyHistory.company_id == company.id)).all()
    assert ("bank_name", "ПАО Сбербанк", "АО «Банк»") in [(h.field, h.old_value, h.new_value) for h in rows]
    assert ("kpp", "773601001", "773101001") in [(h.field, h.old_value, h.new_value) for h in rows]
    assert rows[-1].field == "status" and rows[-1].new_value == "pending"


def test_invitation_is_queued_by_email_and_accepted_by_the_invited_address_only(
    app, db_session, customer, other_customer, company
):
    invite = invites.invite(db_session, company, email=" Other@Example.ru ", role="buyer", by=customer)
    db_session.commit()
    message = db_session.scalar(sa.select(Notification).where(Notification.event == "company_invite"))
    assert message.recipient == "other@example.ru" and message.channel.value == "email"
    assert message.payload["company"] == "ООО «Ромашка»" and message.payload["role"] == "Закупщик"
    # The link in the email is what the invited person follows: its token must name this invitation.
    prefix = app.config["SHOP_BASE_URL"].rstrip("/") + "/companies/invite/"
    assert message.payload["url"].startswith(prefix)
    token = message.payload["url"].removeprefix(prefix)
    assert invites.invite_by_token(db_session, token).id == invite.id

    stranger = make_customer(db_session, email="stranger@example.ru")
    with pytest.raises(PermissionDenied, match="отправлено на other@example.ru"):
        invites.accept_invite(db_session, token, customer=stranger)
    member = invites.accept_invite(db_session, token, customer=other_customer)
    db_session.commit()
    assert member.role == MemberRole.buyer
    with pytest.raises(ValidationError, match="уже использовано"):
        invites.accept_invite(db_session, token, customer=other_customer)
    with pytest.raises(NotFound):
        invites.invite_by_token(db_session, token[:-2] + "xx")
    with pytest.raises(ValidationError, match="уже состоит"):
        invites.invite(db_session, company, email="other@example.ru", role="buyer", by=customer)


def test_an_invitation_expires_and_a_revoked_one_stops_working(db_session, customer, other_customer, company):
    first = invites.invite(db_session, company, email=other_customer.email, role="accountant", by=customer)
    second = invites.invite(db_session, company, email=other_customer.email, role="buyer", by=customer)
    db_session.commit()
    with pytest.raises(ValidationError, match="отозвано"):
        invites.accept_invite(db_session, invites.invite_token(first), customer=other_customer)
    token = invites.invite_token(second)
    with time_machine.travel(now() + timedelta(days=15)):
        with pytest.raises(ValidationError, match="Срок действия приглашения истёк"):
            invites.accept_invite(db_session, token, customer=other_customer)
    assert invites.open_invites(db_session, company) == [second]


def test_the_last_owner_cannot_leave_or_be_removed(db_session, customer, other_customer, company):
    owner_member = company.members[0]
    with pytest.raises(ValidationError, match="единственный владелец"):
        company_members.leave(db_session, company, customer=customer)
    with pytest.raises(ValidationError, match="единственного владельца"):
        company_members.remove_member(db_session, company, owner_member.id, actor=Actor.customer(customer))
    with pytest.raises(ValidationError, match="хотя бы один владелец"):
        company_members.change_member_role(
            db_session, company, owner_member.id, "buyer", actor=Actor.customer(customer)
        )
    member = add_member(db_session, company, other_customer, "buyer")
    company_members.change_member_role(db_session, company, member.id, "owner", actor=Actor.customer(customer))
    company_members.leave(db_session, company, customer=customer)
    db_session.commit()
    assert [(m.customer_id, m.role) for m in company.members] == [(other_customer.id, MemberRole.owner)]


def test_rights_by_role(db_session, customer, other_customer, company):
    add_member(db_session, company, other_customer, "buyer")
    accountant = make_customer(db_session, email="buh@example.ru")
    add_member(db_session, company, accountant, "accountant")
    outsider = make_customer(db_session, email="out@example.ru")
    assert company_members.company_for_member(db_session, company.id, customer.id, right="edit_requisites") == company
    with pytest.raises(PermissionDenied, match="только её владелец"):
        company_members.company_for_member(db_session, company.id, other_customer.id, right="edit_requisites")
    with pytest.raises(PermissionDenied):
        company_members.company_for_member(db_session, company.id, accountant.id, right="order")
    with pytest.raises(NotFound):
        company_members.company_for_member(db_session, company.id, outsider.id)
    assert company_members.ordering_companies(db_session, other_customer.id) == [company]
    assert company_members.ordering_companies(db_session, accountant.id) == []


@pytest.mark.parametrize("status", ["blocked", "rejected", "pending"])
def test_a_company_not_approved_cannot_order_but_its_members_can_personally(db_session, catalog, customer, status):
    company = make_company(db_session, customer, status=status)
    cart = _fill_cart(db_session, customer, catalog)
    with pytest.raises(ValidationError) as caught:
        placing.place_order(db_session, customer=customer, cart=cart, data=_checkout(customer, company.id))
    assert caught.value.field == "company_id"
    assert "заказы от её имени недоступны" in caught.value.message
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    personal = placing.place_order(db_session, customer=customer, cart=cart, data=_checkout(customer, ""))
    assert personal.company_id is None


def test_an_accountant_cannot_order_for_the_company(db_session, catalog, customer, other_customer, company):
    add_member(db_session, company, other_customer, "accountant")
    cart = _fill_cart(db_session, other_customer, catalog)
    with pytest.raises(ValidationError, match="могут владелец и закупщики"):
        placing.place_order(db_session, customer=other_customer, cart=cart, data=_checkout(other_customer, company.id))
    stranger = make_customer(db_session, email="str@example.ru")
    cart = _fill_cart(db_session, stranger, catalog)
    with pytest.raises(ValidationError, match="от чьего имени"):
        placing.place_order(db_session, customer=stranger, cart=cart, data=_checkout(stranger, company.id))


def test_a_buyer_orders_for_the_company_paying_by_invoice_and_members_see_it_by_role(
    db_session, catalog, customer, other_customer, company
):
    add_member(db_session, company, other_customer, "buyer")
    accountant = make_customer(db_session, email="buh@example.ru")
    add_member(db_session, company, accountant, "accountant")
    second_buyer = make_customer(db_session, email="buyer2@example.ru")
    add_member(db_session, company, second_buyer, "buyer")
    outsider = make_customer(db_session, email="out@example.ru")
    cart = _fill_cart(db_session, other_customer, catalog)
    order = placing.place_order(
        db_session, customer=other_customer, cart=cart, data=_checkout(other_customer, company.id, payment="")
    )
    db_session.commit()
    assert order.company_id == company.id and order.payment_method.value == "invoice"
    for viewer in (other_customer, customer, accountant):  # the buyer who placed it, the owner, the accountant
        assert lookup.customer_order(db_session, viewer.id, order.number) == order
    for viewer in (second_buyer, outsider):
        with pytest.raises(NotFound):
            lookup.customer_order(db_session, viewer.id, order.number)
    file = order.product_lines[0].layout_file
    assert customer_files.customer_can_read(db_session, file, customer_id=accountant.id, cart_token=None)
    assert not customer_files.customer_can_read(db_session, file, customer_id=outsider.id, cart_token=None)
    assert not customer_files.customer_can_read(db_session, file, customer_id=second_buyer.id, cart_token=None)
    assert company_members.company_orders(db_session, company) == [order]


def test_company_projects_are_shared_with_members_only(db_session, catalog, customer, other_customer, company):
    order = place_order(db_session, customer, catalog.cards)
    project = projects.save_from_order_line(
        db_session, order, order.product_lines[0].id, customer=customer, name="Визитки отдела", company_id=company.id
    )
    db_session.commit()
    accountant = make_customer(db_session, email="buh@example.ru")
    add_member(db_session, company, other_customer, "buyer")
    add_member(db_session, company, accountant, "accountant")
    outsider = make_customer(db_session, email="out@example.ru")
    assert projects.visible_projects(db_session, other_customer.id) == [project]
    assert projects.project_for_customer(db_session, project.id, accountant.id) == project
    with pytest.raises(PermissionDenied):
        projects.project_for_customer(db_session, project.id, accountant.id, manage=True)
    with pytest.raises(NotFound):
        projects.project_for_customer(db_session, project.id, outsider.id)
    file = project.current_version.file
    assert customer_files.customer_can_read(db_session, file, customer_id=other_customer.id, cart_token=None)
    assert not customer_files.customer_can_read(db_session, file, customer_id=outsider.id, cart_token=None)
    # The buyer reorders it for the company: their own snapshot of the same bytes.
    cart = cart_service.get_or_create_cart(db_session, token=None, customer_id=other_customer.id)
    result = projects.reorder(db_session, project, cart=cart, customer=other_customer)
    new = placing.place_order(
        db_session, customer=other_customer, cart=cart, data=_checkout(other_customer, company.id)
    )
    db_session.commit()
    assert result.item.layout_file.customer_id == other_customer.id
    assert new.product_lines[0].layout_file.sha256 == file.sha256
    # Leaving the company ends access to its projects.
    company_members.leave(db_session, company, customer=other_customer)
    db_session.commit()
    with pytest.raises(NotFound):
        projects.project_for_customer(db_session, project.id, other_customer.id)


def test_delivery_addresses(db_session, customer, company):
    with pytest.raises(ValidationError, match="город, улицу, дом"):
        addresses.add_address(db_session, company, label="Склад", address="Москва", actor=Actor.customer(customer))
    addresses.add_address(
        db_session, company, label="Склад", address="Москва, ул. Складская, д. 1", actor=Actor.customer(customer)
    )
    db_session.commit()
    assert addresses.delivery_addresses(company) == [
        ("Склад", "Москва, ул. Складская, д. 1"),
        ("Почтовый адрес", ROMASHKA["postal_address"]),
    ]


def test_a_customer_can_belong_to_several_companies(db_session, customer, other_customer, company):
    ip = make_company(
        db_session,
        other_customer,
        kind="individual",
        inn="302502032671",
        kpp="",
        ogrn="309565808600188",
        short_name="ИП Петров",
        full_name="Индивидуальный предприниматель Петров Пётр Петрович",
    )
    add_member(db_session, ip, customer, "buyer")
    memberships = company_members.customer_memberships(db_session, customer.id)
    assert [(m.company.short_name, m.role) for m in memberships] == [
        ("ИП Петров", MemberRole.buyer),
        ("ООО «Ромашка»", MemberRole.owner),
    ]
    assert {c.id for c in company_members.ordering_companies(db_session, customer.id)} == {company.id, ip.id}


def test_a_bik_of_no_russian_bank_and_a_foreign_kpp_reason_are_refused_and_nothing_is_stored(db_session, customer):
    with pytest.raises(RequisitesError) as caught:
        registry.create_company(
            db_session, owner=customer, data=CompanyData(**(ROMASHKA | {"bik": "144525225", "kpp": "773651001"}))
        )
    assert caught.value.errors["bik"] == "БИК российского банка начинается с «04». Проверьте БИК в реквизитах банка."
    assert "код причины постановки" in caught.value.errors["kpp"]
    db_session.rollback()
    assert db_session.scalar(sa.select(sa.func.count()).select_from(Company)) == 0


def test_owners_hear_of_each_decision_with_its_reason_and_other_members_do_not(
    db_session, customer, other_customer, smtp_server
):
    from app.services.messaging import outbox

    company = make_company(db_session, customer, status="pending")
    add_member(db_session, company, other_customer, "buyer")
    staff = Actor.system("проверка")
    registry.review(db_session, company, "rejected", actor=staff, reason="ИНН не совпадает с выпиской")
    db_session.commit()
    rows = db_session.scalars(sa.select(Notification).where(Notification.event == registry.COMPANY_STATUS)).all()
    assert {(r.customer_id, r.channel.value) for r in rows} == {(customer.id, "email")}
    assert rows[0].payload["reason"] == "ИНН не совпадает с выпиской"
    outbox.deliver_due(db_session)
    [message] = [m for m in smtp_server.messages if m["Subject"].startswith("Компания ")]
    assert message["To"] == customer.email and message["Subject"] == f"Компания {company.short_name}: отклонена"
    text = smtp_server.mailbox.body(message)
    assert "не подтверждена" in text and "Причина: ИНН не совпадает с выпиской" in text
    assert f"/companies/{company.id}" in text
