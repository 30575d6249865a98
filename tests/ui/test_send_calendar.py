"""Issue 9 item 6: the Schedules page's calendar of the next 14 days, and the sends of the day clicked."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

from services.compose import ScheduleRequest
from tests.ui.conftest import account
from tests.ui.tables import with_column


def open_schedules(as_user, email="coach@example.com"):
    return as_user(email).switch_page("pages/schedules.py").run()


def day_keys(at) -> list[str]:
    return [b.key for b in at.button if (b.key or "").startswith("list_cal_")]


def day_after(services, email: str, days: int) -> str:
    """The ISO date `days` after today in the account's zone."""
    zone = ZoneInfo(account(services, email).timezone)
    return (services.clock().astimezone(zone).date() + timedelta(days=days)).isoformat()


def day_table(at):
    """The chosen day's sends."""
    return with_column(at, "Fires at")


def click_day(at, iso: str):
    at.button(key=f"list_cal_{iso}").click().run()
    return day_table(at)


def test_coach_clicks_a_day_and_sees_its_sends(as_user, seeded):
    """Casey sees 14 day buttons from today; she clicks the day after tomorrow and reads her 08:00 daily
    check-in to her 12 active clients, in her zone; the day stays chosen on the next run."""
    at = open_schedules(as_user)
    assert not at.exception
    assert day_keys(at) == [f"list_cal_{day_after(seeded, 'coach@example.com', n)}" for n in range(14)]
    sends = click_day(at, day_after(seeded, "coach@example.com", 2))
    row = sends[sends["Message"] == "Daily check-in"].iloc[0]
    assert row["Time"].endswith("08:00 EST")
    assert row["Recipients"] == 12
    assert "Coach" not in sends.columns
    assert at.button(key=f"list_cal_{day_after(seeded, 'coach@example.com', 2)}").proto.type == "primary"
    assert at.markdown[0].value.startswith(
        f"**{seeded.clock().astimezone(ZoneInfo('America/New_York')) + timedelta(days=2):%A %d %B %Y}**"
    )


def test_each_clients_zone_is_one_send_per_zone(as_user, seeded):
    """Casey schedules a daily 09:00 message in each client's own zone: the day lists one send per client zone,
    each at 09:00 there, and together they reach her 12 active clients."""
    casey = account(seeded, "coach@example.com")
    seeded.schedules.create(
        casey,
        ScheduleRequest(
            title="Local nine", body="Hi {first_name}", kind="daily", send_time=time(9), zone_mode="client"
        ),
    )
    zones = {c.timezone for c in seeded.store.clients.list(casey.as_actor()) if c.active}
    at = open_schedules(as_user)
    sends = click_day(at, day_after(seeded, "coach@example.com", 3))
    nine = sends[sends["Message"] == "Local nine"]
    assert len(nine) == len(zones) > 1
    assert {fires.split(" in ")[1].split(" (")[0] for fires in nine["Fires at"]} == zones
    assert all(" 09:00 " in fires for fires in nine["Fires at"])
    assert nine["Recipients"].sum() == 12


def test_support_sees_every_coach_or_one(as_user, seeded):
    """Sky from support sees both coaches' daily check-ins with the coach's name; choosing Morgan in the coach
    filter leaves only Morgan's sends."""
    at = open_schedules(as_user, "support@example.com")
    tomorrow = day_after(seeded, "support@example.com", 1)
    sends = click_day(at, tomorrow)
    checkins = sends[sends["Message"] == "Daily check-in"]
    names = {account(seeded, e).display_name for e in ("coach@example.com", "morgan@example.com")}
    assert set(checkins["Coach"]) == names
    morgan = account(seeded, "morgan@example.com")
    at.selectbox(key="list_coach").set_value(morgan.id).run()
    assert set(day_table(at)["Coach"]) == {morgan.display_name}
