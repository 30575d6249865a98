"""Issue 9 items 1 and 8 in a real browser: a double click schedules once; "Send a test to me" reaches the
coach's own chat and counts nowhere."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Page, expect

from tests.browser.story import open_page, story_page
from tests.browser.test_end_to_end import log_in, wait_for_rerun


def write(page: Page, title: str, body: str) -> None:
    """Fill in the title and the message, and wait for the preview to take the text."""
    page.get_by_role("textbox", name="Title (optional)").fill(title)
    message = page.get_by_role("textbox", name="Message")
    message.fill(body)
    message.press("Tab")
    expect(page.get_by_text("will read:")).to_be_visible(timeout=30_000)
    wait_for_rerun(page)


def total_deliveries(page: Page) -> str:
    """The Delivery Log's Total figure."""
    open_page(page, "Delivery Log")
    return page.get_by_test_id("stMetric").filter(has_text="Total").get_by_test_id("stMetricValue").inner_text()


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_a_double_click_on_schedule_message_makes_one_schedule(product, browser, shots):
    """Casey writes a message and double-clicks Schedule Message: one success, a fresh form, and the Schedules
    list holds exactly one message with that title."""
    title = f"Double click {int(time.time())}"
    with story_page(browser, shots, "double-click", height=1100) as page:
        log_in(page, product.url)
        write(page, title, "Hello {first_name}, one message only")
        page.get_by_role("button", name="Schedule Message").dblclick()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text(f"Scheduled “{title}”", timeout=30_000)
        wait_for_rerun(page)
        expect(page.get_by_role("textbox", name="Message")).to_have_value("")  # a fresh form
        open_page(page, "Schedules")
        search = page.get_by_role("textbox", name="Search title or text")
        search.fill(title)
        search.press("Enter")
        expect(page.get_by_text("Showing 1–1 of 1")).to_be_visible(timeout=30_000)


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_send_a_test_to_me_reaches_my_own_chat_and_counts_nowhere(product, browser, shots):
    """After the demo's welcome went out, Casey writes a text, personalises it as Blair and presses Send a test to
    me: the page confirms, a second press is told to wait, the Inbox shows the test in her own chat, and the
    Delivery Log's total has not moved."""
    with story_page(browser, shots, "send-test", height=1100) as page:
        log_in(page, product.url)
        open_page(page, "Inbox")
        expect(page.get_by_text("Welcome aboard").first).to_be_visible(timeout=60_000)
        before = total_deliveries(page)
        open_page(page, "Message Scheduler")
        write(page, "Try-out", "Hi {first_name}, this is a try-out")
        page.get_by_role("combobox", name="Personalise as").click()
        page.get_by_role("option", name="Blair Chen", exact=True).click()
        wait_for_rerun(page)
        send = page.get_by_role("button", name="Send a test to me")
        send.click()
        sent = page.get_by_test_id("stAlertContentSuccess")
        expect(sent).to_contain_text("Test sent to your own chat, as Blair Chen would read it.", timeout=30_000)
        wait_for_rerun(page)
        sent.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "send-test-to-me.png"))
        send.click()
        expect(page.get_by_test_id("stAlertContentError")).to_contain_text("wait", timeout=30_000)
        wait_for_rerun(page)
        open_page(page, "Inbox")
        page.get_by_text("Your own chat").click()
        expect(page.get_by_text("Hi Blair, this is a try-out")).to_have_count(1, timeout=30_000)
        assert total_deliveries(page) == before
