"""Issue 9 items 4 and 6 in a real browser: the Schedules calendar, and every page in the viewer's zone."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.browser.story import open_page, story_page
from tests.browser.test_end_to_end import log_in, wait_for_rerun

NEW_YORK = ZoneInfo("America/New_York")
ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|[+-]\d\d:\d\d(?!\d)")


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_coach_clicks_a_calendar_day_and_sees_its_sends(product, browser, shots):
    """Casey opens Schedules: under the list, 14 days from today, each with its sends and recipients; she clicks
    the day after tomorrow and reads her 08:00 daily check-in to 12 recipients in her zone."""
    with story_page(browser, shots, "schedules-calendar", height=1300) as page:
        log_in(page, product.url)
        open_page(page, "Schedules")
        expect(page.get_by_role("heading", name="Next 14 days")).to_be_visible()
        today = datetime.now(NEW_YORK).date()
        days = [today + timedelta(days=n) for n in range(14)]
        for day in days:
            expect(page.get_by_role("button", name=f"{day:%a %d %b}", exact=True)).to_be_visible()
        target = days[2]
        page.get_by_role("button", name=f"{target:%a %d %b}", exact=True).click()
        summary = page.get_by_text(f"{target:%A %d %B %Y} · ")
        expect(summary).to_contain_text("12 recipients", timeout=30_000)
        wait_for_rerun(page)
        sends = page.get_by_test_id("stDataFrame").last
        expect(sends).to_be_visible()
        sends.scroll_into_view_if_needed()
        page.get_by_role("heading", name="Next 14 days").scroll_into_view_if_needed()
        expect(sends).to_contain_text("Daily check-in")  # the grid's cells are in the page once drawn
        expect(sends).to_contain_text(f"{target:%Y-%m-%d} 08:00 EST")
        page.screenshot(path=str(shots / "schedules-calendar.png"))


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_every_page_names_the_zone_and_shows_no_iso_time(product, browser, shots):
    """Casey opens each of her pages after the demo's welcome message was delivered: each names her zone, and no
    ISO instant or raw slot is anywhere on it; the Delivery Log's chart counts days in New York."""
    with story_page(browser, shots, "time-zones", height=1100) as page:
        log_in(page, product.url)
        open_page(page, "Inbox")
        expect(page.get_by_text("Welcome aboard").first).to_be_visible(timeout=60_000)  # the demo's first send
        for name in ("Message Scheduler", "Schedules", "Clients", "Delivery Log", "Inbox"):
            open_page(page, name)
            main = page.get_by_test_id("stMain")
            if name not in ("Message Scheduler", "Clients"):  # compose: each time with its zone; Clients: no times
                expect(main).to_contain_text("Times are shown in your zone, America/New_York.")
            expect(main).to_contain_text("America/New_York")
            if name == "Delivery Log":  # the welcome's sends are in the table and the chart
                expect(main).to_contain_text("one-time send")
                expect(
                    page.locator("[data-testid='stVegaLiteChart'], [data-testid='stArrowVegaLiteChart']")
                ).to_be_visible()
                page.screenshot(path=str(shots / "delivery-log-zone.png"), full_page=True)
            text = main.inner_text()
            assert not ISO.findall(text), (name, ISO.findall(text))
