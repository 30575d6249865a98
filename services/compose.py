"""Validation of the Message Scheduler form: every bad input becomes a message naming the field."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from services import recurrence, templates
from services.domain import Actor, FollowUp, Message
from services.errors import UserError
from services.send_rules import QUIET_ACTIONS
from services.store import Store

MAX_BODY = 5000
DEFAULT_MIN_INTERVAL = timedelta(hours=1)
MAX_TITLE = 120
FOLLOW_UP_HOURS = (1, 168)  # a nudge goes between an hour and a week after its occurrence
TEMPLATE_FIELDS = templates.FIELDS


@dataclass
class ScheduleRequest:
    """What the coach filled in."""

    body: str
    kind: str = "once"  # once | daily | weekly | cron
    title: str = ""
    target: str = "all"  # all | tag | clients
    target_tag: str | None = None
    client_ids: list[str] = field(default_factory=list)
    send_date: date | None = None
    send_time: time | None = None  # once: the local time; daily/weekly: the time of day
    weekdays: list[int] = field(default_factory=list)  # 0 = Monday
    cron: str | None = None
    timezone: str | None = None  # default: the coach's zone
    zone_mode: str = "coach"  # coach | client
    end_date: date | None = None
    max_occurrences: int | None = None
    confirm_frequent: bool = False  # the coach confirmed a rule that sends more often than the minimum interval
    idempotency_key: str | None = None  # one per compose-form instance: a second submit finds the first message
    send_now: bool = False  # a one-time send at the moment of saving (no date or time to pick)
    confirm_big: bool = False  # the coach confirmed a big send (many recipients, or more than once a day)
    follow_up_hours: float | None = None  # "if no reply within N hours, send: follow_up_body"; None: no follow-up
    follow_up_body: str = ""
    quiet_action: str = "hold"  # a send in a client's quiet hours: "hold" until they end, or "skip"


def check_text(request: ScheduleRequest) -> tuple[str, str]:
    """The cleaned body and title."""
    body = (request.body or "").strip()
    if not body:
        raise UserError("Write the message text first.", "body")
    if len(body) > MAX_BODY:
        raise UserError(f"The message is {len(body):,} characters; the limit is {MAX_BODY:,}.", "body")
    templates.check(body)
    title = (request.title or "").strip() or body.splitlines()[0][:60]
    if len(title) > MAX_TITLE:
        raise UserError(f"The title is longer than {MAX_TITLE} characters.", "title")
    return body, title


def _check_target(store: Store, actor: Actor, request: ScheduleRequest) -> list[str]:
    """Check the audience exists and belongs to the coach; returns chosen client ids."""
    if request.target == "all":
        if store.clients.count(actor) == 0:
            raise UserError("You have no clients yet.", "target")
        return []
    if request.target == "tag":
        if not request.target_tag or request.target_tag not in store.clients.tags(actor):
            raise UserError(f"No client has the tag '{request.target_tag or ''}'.", "target_tag")
        return []
    if request.target == "clients":
        wanted = list(dict.fromkeys(request.client_ids))
        if not wanted:
            raise UserError("Choose at least one client.", "client_ids")
        found = {c.id for c in store.clients.get_many(actor, wanted)}
        unknown = [c for c in wanted if c not in found]
        if unknown:
            raise UserError(f"Unknown client id {unknown[0]}: it does not exist or is not your client.", "client_ids")
        return wanted
    raise UserError(f"Unknown target '{request.target}'.", "target")


def validate(
    store: Store,
    actor: Actor,
    request: ScheduleRequest,
    coach_zone: str,
    now: datetime,
    min_interval: timedelta = DEFAULT_MIN_INTERVAL,
) -> tuple[dict, list[str]]:
    """Turn the form into store values and chosen client ids, or raise the first problem."""
    body, title = check_text(request)
    zone_name = request.timezone or coach_zone
    recurrence.zone(zone_name)
    if request.zone_mode not in ("coach", "client"):
        raise UserError("Choose the coach's time zone or each client's own.", "zone_mode")
    client_ids = _check_target(store, actor, request)
    _check_personalised_length(store, actor, request, body, client_ids)
    follow_up = _check_follow_up(store, actor, request, client_ids)
    if request.quiet_action not in QUIET_ACTIONS:
        raise UserError("Choose to hold or skip sends during a client's quiet hours.", "quiet_action")
    values = {
        "title": title,
        "body": body,
        "target": request.target,
        "kind": request.kind,
        "target_tag": request.target_tag if request.target == "tag" else None,
        "timezone": zone_name,
        "zone_mode": request.zone_mode,
        "send_at": None,
        "cron": None,
        "end_at": None,
        "max_occurrences": None,
        "status": "scheduled",
        "follow_up": follow_up,
        "quiet_action": request.quiet_action,
    }
    if request.kind == "once" and request.send_now:
        # Now is the same instant in every zone: one firing, whatever the delivery-time choice said.
        values.update(send_at=now.replace(microsecond=0), zone_mode="coach")
    elif request.kind == "once":
        values["send_at"] = _check_once(request, zone_name, now)
        if request.zone_mode == "client":
            _check_every_zone_ahead(store, actor, request, client_ids, now)
    else:
        values.update(_check_recurring(request, zone_name, now))
        _check_frequency(values["cron"], zone_name, now, min_interval, request.confirm_frequent)
    return values, client_ids


def _check_personalised_length(
    store: Store, actor: Actor, request: ScheduleRequest, body: str, client_ids: list[str], field: str = "body"
) -> None:
    """The chat limit holds for every recipient's own text, not only for the template."""
    length, who = personalised_length(store, actor, request, body, client_ids)
    if length > MAX_BODY:
        what = "message" if field == "body" else "follow-up"
        raise UserError(
            f"Personalised for {who or 'a client'}, the {what} is {length:,} characters; the limit is {MAX_BODY:,}. "
            "Shorten it.",
            field,
        )


def _check_follow_up(store: Store, actor: Actor, request: ScheduleRequest, client_ids: list[str]) -> FollowUp | None:
    """The follow-up, validated like the message itself; None when the coach asked for none."""
    if request.follow_up_hours is None:
        return None
    low, high = FOLLOW_UP_HOURS
    if not low <= request.follow_up_hours <= high:
        raise UserError(f"Follow up after {low} to {high} hours.", "follow_up_hours")
    body = (request.follow_up_body or "").strip()
    if not body:
        raise UserError("Write the follow-up text, or turn the follow-up off.", "follow_up_body")
    if len(body) > MAX_BODY:
        raise UserError(f"The follow-up is {len(body):,} characters; the limit is {MAX_BODY:,}.", "follow_up_body")
    try:
        templates.check(body)
    except UserError as exc:
        raise UserError(exc.message, "follow_up_body") from None
    _check_personalised_length(store, actor, request, body, client_ids, "follow_up_body")
    return FollowUp(round(request.follow_up_hours * 3600), body)


def personalised_length(
    store: Store, actor: Actor, request: ScheduleRequest, body: str, client_ids: list[str]
) -> tuple[int, str | None]:
    """The longest text any recipient will read once personalised, and whose it is."""
    tag = request.target_tag if request.target == "tag" else None
    names = store.clients.audience_names(actor, tag=tag, client_ids=client_ids or None)
    coach_name = store.accounts.get(actor.account_id).display_name
    return templates.longest(body, names, coach_name)


def frequency_gap(cron: str, zone_name: str, now: datetime) -> timedelta | None:
    """The shortest gap between the rule's next sends (None when it sends at most once)."""
    upcoming = recurrence.next_occurrences(cron, zone_name, now, 25)
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(upcoming)]
    return min(gaps) if gaps else None


def _check_frequency(cron: str, zone_name: str, now: datetime, min_interval: timedelta, confirmed: bool) -> None:
    """A rule that sends more often than the minimum interval needs the coach's explicit confirmation."""
    gap = frequency_gap(cron, zone_name, now)
    if gap is not None and gap < min_interval and not confirmed:
        raise UserError(
            f"This rule sends as often as every {_duration(gap)}, more often than every {_duration(min_interval)}. "
            "Confirm that you mean to send this often.",
            "confirm_frequent",
        )


def _duration(gap: timedelta) -> str:
    """'5 minutes', '1 hour', '90 minutes'."""
    minutes = int(gap.total_seconds() // 60)
    if minutes % 60 == 0 and minutes >= 60:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _check_once(request: ScheduleRequest, zone_name: str, now: datetime) -> datetime:
    """The UTC send time of a one-time message, which must exist and be in the future."""
    if request.send_date is None or request.send_time is None:
        raise UserError("Pick the date and time to send.", "send_at")
    send_at = recurrence.local_to_utc(request.send_date, request.send_time, zone_name)
    if send_at <= now + timedelta(seconds=5):
        raise UserError("That time is in the past. Pick a time from now on.", "send_at")
    if send_at > now + timedelta(days=365 * 2):
        raise UserError("Messages can be scheduled at most two years ahead.", "send_at")
    return send_at


def _check_every_zone_ahead(
    store: Store, actor: Actor, request: ScheduleRequest, client_ids: list[str], now: datetime
) -> None:
    """At each client's local time, that time must still be ahead in every recipient's zone."""
    if request.target == "clients":
        recipients = store.clients.get_many(actor, client_ids)
    else:
        recipients = store.clients.list(
            actor, tag=request.target_tag if request.target == "tag" else None, active=True, limit=500
        )
    for zone_name in sorted({c.timezone for c in recipients}):
        if recurrence.local_to_utc(request.send_date, request.send_time, zone_name) <= now:
            raise UserError(
                f"{request.send_time:%H:%M} on {request.send_date:%d %b} has already passed in "
                f"{zone_name}, where some recipients live. Pick a later date.",
                "send_at",
            )


def _check_recurring(request: ScheduleRequest, zone_name: str, now: datetime) -> dict:
    """Cron rule and end conditions of a recurring message."""
    if request.kind not in ("daily", "weekly", "cron"):
        raise UserError(f"Unknown schedule kind '{request.kind}'.", "kind")
    if request.kind != "cron" and request.send_time is None:
        raise UserError("Pick the time of day to send.", "send_time")
    cron = recurrence.cron_for(request.kind, request.send_time or time(0), request.weekdays, request.cron)
    end_at = None
    if request.end_date:
        end_at = recurrence.local_to_utc(request.end_date, time(23, 59), zone_name)
        if end_at <= now:
            raise UserError("The end date is in the past.", "end_date")
    if request.max_occurrences is not None and request.max_occurrences < 1:
        raise UserError("The number of sends must be at least 1.", "max_occurrences")
    first = recurrence.next_occurrences(cron, zone_name, now, 1)
    if end_at and (not first or first[0].at > end_at):
        raise UserError("The rule never fires before the end date.", "end_date")
    return {
        "cron": cron,
        "end_at": end_at,
        "max_occurrences": request.max_occurrences,
        "next_run_at": first[0].at if first else None,
    }


def request_for(message: Message) -> ScheduleRequest:
    """The stored message as the compose form's request, in the message's own zone."""
    zone = recurrence.zone(message.timezone)
    request = ScheduleRequest(
        body=message.body,
        kind=message.kind,
        title=message.title,
        target=message.target,
        target_tag=message.target_tag,
        client_ids=list(message.client_ids),
        cron=message.cron,
        timezone=message.timezone,
        zone_mode=message.zone_mode,
        end_date=message.end_at.astimezone(zone).date() if message.end_at else None,
        max_occurrences=message.max_occurrences,
        weekdays=[0],
        quiet_action=message.quiet_action,
    )
    if message.follow_up is not None:
        request.follow_up_hours = message.follow_up.delay_seconds / 3600
        request.follow_up_body = message.follow_up.body
    if message.kind == "once":
        at = message.send_at.astimezone(zone)
        request.send_date, request.send_time = at.date(), at.time().replace(second=0, microsecond=0)
    elif message.kind in ("daily", "weekly"):
        request.send_time, weekdays = recurrence.time_and_weekdays(message.cron)
        request.weekdays = weekdays or [0]
    return request
