"""Two actions in a row on a schedule's panel, in a real browser: both must take effect."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_end_to_end import log_in, wait_for_rerun

ROW_HEIGHT = 35  # Streamlit's data grid rows (and its header), in CSS pixels


def open_schedule(page: Page, title: str) -> None:
    """Search for the title, then click the selection box in front of the only row left (the grid is a canvas)."""
    search = page.get_by_role("textbox", name="Search title or text")
    search.fill(title)
    search.press("Enter")
    expect(page.get_by_text("Showing 1–1 of 1")).to_be_visible(timeout=30_000)
    wait_for_rerun(page)
    table = page.get_by_test_id("stDataFrame").first
    expect(table.locator("canvas").first).to_be_visible()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 18, box["y"] + ROW_HEIGHT * 1.5)


def flash(page: Page, text: str) -> None:
    """Wait for an action's outcome and for the rerun that shows it to finish."""
    expect(page.get_by_test_id("stAlertContentSuccess").filter(has_text=text)).to_be_visible(timeout=30_000)
    wait_for_rerun(page)


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_pause_then_resume_both_take_effect(product, browser, shots):
    """Casey opens her daily check-in on Schedules and presses Pause, then Resume, then (after ticking "I am sure")
    Cancel: each is confirmed in turn, the panel stays open throughout, and the message ends cancelled."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        log_in(page, product.url)
        page.get_by_role("link", name="Schedules").click()
        expect(page.get_by_role("heading", name="Schedules")).to_be_visible(timeout=30_000)
        wait_for_rerun(page)
        open_schedule(page, "Daily check-in")
        expect(page.get_by_role("button", name="Pause")).to_be_enabled(timeout=30_000)
        wait_for_rerun(page)
        page.screenshot(path=str(shots / "schedules.png"), full_page=True)
        page.get_by_role("button", name="Pause").click()
        flash(page, "Paused: “Daily check-in”.")
        page.get_by_role("button", name="Resume").click()
        flash(page, "Resumed: “Daily check-in”.")
        # A third action straight after, with a confirmation tick in between.
        page.get_by_text("I am sure").click()
        cancel = page.get_by_role("button", name="Cancel message")
        expect(cancel).to_be_enabled(timeout=30_000)
        wait_for_rerun(page)
        expect(cancel).to_have_count(1)  # no stale copy left from the previous run
        cancel.click()
        flash(page, "Cancelled for good: “Daily check-in”.")
        expect(page.get_by_role("button", name="Resume")).to_be_disabled()
        expect(page.get_by_role("checkbox", name="I am sure")).not_to_be_checked()  # a fresh box per version
        page.screenshot(path=str(shots / "schedule-actions.png"), full_page=True)
    except Exception as failure:
        page.screenshot(path=str(shots / "schedule-actions-failure.png"), full_page=True)
        raise failure
    finally:
        page.close()
