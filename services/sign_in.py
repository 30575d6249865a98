"""Sign-in with throttling: after repeated wrong passwords for an account or from one browser, wait a while.

The limit applies before the password is checked, so a locked account gives no hint whether a guess was right.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from services.auth import Authenticator
from services.demo_seed import DEMO_LOGINS, DEMO_PASSWORD
from services.domain import Account
from services.errors import SignInUnavailable, UserError
from services.store.accounts import AccountRepository
from services.store.base import Clock
from services.store.guards import SignInFailureRepository
from services.validation import normalised_email


class SignIn:
    """The dashboard's sign-in: an authenticator (local or Supabase) behind a failure limit."""

    name = "throttled"

    def __init__(
        self,
        backend: Authenticator,
        failures: SignInFailureRepository,
        clock: Clock,
        limit: int = 5,
        window: timedelta = timedelta(minutes=15),
        demo_accounts: AccountRepository | None = None,
    ):
        self.backend = backend
        self.failures = failures
        self.clock = clock
        self.limit = limit
        self.window = window
        self.demo_accounts = demo_accounts  # set only in the embedded demo (local accounts, SQLite)

    def demo_logins(self) -> list[tuple[str, str, str]]:
        """(email, password, who) of the seeded demo accounts, in the embedded demo only; [] anywhere else."""
        if self.demo_accounts is None:
            return []
        return [
            (email, DEMO_PASSWORD, who)
            for email, who in DEMO_LOGINS
            if self.demo_accounts.find_by_email(email) is not None
        ]

    def login(self, email: str, password: str, browser: str | None = None) -> Account:
        """The account for these credentials, unless this account or browser failed too often lately."""
        subjects = [f"email:{normalised_email(email)}"] + ([f"browser:{browser}"] if browser else [])
        now = self.clock()
        for subject in subjects:
            self._refuse_if_locked(subject, now)
        try:
            account = self.backend.login(email, password)
        except SignInUnavailable:
            raise  # nothing was guessed wrong: an Auth outage must not lock accounts
        except UserError:
            self.failures.record(subjects)
            raise
        self.failures.clear(subjects[0])
        return account

    def _refuse_if_locked(self, subject: str, now: datetime) -> None:
        """Too many failures inside the window: say when the next try is possible."""
        recent = self.failures.times_since(subject, now - self.window)
        if len(recent) < self.limit:
            return
        opens = recent[-self.limit] + self.window
        minutes = max(1, math.ceil((opens - now).total_seconds() / 60))
        raise UserError(
            f"Too many failed sign-ins. Try again in {minutes} minute{'s' if minutes != 1 else ''}, "
            "or ask an admin to reset your password."
        )
