"""Big sends ask first: many recipients, or a new rule that sends more than once a day."""

from __future__ import annotations

from datetime import datetime

from services import recurrence
from services.compose import ScheduleRequest
from services.preview import Preview

DEFAULT_CONFIRM_ABOVE = 50
_LOOKAHEAD = 25


def question(request: ScheduleRequest, shown: Preview, zone_name: str, now: datetime, above: int) -> str | None:
    """The confirmation to ask, with the count and the rule in words, or None when the send is ordinary."""
    many = shown.recipients > above
    often = request.kind != "once" and more_than_daily(shown_cron(request), zone_name, now)
    if not many and not often:
        return None
    who = f"{shown.recipients:,} client{'' if shown.recipients == 1 else 's'}"
    text = f"This message goes to {who}: {shown.sentence}."
    if often:
        text += " It sends more than once a day."
    return text


def shown_cron(request: ScheduleRequest) -> str:
    """The cron rule a recurring request makes."""
    return recurrence.cron_for(request.kind, request.send_time or datetime.min.time(), request.weekdays, request.cron)


def more_than_daily(cron: str, zone_name: str, now: datetime) -> bool:
    """True when two of the next sends fall on the same local day (a daily rule across a DST change does not)."""
    days = [
        o.at.astimezone(recurrence.zone(zone_name)).date()
        for o in recurrence.next_occurrences(cron, zone_name, now, _LOOKAHEAD)
    ]
    return len(days) != len(set(days))
