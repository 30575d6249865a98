"""Issue 9 item 13 in a real browser: a CSV import shows each row's problem first and writes nothing until every
row is right, then all at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.story import open_page, story_page
from tests.browser.test_end_to_end import log_in, wait_for_rerun

HEADER = "name,email,zone,tags,external_chat_id\n"
GOOD = "Nia Obi,nia@example.com,Africa/Lagos,vip;new,\nOmar Haddad,,Asia/Dubai,new,\n"
BAD = "Pia Lund,pia@example,Europe/Stockholmm,,\n"


def upload(page: Page, name: str, text: str) -> None:
    """Choose a CSV file in the uploader, as the file picker would."""
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode()}]
    )


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_import_preview_lists_problems_then_imports_all(product, browser, shots):
    """Casey uploads three clients, one with a bad email and zone: the preview lists that row first with its
    problem and the Import button stays off; she uploads the corrected file and imports all three."""
    with story_page(browser, shots, "csv-import", height=1300) as page:
        log_in(page, product.url)
        open_page(page, "Clients")
        expect(page.get_by_text("Showing 1–13 of 13")).to_be_visible()
        page.get_by_text("Import clients from CSV").click()
        upload(page, "clients.csv", HEADER + GOOD + BAD)
        problem = page.get_by_test_id("stAlertContentError")
        expect(problem).to_contain_text("1 of 3 rows have a problem", timeout=30_000)
        grid = page.get_by_test_id("stDataFrame").filter(has_text="Problem")
        expect(grid).to_contain_text("Pia Lund")
        expect(page.get_by_role("button", name="Import 3 clients")).to_be_disabled()
        wait_for_rerun(page)
        page.get_by_role("button", name="Import 3 clients").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "csv-import-preview.png"))

        upload(page, "clients-fixed.csv", HEADER + GOOD + BAD.replace("@example,", "@example.com,").replace("mm", "m"))
        go = page.get_by_role("button", name="Import 3 clients")
        expect(go).to_be_enabled(timeout=30_000)
        wait_for_rerun(page)
        go.click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Imported 3 clients.", timeout=30_000)
        expect(page.get_by_text("Showing 1–16 of 16")).to_be_visible()
