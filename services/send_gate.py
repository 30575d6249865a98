"""The coach's quiet hours and daily cap applied to claimed deliveries right before a fan-out sends them."""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from datetime import datetime

from services.domain import Client, Message
from services.errors import SchedulerUnavailable
from services.fanout_chunks import MAX_CHUNK
from services.qstash.port import Scheduler
from services.send_flow import SendFlow
from services.send_rules import QUIET_SKIPPED, SendRules, held_reason, local_day
from services.store import Store
from services.store.base import Clock

log = logging.getLogger(__name__)


def held_dedup_id(message_id: str, slot: str, zone: str, until: datetime, client_ids: list[str]) -> str:
    """QStash deduplication id of one held group: the same for a retry that holds the same clients again."""
    key = f"{slot}|{zone}|{int(until.timestamp())}|{','.join(sorted(client_ids))}"
    return f"cms-{message_id}-quiet-{hashlib.sha1(key.encode()).hexdigest()[:16]}"


class SendGate:
    """Holds or skips sends in quiet hours and skips those over the daily cap; the rest go."""

    def __init__(self, store: Store, scheduler: Scheduler | None, clock: Clock, flow: SendFlow | None = None):
        self.store = store
        self.scheduler = scheduler
        self.clock = clock
        self.flow = flow  # held sends go out as chunk deliveries: under the chat provider's limit like other chunks

    def admit(self, message: Message, slot: str, zone: str, jobs: list[tuple[str, Client]]) -> list[tuple[str, Client]]:
        """The claimed (delivery id, client) jobs that may be sent now; the others are held, skipped or released."""
        if not jobs:
            return jobs
        rules = self.store.send_rules.get(message.coach_id)
        now = self.clock()
        quiet: dict[tuple[datetime, str], list[tuple[str, Client]]] = defaultdict(list)
        awake = []
        for job in jobs:
            until = rules.quiet_until(job[1].timezone, now)
            (quiet[(until, job[1].timezone)] if until else awake).append(job)
        for (until, _), group in quiet.items():
            self._quiet(message, slot, zone, until, group)
        if not rules.daily_cap or not awake:
            return awake
        places = [(d, c.id, local_day(c.timezone, now)) for d, c in awake]
        passed = self.store.send_rules.take_places(places, rules.daily_cap, rules.cap_reason())
        return [job for job in awake if job[0] in passed]

    def _quiet(self, message: Message, slot: str, zone: str, until: datetime, jobs: list[tuple[str, Client]]) -> None:
        """Skip, or hold to `until` with one deduplicated QStash publish that re-fires only these clients."""
        ids = [d for d, _ in jobs]
        if message.quiet_action == "skip" or self.scheduler is None:  # no scheduler (a bare test setup): no way to hold
            self.store.send_rules.skip(ids, QUIET_SKIPPED)
            return
        clients = sorted(c.id for _, c in jobs)
        try:
            for start in range(0, len(clients), MAX_CHUNK):
                part = clients[start : start + MAX_CHUNK]
                body = {"messageId": message.id, "coachId": message.coach_id, "zone": zone, "slot": slot}
                dedup = held_dedup_id(message.id, slot, zone, until, part)
                # A second after the end: the held rows' lease (to the end itself) has run out by then.
                self.scheduler.publish_held(body | {"clients": part}, int(until.timestamp()) + 1, dedup, self.flow)
        except SchedulerUnavailable as exc:
            # Not held: the rows go back to pending and QStash's retry of this firing holds them again.
            log.warning("could not hold %d sends for quiet hours: %s", len(ids), exc.message)
            self.store.send_rules.release(ids)
            return
        self.store.send_rules.hold(ids, until, held_reason(until, jobs[0][1].timezone))

    def nudge_check(self, client: Client, now: datetime) -> str | None:
        """NudgeService's pre-send check: a nudge is held back in quiet hours or once the day's cap is reached."""
        rules: SendRules = self.store.send_rules.get(client.coach_id)
        if rules.quiet_until(client.timezone, now):
            return QUIET_SKIPPED
        day = local_day(client.timezone, now)
        if rules.daily_cap and self.store.send_rules.sent_on(client.id, day) >= rules.daily_cap:
            return rules.cap_reason()
        return None
