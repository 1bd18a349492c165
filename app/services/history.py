"""Who did something to an order, and the append-only record of it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.models import ActorKind, Order, OrderHistory


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    name: str
    staff_id: int | None = None
    customer_id: int | None = None

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(ActorKind.system, f"система ({job})")

    @classmethod
    def customer(cls, customer) -> Actor:  # noqa: ANN001 - a Customer
        return cls(ActorKind.customer, customer.display_name, customer_id=customer.id)

    @classmethod
    def staff(cls, user) -> Actor:  # noqa: ANN001 - a Flask-AppBuilder user
        name = " ".join(p for p in (user.last_name, user.first_name) if p) or user.username
        return cls(ActorKind.staff, name, staff_id=user.id)


def record(
    session: Session,
    order: Order,
    actor: Actor,
    field: str,
    old: str | None,
    new: str | None,
    *,
    comment: str = "",
    batch_id: str | None = None,
) -> OrderHistory:
    entry = OrderHistory(
        order_id=order.id,
        actor_kind=actor.kind,
        actor_staff_id=actor.staff_id,
        actor_customer_id=actor.customer_id,
        actor_name=actor.name[:200],
        field=field,
        old_value=old,
        new_value=new,
        comment=comment,
        batch_id=batch_id,
    )
    session.add(entry)
    return entry
