"""The scheduler port: what the services need from QStash, and the ids and bodies they agree on with it."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from services.send_flow import SendFlow

WEBHOOK_PATH = "/api/process-scheduled-messages"
NUDGE_SUFFIX = "/nudge"  # the nudge route, under the webhook's path (QStash signs that URL)
FAILURE_CALLBACK_PATH = "/api/qstash-failure"  # QStash calls it (signed) when a message exhausted its retries
ALERT_CHECK_PATH = "/api/alerts/check"  # a QStash schedule fires it every minute
ALERT_CHECK_SCHEDULE_ID = "ops-alert-check"  # not "cms-": drift checks leave it alone


@dataclass(frozen=True)
class Firing:
    """What QStash carries to the webhook: ids only, never the message text."""

    message_id: str
    coach_id: str
    zone: str
    slot: str | None = None  # set for support's retries of one past occurrence

    def body(self) -> dict:
        """The JSON body QStash delivers."""
        body = {"messageId": self.message_id, "coachId": self.coach_id, "zone": self.zone}
        return body | ({"slot": self.slot} if self.slot else {})


def schedule_id_for(message_id: str, zone: str) -> str:
    """A stable QStash schedule id per (message, zone group), so a retried or edited create is an upsert."""
    return f"cms-{message_id}-{hashlib.sha1(zone.encode()).hexdigest()[:8]}"


def dedup_id_for(message_id: str, version: int, zone: str, renewal: str = "") -> str:
    """A publish deduplication id stable per message version and zone (a retried create is deduplicated).

    A repair passes a `renewal` (e.g. a time stamp): QStash remembers ids for 10 minutes, and a lost firing
    must be published again, not answered with the lost one's id.
    """
    suffix = hashlib.sha1(f"{zone}|{renewal}".encode()).hexdigest()[:8]
    return f"cms-{message_id}-v{version}-{suffix}"


class Scheduler(Protocol):
    """Publishes one-time firings, keeps recurring schedules, and reads QStash's own view for support."""

    webhook_url: str

    def publish(self, firing: Firing, not_before: int | None, deduplication_id: str) -> str:
        """Publish one firing (optionally not before a unix time); returns the QStash message id."""

    def publish_chunks(self, chunks: list[tuple[dict, str]], flow: SendFlow | None = None) -> list[str]:
        """Publish fan-out chunks (JSON body, deduplication id) to the chunk endpoint in one batch, each under
        the deployment's flow control if given; their ids."""

    def publish_held(self, body: dict, not_before: int, deduplication_id: str, flow: SendFlow | None = None) -> str:
        """Publish sends held for quiet hours to the chunk endpoint, not before a unix time, under the flow control
        if given; the QStash message id."""

    def publish_nudge(self, body: dict, not_before: int, deduplication_id: str) -> str:
        """Publish one occurrence's nudge to the nudge route, not before a unix time; returns the QStash message id."""

    def upsert_schedule(self, firing: Firing, cron: str) -> str:
        """Create or replace the recurring schedule of a (message, zone) pair; returns its id."""

    def cancel_message(self, qstash_message_id: str) -> None:
        """Cancel a pending one-time firing; an already delivered or unknown one is fine."""

    def message_pending(self, qstash_message_id: str) -> bool:
        """True while QStash still holds a published message (False once it is gone or delivered)."""

    def delete_schedule(self, schedule_id: str) -> None:
        """Delete a schedule; one already gone is fine."""

    def pause_schedule(self, schedule_id: str) -> None:
        """Pause a schedule."""

    def resume_schedule(self, schedule_id: str) -> None:
        """Resume a schedule."""

    def upsert_check(self, schedule_id: str, url: str, cron: str) -> str:
        """Create or replace an operations schedule (the alert check) firing at one of our routes."""

    def schedules(self) -> list[Any]:
        """Every schedule QStash holds (SDK schedule records)."""

    def logs(
        self, count: int = 100, cursor: str | None = None, message_id: str | None = None, url: str | None = None
    ) -> Any:
        """Recent QStash events (an SDK log page), optionally of one message or one destination URL."""

    def dead_letters(self, count: int = 100, cursor: str | None = None) -> Any:
        """Messages QStash gave up on (an SDK DLQ page)."""

    def retry_dead_letter(self, dlq_id: str) -> str:
        """Send a dead letter again; returns the new QStash message id."""

    def delete_dead_letter(self, dlq_id: str) -> None:
        """Remove a dead letter once it is dealt with."""

    def flow_controls(self) -> list[Any]:
        """Every flow-control key QStash knows, with waitlist, limits and counters (SDK FlowControlInfo)."""

    def pause_flow(self, key: str) -> None:
        """Hold every message of a flow-control key in its waitlist."""

    def resume_flow(self, key: str) -> None:
        """Release a paused flow-control key."""
