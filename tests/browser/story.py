"""What the browser stories share: a page that leaves a screenshot when its story fails, and page navigation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.browser.test_end_to_end import wait_for_rerun


@contextmanager
def story_page(browser: Browser, shots: Path, name: str, height: int = 1100) -> Iterator[Page]:
    """A fresh page; a failing story saves `<name>-failure.png` (the whole page) before the error goes up."""
    page = browser.new_page(viewport={"width": 1400, "height": height})
    try:
        yield page
    except Exception:
        page.screenshot(path=str(shots / f"{name}-failure.png"), full_page=True)
        raise
    finally:
        page.close()


def open_page(page: Page, name: str) -> None:
    """Follow the navigation link and wait for the page's heading and its first complete run."""
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible(timeout=30_000)
    wait_for_rerun(page)
