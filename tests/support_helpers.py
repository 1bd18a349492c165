"""Test helpers for support tickets: a ticket opened as a customer would, staff actors, files to attach."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Flask
from flask_appbuilder.security.sqla.models import User
from sqlalchemy.orm import Session

from app.models import Customer, Notification, Ticket
from app.services.actors import Actor
from app.services.support import tickets
from app.services.support.attachments import Upload
from tests.factories import make_staff, pdf_bytes, png_bytes


def open_ticket(session: Session, customer: Customer, **changes: object) -> Ticket:
    data: dict = {
        "topic": "order",
        "subject": "Когда будет готов заказ?",
        "body": "Здравствуйте! Подскажите, пожалуйста, срок.",
    } | changes
    ticket = tickets.open_ticket(session, customer=customer, **data)
    session.commit()
    return ticket


def staff_user(app: Flask, session: Session, role: str = "Support", email: str | None = None) -> User:
    login = make_staff(app, role, email)
    return session.scalar(sa.select(User).where(User.email == login))


def staff_actor(app: Flask, session: Session, role: str = "Support") -> Actor:
    return Actor.staff(staff_user(app, session, role))


def png_upload(name: str = "photo.png") -> Upload:
    return Upload(io.BytesIO(png_bytes()), name)


def pdf_upload(name: str = "scan.pdf") -> Upload:
    return Upload(io.BytesIO(pdf_bytes()), name)


def outbox(session: Session, event: str | None = None) -> list[Notification]:
    session.expire_all()
    query = sa.select(Notification).order_by(Notification.id)
    if event:
        query = query.where(Notification.event == event)
    return list(session.scalars(query))
