"""A big send in a real browser: asked first, with the count and the rule in words, saved only after Yes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_end_to_end import log_in, wait_for_rerun


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_twice_a_day_rule_is_confirmed_before_it_is_saved(product, browser, shots):
    """Casey writes a rule sending at 09:00 and 17:00 to all her clients and presses Schedule Message: the page
    asks "This message goes to 12 clients: At 09:00 and 17:00 … more than once a day"; her Yes schedules it."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    try:
        log_in(page, product.url)
        page.get_by_role("textbox", name="Title (optional)").fill("Twice a day")
        body = page.get_by_role("textbox", name="Message")
        body.fill("Check in, {first_name}")
        body.press("Tab")
        wait_for_rerun(page)
        page.get_by_text("Custom (cron)").click()
        cron = page.get_by_role("textbox", name="Cron rule")
        expect(cron).to_be_visible(timeout=30_000)
        cron.fill("0 9,17 * * *")
        cron.press("Enter")
        expect(page.get_by_text("At 09:00 and 17:00 (America/New_York)").first).to_be_visible(timeout=30_000)
        wait_for_rerun(page)
        page.get_by_role("button", name="Schedule Message").click()
        question = page.get_by_test_id("stAlertContentWarning").filter(has_text="This message goes to 12 clients")
        expect(question).to_contain_text(
            "At 09:00 and 17:00 (America/New_York). It sends more than once a day.", timeout=30_000
        )
        wait_for_rerun(page)
        question.scroll_into_view_if_needed()  # the page scrolls inside Streamlit's main area, not the document
        page.screenshot(path=str(shots / "compose-confirmation.png"))
        page.get_by_role("button", name="Yes, schedule it").click()
        success = page.get_by_test_id("stAlertContentSuccess")
        expect(success).to_contain_text("Scheduled “Twice a day”", timeout=30_000)
        expect(page.get_by_role("button", name="Yes, schedule it")).to_have_count(0, timeout=30_000)
    except Exception:
        page.screenshot(path=str(shots / "compose-confirmation-failure.png"), full_page=True)
        raise
    finally:
        page.close()
