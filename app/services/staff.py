"""Back-office staff: users of Flask-AppBuilder with one of the roles declared in code."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from flask import current_app

from app.services.errors import ValidationError


def _sm():  # noqa: ANN202 - Flask-AppBuilder's security manager of the admin app
    return current_app.appbuilder.sm


def sync_roles() -> list[str]:
    """Make sure every role of FAB_ROLES (and Public) exists in ab_role, so users can be given it."""
    sm = _sm()
    names = list(current_app.config["FAB_ROLES"]) + [current_app.config["AUTH_ROLE_PUBLIC"]]
    for name in names:
        if sm.find_role(name) is None:
            sm.add_role(name)
    return names


def create_staff(*, email: str, role: str, password: str, first_name: str = "", last_name: str = ""):  # noqa: ANN201
    """Create a staff user (username = email) with one role; ValidationError for bad input."""
    sm = _sm()
    if role not in current_app.config["FAB_ROLES"]:
        raise ValidationError(f"Неизвестная роль {role!r}. Роли: {', '.join(current_app.config['FAB_ROLES'])}.")
    try:
        email = validate_email(email, check_deliverability=False, globally_deliverable=False).normalized.lower()
    except EmailNotValidError:
        raise ValidationError(f"Неверный email: {email!r}.") from None
    if len(password) < 8:
        raise ValidationError("Пароль должен быть не короче 8 символов.")
    if sm.find_user(email=email) is not None:
        raise ValidationError(f"Сотрудник {email} уже существует.")
    sync_roles()
    user = sm.add_user(
        username=email,
        first_name=first_name or email.split("@")[0],
        last_name=last_name or "-",
        email=email,
        role=sm.find_role(role),
        password=password,
    )
    if not user:
        raise ValidationError(f"Не удалось создать сотрудника {email}.")
    return user
