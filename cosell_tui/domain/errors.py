"""Refusals the user can cause: each carries one sentence to show them."""

from __future__ import annotations


class DomainError(Exception):
    """A user-facing refusal; `str(error)` is the sentence to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAllowed(DomainError):
    """The acting user lacks the right to do this (R-ACL-*)."""


class NotFound(DomainError):
    """The thing asked for does not exist or is not visible to the user."""


class InvalidState(DomainError):
    """The deal's state does not allow this action (e.g. it is closed, R-LIFE-1)."""


class Conflict(DomainError):
    """Someone else changed the record since it was read (R-STORE-2)."""


class Unavailable(DomainError):
    """The database cannot be reached just now (a PostgreSQL server down or restarting)."""


class InvalidInput(DomainError):
    """A form or command carried bad values; `fields` maps field name to message."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}
