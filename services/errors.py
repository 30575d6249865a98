"""Errors the user sees: each carries a message fit to show on the page that caused it."""

from __future__ import annotations


class UserError(Exception):
    """Bad input or a refused action; `field` names the form field when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(UserError):
    """The row does not exist or is not visible to this account (we never say which)."""


class Forbidden(UserError):
    """The account's role does not allow the action."""


class Conflict(UserError):
    """Somebody else changed the row first (optimistic version check)."""


class SchedulerUnavailable(UserError):
    """QStash refused or could not be reached; the message says what to do."""


class SignInUnavailable(UserError):
    """The password could not be checked (Auth unreachable or rate-limited) or the login cannot be used yet (email
    not confirmed): not a wrong guess, so it does not count towards the sign-in limit."""
