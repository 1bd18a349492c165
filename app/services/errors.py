"""Domain errors: each carries a message in Russian, fit to show to the user as it is."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the operation; nothing was changed."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class ValidationError(DomainError):
    """Input that does not satisfy the rules (a form field, an option, a file)."""


class NotFound(DomainError):
    """The object does not exist, or the user may not see it."""


class InvalidTransition(DomainError):
    """An order status change the state machine does not allow."""


class PermissionDenied(DomainError):
    """The actor may not do this."""
