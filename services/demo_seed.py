"""Demo data for an empty embedded database: 2 coaches, 25 clients in 5 zones, a few schedules."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from zoneinfo import ZoneInfo

from services.auth import hash_password
from services.compose import ScheduleRequest
from services.errors import UserError

DEMO_PASSWORD = "demo-password"
COACHES = [
    (
        "coach@example.com",
        "Casey Coach",
        "America/New_York",
        [
            "Alex Rivera",
            "Blair Chen",
            "Cam Okafor",
            "Dana Silva",
            "Eli Novak",
            "Fran Müller",
            "Gus Tanaka",
            "Hana Ito",
            "Ira Kaplan",
            "Jo Mensah",
            "Kai Larsen",
            "Lee Park",
            "Max Duarte",
        ],
    ),
    (
        "morgan@example.com",
        "Morgan Mentor",
        "Europe/London",
        [
            "Nia Brooks",
            "Omar Haddad",
            "Pia Rossi",
            "Quinn Reyes",
            "Rosa Lind",
            "Sam Patel",
            "Tess Moreau",
            "Uma Singh",
            "Vic Adler",
            "Wren Kelly",
            "Yara Costa",
            "Zed Fox",
        ],
    ),
]
# What the sign-in page lists in the offline demo (and nowhere else).
DEMO_LOGINS = (
    ("coach@example.com", "coach Casey, New York, 13 clients"),
    ("morgan@example.com", "coach Morgan, London, 12 clients"),
    ("support@example.com", "support: every coach's schedules and deliveries"),
    ("admin@example.com", "admin: accounts and roles"),
)
ZONES = ["America/New_York", "America/Los_Angeles", "Europe/London", "Asia/Tokyo", "Australia/Sydney"]
TAGS = [["vip"], ["beginner"], ["beginner", "nutrition"], ["advanced"], ["nutrition"]]
_NS = uuid.UUID("6f1c1a52-95a8-4f2e-9d0d-6d2a8b1c0d11")


def _id(*parts: str) -> str:
    """Stable ids, so a second seed finds what the first wrote."""
    return str(uuid.uuid5(_NS, "/".join(parts)))


def seed(services) -> bool:
    """Seed an empty embedded database; returns False (and does nothing) when anything is there already."""
    store = services.store
    if services.settings.database_url:
        raise UserError("Demo data is only seeded into the embedded database, never into DATABASE_URL.")
    if store.accounts.count():
        return False
    password_hash = hash_password(DEMO_PASSWORD)  # one slow hash serves every demo login
    store.accounts.insert(None, "support@example.com", "Sky Support", "UTC", "support", password_hash, _id("support"))
    store.accounts.insert(None, "admin@example.com", "Ada Admin", "UTC", "admin", password_hash, _id("admin"))
    for email, name, tz, client_names in COACHES:
        coach = store.accounts.insert(None, email, name, tz, "coach", password_hash, _id(email))
        for n, client_name in enumerate(client_names):
            store.clients.add(
                coach.as_actor(),
                client_name,
                ZONES[n % len(ZONES)],
                TAGS[n % len(TAGS)],
                active=n != len(client_names) - 1,
                client_id=_id(email, client_name),
            )
        _schedule_examples(services, coach)
    return True


def _schedule_examples(services, coach) -> None:
    """A daily check-in, a weekly tag message, and a welcome that arrives 10 seconds after start."""
    local_now = services.clock().astimezone(ZoneInfo(coach.timezone))
    examples = [
        ScheduleRequest(
            title="Daily check-in",
            body="Good morning {first_name}! How did you sleep?",
            kind="daily",
            send_time=local_now.replace(hour=8, minute=0).time(),
        ),
        ScheduleRequest(
            title="Weekly nutrition tip",
            body="Hi {first_name}, this week's tip: more vegetables.",
            kind="weekly",
            target="tag",
            target_tag="nutrition",
            weekdays=[0],
            send_time=local_now.replace(hour=10, minute=0).time(),
        ),
    ]
    for request in examples:
        # QStash not up yet: the row is stored in 'error' with the reason, and Repair fixes it.
        with contextlib.suppress(UserError):
            services.schedules.create(coach, request)
    _welcome(services, coach)


def _welcome(services, coach) -> None:
    """A one-time message 10 s ahead (finer than the form's minutes), registered like any other."""
    message = services.store.messages.insert(
        coach.as_actor(),
        {
            "title": "Welcome",
            "body": "Welcome aboard, {first_name}! — {coach_name}",
            "target": "all",
            "target_tag": None,
            "kind": "once",
            "send_at": services.clock() + timedelta(seconds=10),
            "cron": None,
            "timezone": coach.timezone,
            "zone_mode": "coach",
            "end_at": None,
            "max_occurrences": None,
            "status": "scheduled",
        },
    )
    with contextlib.suppress(UserError):  # recorded on the row as above
        services.schedules.repair(coach.as_actor(), message.id)
