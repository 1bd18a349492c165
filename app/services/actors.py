"""Who did something: a staff member, a customer or a system job, as every history (orders, companies,
content, points, documents) records it."""

from __future__ import annotations

from dataclasses import dataclass

from app.models import ActorKind


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
        return cls(ActorKind.staff, staff_name(user), staff_id=user.id)


def staff_name(user) -> str:  # noqa: ANN001 - a Flask-AppBuilder user
    """«Фамилия Имя», as history and the order pages show staff members."""
    return " ".join(p for p in (user.last_name, user.first_name) if p and p != "-") or user.username
