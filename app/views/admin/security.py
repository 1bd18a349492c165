"""Staff authentication: Flask-AppBuilder's AUTH_DB with argon2 password hashes (scrypt hashes still verify)."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_appbuilder.security.views import AuthDBView, UserDBModelView
from werkzeug.security import check_password_hash

log = logging.getLogger(__name__)


def _hasher() -> PasswordHasher:
    options = current_app.config.get("STAFF_ARGON2_OPTIONS") or {}
    return PasswordHasher(**options)


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored or not password:
        return False
    if stored.startswith("$argon2"):
        try:
            return _hasher().verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
    return check_password_hash(stored, password)


class StaffUserDBModelView(UserDBModelView):
    def pre_add(self, item) -> None:  # noqa: ANN001
        item.password = hash_password(item.password)


class StaffAuthDBView(AuthDBView):
    # Flask-AppBuilder's Russian catalogue has a typo here («аторизации»).
    invalid_login_message = "Неверный email или пароль."


class StaffSecurityManager(SecurityManager):
    userdbmodelview = StaffUserDBModelView
    authdbview = StaffAuthDBView

    def add_user(
        self,
        username,
        first_name,
        last_name,
        email,
        role=None,
        password="",
        hashed_password="",
        groups=None,
        commit=True,
    ):  # noqa: ANN001, ANN201, E501
        if password and not hashed_password:
            hashed_password = hash_password(password)
        return super().add_user(
            username,
            first_name,
            last_name,
            email,
            role,
            password="",
            hashed_password=hashed_password,
            groups=groups,
            commit=commit,
        )

    def reset_password(self, userid, password) -> None:  # noqa: ANN001
        user = self.get_user_by_id(userid)
        user.password = hash_password(password)
        self.update_user(user)

    def auth_user_db(self, username, password):  # noqa: ANN001, ANN201
        if not username or not password:
            return None
        user = self.find_user(username=username) or self.find_user(email=username)
        if user is None or not user.is_active:
            hash_password(password)  # same work as a real check: no timing hint that the user is unknown
            log.info("Staff login failed for %s", username)
            return None
        if verify_password(user.password, password):
            if not user.password.startswith("$argon2"):
                user.password = hash_password(password)
            self.update_user_auth_stat(user, True)
            return user
        self.update_user_auth_stat(user, False)
        log.info("Staff login failed for %s", username)
        return None
