"""Logins: the authenticator protocol and local accounts with argon2 hashes (Supabase Auth: services.supabase_auth)."""

from __future__ import annotations

from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.domain import Account
from services.errors import UserError
from services.store.accounts import AccountRepository
from services.validation import MAX_PASSWORD_BYTES, normalised_email

_HASHER = PasswordHasher()


class Authenticator(Protocol):
    """Turns an email and password into the dashboard account, or a UserError that says no more than needed."""

    name: str

    def login(self, email: str, password: str) -> Account:
        """The active account for these credentials."""


def hash_password(password: str) -> str:
    """An argon2id hash of a password the caller has already checked (services.validation.new_password)."""
    return _HASHER.hash(password)


class LocalAuth:
    """Email + password checked against the accounts table."""

    name = "local"

    def __init__(self, accounts: AccountRepository):
        self.accounts = accounts

    def login(self, email: str, password: str) -> Account:
        """The account for these credentials; one vague error for every failure."""
        found = self.accounts.find_by_email(normalised_email(email))
        if len((password or "").encode("utf-8")) > MAX_PASSWORD_BYTES:
            raise UserError("Wrong email or password.")  # never worth hashing: no stored password is this long
        if found is None or not found[1] or not found[0].active:
            _HASHER.hash("timing-equaliser")  # spend the same time as a real check
            raise UserError("Wrong email or password.")
        account, stored = found
        try:
            _HASHER.verify(stored, password or "")
        except (VerificationError, InvalidHashError):
            raise UserError("Wrong email or password.") from None
        if _HASHER.check_needs_rehash(stored):
            self.accounts.set_password_hash(account.id, _HASHER.hash(password))
        return account
