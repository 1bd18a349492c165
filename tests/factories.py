"""Test data built through the same services the application uses; fixtures named for states."""

from __future__ import annotations

import functools
import io
import uuid
from dataclasses import dataclass

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_security.utils import hash_password
from sqlalchemy.orm import Session

from app.models import Customer, Order, OrderStatus, Product
from app.seed import demo
from app.services import storage
from app.services.actors import Actor
from app.services.companies import invites, registry
from app.services.layouts import preflight
from app.services.orders import cart as cart_service
from app.services.orders import lifecycle, placing

PASSWORD = "secret-pass-123"


def load_reference_data() -> None:
    from app.extensions import db

    demo.load_vat_rates(db.session)


@dataclass
class Catalog:
    cards: Product
    flyers: Product
    stickers: Product
    banner: Product

    def value(self, product: Product, name: str) -> int:
        return next(v.id for g in product.option_groups for v in g.values if v.name == name)

    def defaults(self, product: Product, *names: str) -> list[int]:
        """The default option of every required group, with the named values swapped in."""
        chosen: dict[object, int] = {}
        for group in product.option_groups:
            for value in group.values:
                if value.is_default:
                    chosen[group.id] = value.id
        for name in names:
            value = next(v for g in product.option_groups for v in g.values if v.name == name)
            chosen[value.group_id if not value.group.is_multiple else f"m{value.id}"] = value.id
        return list(chosen.values())


def load_catalog(session: Session) -> Catalog:
    demo.load_catalog(session)
    session.commit()
    by_slug = {p.slug: p for p in session.scalars(sa.select(Product))}
    return Catalog(
        cards=by_slug["vizitki-standart"],
        flyers=by_slug["listovki"],
        stickers=by_slug["nakleyki"],
        banner=by_slug["banner"],
    )


def make_customer(
    session: Session, *, email: str, full_name: str = "", phone: str = "+79990001122", active: bool = True
) -> Customer:
    customer = Customer(
        email=email,
        full_name=full_name,
        phone=phone,
        password=hash_password(PASSWORD),
        fs_uniquifier=uuid.uuid4().hex,
        active=active,
    )
    session.add(customer)
    session.commit()
    return customer


def pdf_bytes(width_mm: float = 94, height_mm: float = 54, pages: int = 1, text: str = "Макет") -> bytes:
    from fpdf import FPDF

    pdf = FPDF(unit="mm", format=(width_mm, height_mm))
    pdf.add_font("DejaVu", fname="/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")
    pdf.set_font("DejaVu", size=8)
    for _ in range(pages):
        pdf.add_page()
        pdf.set_xy(5, 5)
        pdf.cell(text=text)
    return bytes(pdf.output())


def layout_for(product: Product, option_ids: list[int]) -> bytes:
    """A one-page PDF of the product's format plus bleed: a layout that passes preflight."""

    spec = preflight.spec_for_ids(product, option_ids)
    return pdf_bytes(spec.full_width, spec.full_height)


def png_bytes(size: tuple[int, int] = (300, 200)) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


@functools.cache
def bomb_png(side: int = 30000) -> bytes:
    """A real decompression bomb: a one-colour side×side 1-bit PNG of ~110 KB that decodes to gigabytes."""
    import struct
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = (b"\x00" + b"\x00" * ((side + 7) // 8)) * 1000
    packer = zlib.compressobj(9)
    data = b"".join(packer.compress(rows) for _ in range(side // 1000)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def truncated_pdf() -> bytes:
    """A layout PDF cut off half-way (an interrupted upload or save)."""
    data = pdf_bytes()
    return data[: len(data) // 2]


def pdf_with_active_content(kind: str = "javascript", base: bytes | None = None) -> bytes:
    """A real PDF (pypdf) that runs something: JavaScript on opening, a program launched by a page action,
    or an embedded file."""
    from pypdf import PdfWriter
    from pypdf.generic import DictionaryObject, NameObject, TextStringObject

    writer = PdfWriter(clone_from=io.BytesIO(base or pdf_bytes()))
    if kind == "javascript":
        writer._root_object[NameObject("/OpenAction")] = DictionaryObject(
            {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1);")}
        )
    elif kind == "launch":
        launch = DictionaryObject(
            {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("a.exe")}
        )
        writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): launch})
    elif kind == "attachment":
        writer.add_attachment("invoice.exe", b"MZ\x90\x00")
    else:
        raise ValueError(kind)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def place_order(
    session: Session,
    customer: Customer,
    product: Product,
    *,
    quantity: int | None = None,
    option_ids: list[int] | None = None,
    delivery: str = "pickup",
    payment: str = "on_receipt",
    address: str = "",
    promo_code: str = "",
    token: str | None = None,
    with_layout: bool = True,
    company_id: int | None = None,
    contact_name: str | None = None,
    company: object | None = None,
) -> Order:
    """An order placed through the cart and checkout services, as a customer would."""
    cart = cart_service.get_or_create_cart(session, token=None, customer_id=customer.id)
    if option_ids is None:
        from app.services.catalog.products import default_option_ids

        option_ids = default_option_ids(product)
    layout = (
        storage.store_bytes(
            session, data=layout_for(product, option_ids), filename="maket.pdf", customer_id=customer.id
        )
        if with_layout
        else None
    )
    cart_service.add_item(
        session,
        cart,
        product=product,
        quantity=quantity or product.price_tiers[0].quantity,
        option_value_ids=option_ids,
        layout=layout,
    )
    order = placing.place_order(
        session,
        customer=customer,
        cart=cart,
        data=placing.CheckoutData(
            contact_name=contact_name or customer.full_name or "Покупатель",
            contact_email=customer.email,
            contact_phone="+7 999 000-11-22",
            delivery_method=delivery,
            payment_method=payment,
            delivery_address=address,
            promo_code=promo_code,
            checkout_token=token or uuid.uuid4().hex,
            company_id=str(company.id) if company is not None else str(company_id or ""),  # type: ignore[attr-defined]
        ),
    )
    session.commit()
    return order


def place_cards_and_flyers(session: Session, customer: Customer, catalog: Catalog, *, company_id: object = "") -> Order:
    """An order of 500 designer-paper cards with rounded corners and 1000 flyers, each with its layout."""
    cart = cart_service.get_or_create_cart(session, token=None, customer_id=customer.id)
    for product, quantity, ids in (
        (catalog.cards, 500, catalog.defaults(catalog.cards, "Дизайнерская 300 г/м²", "Скругление углов")),
        (catalog.flyers, 1000, catalog.defaults(catalog.flyers)),
    ):
        layout = storage.store_bytes(
            session, data=layout_for(product, ids), filename=f"{product.slug}.pdf", customer_id=customer.id
        )
        cart_service.add_item(session, cart, product=product, quantity=quantity, option_value_ids=ids, layout=layout)
    order = placing.place_order(
        session,
        customer=customer,
        cart=cart,
        data=placing.CheckoutData(
            contact_name="Анна",
            contact_email=customer.email,
            contact_phone="+79990001122",
            delivery_method="pickup",
            payment_method="invoice" if company_id else "on_receipt",
            checkout_token=uuid.uuid4().hex,
            company_id=str(company_id),
        ),
    )
    session.commit()
    return order


def drop_order_placed_messages(session: Session) -> None:
    """Take out the «Заказ принят» messages queued by placing orders (tests about status messages only)."""
    from app.models import Notification
    from app.services.messaging.notifications import ORDER_PLACED

    session.execute(sa.delete(Notification).where(Notification.event == ORDER_PLACED))
    session.commit()


def advance(session: Session, order: Order, *statuses: OrderStatus) -> Order:
    for status in statuses:
        lifecycle.change_status(session, order, status, actor=Actor.system("test"))
    session.commit()
    return order


def make_staff(app: Flask, role: str, email: str | None = None) -> str:
    """Create a staff user with one role in the back office; returns its login (email)."""
    from app.extensions import db
    from app.services import staff

    admin = app.extensions["admin_app"]
    email = email or f"{role.lower()}-{uuid.uuid4().hex[:6]}@pechatnydvor.ru"
    with admin.app_context():
        staff.create_staff(email=email, role=role, password=PASSWORD, first_name=role, last_name="Тестов")
        db.session.remove()
    return email


def login_customer(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    response = client.post("/account/login", data={"email": email, "password": password})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:500]


def login_staff(client: FlaskClient, email: str, password: str = PASSWORD) -> None:
    response = client.post("/admin/login/", data={"username": email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    assert "/login" not in response.headers["Location"]


ROMASHKA = {
    "kind": "legal",
    "full_name": "Общество с ограниченной ответственностью «Ромашка»",
    "short_name": "ООО «Ромашка»",
    "inn": "7707083893",
    "kpp": "773601001",
    "ogrn": "1027700132195",
    "legal_address": "117997, г. Москва, ул. Вавилова, д. 19",
    "postal_address": "117997, г. Москва, ул. Вавилова, д. 19, офис 5",
    "director": "Генеральный директор Иванов И. И.",
    "bank_name": "ПАО Сбербанк",
    "bik": "044525225",
    "settlement_account": "40702810200000000001",
    "correspondent_account": "30101810400000000225",
    "email": "buh@romashka.ru",
    "phone": "+7 495 123-45-67",
}


def make_company(session: Session, owner: Customer, *, status: str = "approved", **changes: object):
    """A company created by `owner` through the service, then (by default) approved by staff."""
    from app.models import CompanyStatus

    data = registry.CompanyData(**(ROMASHKA | changes))  # type: ignore[arg-type]
    company = registry.create_company(session, owner=owner, data=data)
    if status != "pending":
        registry.review(
            session,
            company,
            CompanyStatus(status),
            actor=Actor.system("test"),
            reason="" if status == "approved" else "тест",
        )
    session.commit()
    return company


def add_member(session: Session, company, customer: Customer, role: str):  # noqa: ANN001, ANN201
    """Invite and accept, as the storefront does."""

    owner = next(m.customer for m in company.members if m.role.value == "owner")
    invite = invites.invite(session, company, email=customer.email, role=role, by=owner)
    member = invites.accept_invite(session, invites.invite_token(invite), customer=customer)
    session.commit()
    return member
