"""What a schedule will do, before it is saved: the rule in words, next sends per zone, DST notes, audience."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from services import compose, recurrence, send_rules_preview, templates
from services.domain import Account, Client
from services.errors import UserError
from services.store import Store

COUNT = 5
_STAMP = "%a %d %b %Y %H:%M"


@dataclass(frozen=True)
class SendTime:
    """One upcoming send: the UTC instant, the zone group it fires in, and its local time per zone."""

    at: datetime
    group: str
    local: dict[str, str]


@dataclass(frozen=True)
class Preview:
    """Everything the preview panel shows."""

    sentence: str
    times: list[SendTime]
    warnings: list[str]
    recipients: int
    zones: list[str]
    coach_zone: str
    sample_name: str | None = None
    sample_text: str | None = None
    notes: list[str] = field(default_factory=list)
    frequent: bool = False  # sends more often than the minimum interval: the coach must confirm


def build(
    store: Store,
    account: Account,
    request: compose.ScheduleRequest,
    now: datetime,
    min_interval: timedelta = compose.DEFAULT_MIN_INTERVAL,
) -> Preview:
    """Preview a request for this coach; raises UserError when the timing cannot be worked out."""
    zone_name = request.timezone or account.timezone
    recurrence.zone(zone_name)
    audience = _audience(store, account, request)
    zones = sorted({c.timezone for c in audience}) or [zone_name]
    groups = zones if request.zone_mode == "client" and not request.send_now else [zone_name]
    shown = list(dict.fromkeys([account.timezone, zone_name, *zones]))
    if request.kind == "once":
        sentence, times, warnings = _once(request, groups, shown, now)
    else:
        sentence, times, warnings = _recurring(request, zone_name, groups, shown, now)
    sample_name, sample_text = _sample(request.body, audience, account.display_name, warnings)
    rule_notes, rule_warnings = send_rules_preview.notes(store, account, request.quiet_action, audience, times)
    notes = _notes(request, zone_name) + rule_notes
    warnings += rule_warnings
    if request.kind == "cron":
        frequent, notes = _cron_notes(request, zone_name, now, min_interval, notes)
    else:
        frequent = False
    return Preview(
        sentence, times, warnings, len(audience), zones, account.timezone, sample_name, sample_text, notes, frequent
    )


def _audience(store: Store, account: Account, request: compose.ScheduleRequest) -> list[Client]:
    """The active clients the request targets today (inactive ones are skipped at send time)."""
    actor = account.as_actor()
    if request.target == "clients":
        return [c for c in store.clients.get_many(actor, list(request.client_ids)) if c.active]
    if request.target == "tag" and not request.target_tag:
        return []
    tag = request.target_tag if request.target == "tag" else None
    found: list[Client] = []
    while True:
        page = store.clients.list(actor, tag=tag, active=True, limit=500, offset=len(found))
        found += page
        if len(page) < 500:
            return found


def _locals(at: datetime, zones: list[str]) -> dict[str, str]:
    """The instant as wall-clock text in each zone."""
    return {z: at.astimezone(recurrence.zone(z)).strftime(_STAMP) for z in zones}


def _once(request: compose.ScheduleRequest, groups: list[str], shown: list[str], now: datetime):
    """A one-time send: one instant per zone group (a send now: this instant, once)."""
    if request.send_now:
        return "Right now, once", [SendTime(now, groups[0], _locals(now, shown))], []
    if request.send_date is None or request.send_time is None:
        raise UserError("Pick the date and time to send.", "send_at")
    times, warnings = [], []
    for group in groups:
        at = recurrence.local_to_utc(request.send_date, request.send_time, group)
        if at <= now:
            warnings.append(f"{request.send_time:%H:%M} on {request.send_date:%d %b %Y} has already passed in {group}.")
        times.append(SendTime(at, group, _locals(at, shown)))
    times.sort(key=lambda t: t.at)
    sentence = f"Once, on {request.send_date:%A %d %B %Y} at {request.send_time:%H:%M}"
    sentence += (
        " in each client's own time zone" if len(groups) > 1 or request.zone_mode == "client" else f" ({groups[0]})"
    )
    return sentence, times, warnings + _ambiguous_once(request, groups)


def _ambiguous_once(request: compose.ScheduleRequest, groups: list[str]) -> list[str]:
    """A local time that happens twice (clocks go back) sends at the first of the two."""
    notes = []
    for group in groups:
        naive = datetime.combine(request.send_date, request.send_time.replace(tzinfo=None))
        tz = recurrence.zone(group)
        if naive.replace(tzinfo=tz, fold=0).utcoffset() != naive.replace(tzinfo=tz, fold=1).utcoffset():
            notes.append(
                f"{naive:%H:%M} happens twice on {naive:%d %b %Y} in {group} (clocks go back); "
                "it sends at the first one."
            )
    return notes


def _recurring(request: compose.ScheduleRequest, zone_name: str, groups: list[str], shown: list[str], now: datetime):
    """A cron rule: the next sends across zone groups, within the end conditions."""
    cron = recurrence.cron_for(request.kind, request.send_time or time(0), request.weekdays, request.cron)
    end_at = None
    if request.end_date:
        end_at = datetime.combine(request.end_date, time(23, 59), recurrence.zone(zone_name)).astimezone(UTC)
    times, warnings = [], []
    for group in groups:
        for occurrence in recurrence.next_occurrences(cron, group, now, COUNT):
            if end_at is None or occurrence.at <= end_at:
                times.append(SendTime(occurrence.at, group, _locals(occurrence.at, shown)))
        for day in recurrence.dst_gaps(cron, group, now):
            warnings.append(f"On {day} the clocks skip the send time in {group}; that send moves an hour later.")
    times.sort(key=lambda t: t.at)
    limit = COUNT if request.max_occurrences is None else max(0, min(COUNT, request.max_occurrences))
    times = times[:limit]
    sentence = recurrence.describe(cron)
    sentence += " in each client's own time zone" if request.zone_mode == "client" else f" ({zone_name})"
    if not times:
        warnings.append("This rule never sends before its end date.")
    return sentence, times, warnings


def _notes(request: compose.ScheduleRequest, zone_name: str) -> list[str]:
    """End conditions in words."""
    notes = []
    if request.kind != "once" and request.end_date:
        notes.append(f"Stops after {request.end_date:%d %b %Y} ({zone_name}).")
    if request.kind != "once" and request.max_occurrences:
        notes.append(f"Stops after {request.max_occurrences} send(s).")
    return notes


def _cron_notes(
    request: compose.ScheduleRequest, zone_name: str, now: datetime, min_interval: timedelta, notes: list[str]
) -> tuple[bool, list[str]]:
    """Whether a custom rule is more frequent than allowed without confirmation, and what may surprise."""
    cron = recurrence.validate_cron(request.cron or "")
    _, _, day_of_month, _, day_of_week = cron.split()
    if day_of_month != "*" and day_of_week != "*":
        notes = [
            *notes,
            f"Cron sends when EITHER the day of the month ({day_of_month}) OR the weekday ({day_of_week}) matches, "
            "not only when both do: check the next sends below.",
        ]
    gap = compose.frequency_gap(cron, zone_name, now)
    return gap is not None and gap < min_interval, notes


def _sample(body: str, audience: list[Client], coach_name: str, warnings: list[str]) -> tuple[str | None, str | None]:
    """The text the first recipient would get; a template problem becomes a warning instead."""
    if not audience or not (body or "").strip():
        return None, None
    try:
        templates.check(body)
    except UserError as exc:
        warnings.append(exc.message)
        return audience[0].name, None
    return audience[0].name, templates.render(body.strip(), audience[0], coach_name)


def first_send_text(at: datetime | None, zone_name: str) -> str:
    """'Tue 03 Mar 2026 09:00 EST' for a success message."""
    if at is None:
        return "not scheduled"
    return at.astimezone(recurrence.zone(zone_name)).strftime(_STAMP + " %Z")
