"""The demo story in a real browser against the running product: schedule, wait, see it arrive."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

NEW_YORK = ZoneInfo("America/New_York")


def send_minute(lead: float = 6.0) -> datetime:
    """The first whole minute at least `lead` seconds away, in Casey's zone (the form takes minutes): the story
    waits for it, so the shorter the lead the faster the test; schedule_soon() retries if it was too short."""
    soon = datetime.now(NEW_YORK) + timedelta(seconds=lead)
    at = soon.replace(second=0, microsecond=0)
    return at if at >= soon else at + timedelta(minutes=1)


def log_in(page: Page, url: str) -> None:
    page.goto(url)
    page.get_by_role("textbox", name="Email").fill("coach@example.com")
    page.get_by_role("textbox", name="Password").fill("demo-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Message Scheduler")).to_be_visible(timeout=30_000)


def choose(page: Page, label: str, option: str) -> None:
    """Pick an option of a Streamlit selectbox by typing it."""
    box = page.get_by_role("combobox", name=label, exact=True).first
    if box.count() == 0:
        box = page.locator("[data-testid='stSelectbox']").filter(has=page.get_by_text(label, exact=True)).first
    box.click()
    page.get_by_role("option", name=option, exact=True).first.click()


def type_segments(page: Page, label: str, values: dict[str, str]) -> None:
    """Type into the segments (year/month/day or hour/minute) of a Streamlit date or time field."""
    for segment, value in values.items():
        field = page.get_by_role("spinbutton", name=f"{segment}, {label}").first
        field.click()
        field.press_sequentially(value)
    page.keyboard.press("Tab")


def set_date(page: Page, at: datetime) -> None:
    """Type the date into the Date field."""
    type_segments(page, "Date", {"year": f"{at:%Y}", "month": f"{at:%m}", "day": f"{at:%d}"})


def set_time(page: Page, at: datetime) -> None:
    """Type the time into the Time field."""
    type_segments(page, "Time", {"hour": f"{at:%H}", "minute": f"{at:%M}"})


def wait_for_rerun(page: Page) -> None:
    """Let Streamlit finish the rerun a widget change started: call it after the change's visible effect."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=30_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=30_000)


def preview_sentence(at: datetime) -> str:
    """The preview's first line for a one-time send at `at` in Casey's zone."""
    return f"Once, on {at:%A %d %B %Y} at {at:%H:%M} (America/New_York)"


def schedule_soon(page: Page, shots: Path) -> datetime:
    """Set the date and time to the next whole minute and schedule; if that minute passed before the click
    (a busy machine), the form says so and the following minute is tried. Returns the send time."""
    for _ in range(3):
        at = send_minute()
        set_date(page, at)
        expect(page.get_by_text(f"Once, on {at:%A %d %B %Y} at")).to_be_visible(timeout=30_000)
        wait_for_rerun(page)
        set_time(page, at)
        expect(page.get_by_text(preview_sentence(at))).to_be_visible(timeout=30_000)
        wait_for_rerun(page)
        page.screenshot(path=str(shots / "1-compose.png"), full_page=True)
        page.get_by_role("button", name="Schedule Message").click()
        success = page.get_by_test_id("stAlertContentSuccess")
        too_late = page.get_by_text("That time is in the past.")
        expect(success.or_(too_late)).to_be_visible(timeout=30_000)
        if success.count():
            expect(success).to_contain_text("Scheduled “Browser story”")
            expect(success).to_contain_text(at.strftime("%H:%M"))
            return at
        wait_for_rerun(page)
    pytest.fail("the chosen minute passed before Schedule Message three times")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_coach_schedules_a_message_and_sees_it_arrive(product, browser, tmp_path):
    """Casey logs in, schedules a one-time message to her VIP clients for the next whole minute, sees the success
    message, then watches it arrive in the Inbox and shows up as sent in the Delivery Log."""
    shots = Path(os.environ.get("BROWSER_SCREENSHOTS") or tmp_path / "screenshots")  # this run's own by default
    shots.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        log_in(page, product.url)
        body = f"Browser story {int(time.time())}: hello {{first_name}}!"
        page.get_by_role("textbox", name="Title (optional)").fill("Browser story")
        message = page.get_by_role("textbox", name="Message")
        message.fill(body)
        message.press("Tab")
        # Each step waits for what its rerun shows before the next: a change made while a rerun is still being
        # drawn can be lost (the time zone then falls back to the first in the list).
        expect(page.get_by_text("will read:")).to_be_visible(timeout=30_000)  # the preview has the text
        wait_for_rerun(page)
        page.get_by_text("Clients with a tag").click()
        choose(page, "Tag", "vip")
        recipients = page.get_by_test_id("stMetric").filter(has_text="Recipients").get_by_test_id("stMetricValue")
        expect(recipients).to_have_text("3", timeout=30_000)
        wait_for_rerun(page)
        schedule_soon(page, shots)

        page.get_by_role("link", name="Inbox").click()
        expect(page.get_by_role("heading", name="Inbox")).to_be_visible()
        arrived = page.get_by_text(body.replace("{first_name}", "Alex"))
        expect(arrived).to_be_visible(timeout=120_000)  # no clicks: the Inbox updates by itself
        page.screenshot(path=str(shots / "2-inbox.png"), full_page=True)

        page.get_by_role("link", name="Delivery Log").click()
        expect(page.get_by_role("heading", name="Delivery Log")).to_be_visible()
        choose(page, "Message", "Browser story")
        metrics = page.get_by_test_id("stMetric")
        expect(metrics.filter(has_text="Sent").get_by_test_id("stMetricValue")).to_have_text("3", timeout=30_000)
        expect(metrics.filter(has_text="Failed").get_by_test_id("stMetricValue")).to_have_text("0")
        page.screenshot(path=str(shots / "3-delivery-log.png"), full_page=True)
    except Exception as failure:
        page.screenshot(path=str(shots / "failure.png"), full_page=True)
        failure.add_note(f"Screenshots: {shots}")
        raise
    finally:
        page.close()
