"""What the coach's quiet hours and daily cap will do to a schedule's first send, in words for the preview."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from services import recurrence
from services.domain import Account, Client, Message
from services.send_rules import SendRules, local_day
from services.store import Store

_STAMP = "%a %d %b %H:%M"
_PAGE = 500


def notes(
    store: Store, account: Account, quiet_action: str, audience: list[Client], times: list
) -> tuple[list[str], list[str]]:
    """(notes, warnings) about the first send: who is in quiet hours and when they get it; who passes the cap."""
    rules = store.send_rules.get(account.id)
    if not audience or not times:
        return [], []
    first = {c.id: next((t.at for t in times if t.group == c.timezone), times[0].at) for c in audience}
    quiet = _quiet(rules, quiet_action, audience, first)
    capped = _cap(store, account, rules, audience, first) if rules.daily_cap else None
    return [quiet] if quiet else [], [capped] if capped else []


def _quiet(rules: SendRules, quiet_action: str, audience: list[Client], first: dict[str, datetime]) -> str | None:
    """'2 of 3 clients are in their quiet hours at the first send; …', or None."""
    ends: Counter = Counter()
    for client in audience:
        until = rules.quiet_until(client.timezone, first[client.id])
        if until:
            ends[(until, client.timezone)] += 1
    if not ends:
        return None
    head = f"Quiet hours: {sum(ends.values())} of {len(audience)} clients are in theirs at the first send"
    if quiet_action == "skip":
        return head + "; this message skips them."
    when = ", ".join(
        f"{n} at {until.astimezone(recurrence.zone(zone)):{_STAMP}} ({zone})"
        for (until, zone), n in sorted(ends.items())
    )
    return f"{head}; held until those end: {when}."


def _cap(
    store: Store, account: Account, rules: SendRules, audience: list[Client], first: dict[str, datetime]
) -> str | None:
    """A warning when the first send would take some clients past the daily cap (skipped for them), or None."""
    others = _scheduled(store, account)
    over = 0
    for client in audience:
        at = first[client.id]
        day = local_day(client.timezone, at)
        taken = store.send_rules.sent_on(client.id, day)
        taken += sum(_sends_that_day(m, client, at, store.clock()) for m, ids in others if client.id in ids)
        over += taken + 1 > rules.daily_cap  # with this one, more than the cap: the later ones are skipped
    if not over:
        return None
    return (
        f"Daily cap ({rules.daily_cap} a day): with this message, {over} of {len(audience)} clients would get more "
        "scheduled messages than that on the day of the first send; the sends over the cap are skipped for them."
    )


def _scheduled(store: Store, account: Account) -> list[tuple[Message, set[str]]]:
    """The coach's scheduled messages with their recipients' ids."""
    found, offset = [], 0
    while True:
        rows, total = store.messages.list(account.as_actor(), status="scheduled", limit=_PAGE, offset=offset)
        for row in rows:
            message = store.messages.get_unscoped(row["id"])
            found.append((message, {c.id for c in store.clients.recipients(message) if c.active}))
        offset += _PAGE
        if offset >= total:
            return found


def _sends_that_day(message: Message, client: Client, at: datetime, now: datetime) -> int:
    """How many times a message still sends to this client on the client's local day of `at`."""
    tz = recurrence.zone(client.timezone)
    local = at.astimezone(tz)
    start = max(now, datetime.combine(local.date(), datetime.min.time(), tz))
    end = datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), tz)
    if not message.recurring:
        return int(message.send_at is not None and start <= message.send_at < end)
    zone = client.timezone if message.zone_mode == "client" else message.timezone
    found = recurrence.occurrences_between(message.cron, zone, start - timedelta(microseconds=1), end, 100)
    return sum(1 for o in found if o.at < end)
