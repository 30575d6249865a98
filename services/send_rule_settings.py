"""The coach's quiet hours and daily cap, as set on the Message Scheduler page (checked before they are stored)."""

from __future__ import annotations

from datetime import time

from services.domain import Account
from services.errors import UserError
from services.send_rules import SendRules
from services.store import Store

MAX_DAILY_CAP = 50


class SendRuleSettings:
    """Reads and checks a coach's quiet hours and daily cap."""

    def __init__(self, store: Store):
        self.store = store

    def get(self, account: Account) -> SendRules:
        """The coach's current rules (none: no quiet hours, no cap)."""
        return self.store.send_rules.get(account.id)

    def save(self, account: Account, quiet: tuple[time, time] | None, daily_cap: int | None) -> SendRules:
        """Store the rules for all of the coach's schedules; UserError for a rule that cannot be kept."""
        if account.role != "coach":
            raise UserError("Only coaches have quiet hours and a daily cap.")
        if quiet is not None and quiet[0].replace(second=0, microsecond=0) == quiet[1].replace(second=0, microsecond=0):
            raise UserError("Quiet hours start and end at the same time; pick two different times.", "quiet_hours")
        if daily_cap is not None and not 0 <= daily_cap <= MAX_DAILY_CAP:
            raise UserError(f"The daily cap is 1 to {MAX_DAILY_CAP} messages (0: no cap).", "daily_cap")
        start, end = (q.replace(second=0, microsecond=0, tzinfo=None) for q in quiet) if quiet else (None, None)
        rules = SendRules(start, end, daily_cap or None)
        self.store.send_rules.put(account.id, rules)
        return rules
