"""Small working fakes for external systems at their ports (cosmicpython style): they record what happened."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

from services.qstash.port import Firing


class RecordingScheduler:
    """A scheduler port that remembers publishes and schedules instead of calling QStash."""

    webhook_url = "http://127.0.0.1:9/api/process-scheduled-messages"

    def __init__(self):
        self.published: list[tuple[Firing, int | None, str]] = []
        self.schedules_by_id: dict[str, SimpleNamespace] = {}
        self.cancelled: list[str] = []
        self.nudges: list[tuple[dict, int, str]] = []
        self.held: list[tuple[dict, int, str]] = []
        self._ids = itertools.count(1)

    def publish(self, firing: Firing, not_before: int | None, deduplication_id: str) -> str:
        """Remember one firing; returns a fresh QStash-like message id."""
        self.published.append((firing, not_before, deduplication_id))
        return f"msg_{next(self._ids)}"

    def publish_held(self, body: dict, not_before: int, deduplication_id: str, flow=None) -> str:
        """Remember one quiet-hours hold publish; returns a fresh QStash-like message id."""
        self.held.append((body, not_before, deduplication_id))
        return f"msg_{next(self._ids)}"

    def publish_nudge(self, body: dict, not_before: int, deduplication_id: str) -> str:
        """Remember one nudge publish; returns a fresh QStash-like message id."""
        self.nudges.append((body, not_before, deduplication_id))
        return f"msg_{next(self._ids)}"

    def upsert_schedule(self, firing: Firing, cron: str) -> str:
        """Create or replace a schedule keyed like QStash's (message, zone) id."""
        from services.qstash.port import schedule_id_for

        schedule_id = schedule_id_for(firing.message_id, firing.zone)
        self.schedules_by_id[schedule_id] = SimpleNamespace(schedule_id=schedule_id, cron=cron, paused=False)
        return schedule_id

    def cancel_message(self, qstash_message_id: str) -> None:
        """Remember the cancelled message id."""
        self.cancelled.append(qstash_message_id)

    def delete_schedule(self, schedule_id: str) -> None:
        """Forget a schedule (absent is fine, as with QStash)."""
        self.schedules_by_id.pop(schedule_id, None)

    def pause_schedule(self, schedule_id: str) -> None:
        """Mark a schedule paused."""
        self.schedules_by_id[schedule_id].paused = True

    def resume_schedule(self, schedule_id: str) -> None:
        """Mark a schedule running."""
        self.schedules_by_id[schedule_id].paused = False

    def schedules(self) -> list[SimpleNamespace]:
        """Every schedule held."""
        return list(self.schedules_by_id.values())
