"""Domain records passed between the store, the services and the pages."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

ROLES = ("coach", "support", "admin")


@dataclass(frozen=True)
class Actor:
    """Who is asking: every store call is scoped by this."""

    account_id: str
    role: str  # coach | support | admin

    @property
    def sees_all_coaches(self) -> bool:
        """Support and admin read across coaches; a coach sees only their own rows."""
        return self.role in ("support", "admin")


@dataclass(frozen=True)
class Account:
    """A dashboard login: coach, support or admin."""

    id: str
    email: str
    display_name: str
    timezone: str
    role: str
    chat_user_id: str
    active: bool = True
    sessions_valid_after: datetime | None = None  # sessions signed in earlier have ended

    def as_actor(self) -> Actor:
        """The scope this account acts with."""
        return Actor(self.id, self.role)


@dataclass(frozen=True)
class Client:
    """A coach's client, reached in a 1:1 chat channel."""

    id: str
    coach_id: str
    name: str
    chat_user_id: str
    timezone: str
    active: bool
    tags: tuple[str, ...] = ()
    email: str | None = None

    @property
    def first_name(self) -> str:
        """The first word of the name, for `{first_name}` in templates."""
        return self.name.split()[0] if self.name.strip() else self.name


@dataclass(frozen=True)
class FollowUp:
    """A message's nudge: sent once to the clients who have not replied within `delay_seconds` of an occurrence."""

    delay_seconds: int
    body: str


@dataclass
class Message:
    """A scheduled message as stored."""

    id: str
    coach_id: str
    title: str
    body: str
    target: str
    target_tag: str | None
    kind: str
    send_at: datetime | None
    cron: str | None
    timezone: str
    zone_mode: str
    end_at: datetime | None
    max_occurrences: int | None
    status: str
    qstash_id: str | None
    last_error: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    next_run_at: datetime | None
    last_run_at: datetime | None
    occurrences: int
    sent_count: int
    failed_count: int
    client_ids: tuple[str, ...] = field(default=())
    idempotency_key: str | None = None  # the compose-form submission that created it
    deleted_at: datetime | None = None  # deleted from the lists; the delivery history stays
    follow_up: FollowUp | None = None  # the nudge to those who have not replied (table message_follow_ups)
    quiet_action: str = "hold"  # a send in a client's quiet hours: "hold" until they end, or "skip"

    @property
    def recurring(self) -> bool:
        """True for daily, weekly and cron messages."""
        return self.kind != "once"
