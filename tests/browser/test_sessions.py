"""Sessions in a real browser: deep links, reloads, new tabs, the back button, sign-out and expiry."""

from __future__ import annotations

import sqlite3
import time

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from services.web_sessions import token_hash
from tests.browser.test_end_to_end import wait_for_rerun
from tests.waits import wait_until
from ui.session_cookie import COOKIE_NAME

WEEK = 7 * 24 * 3600


def session_cookie(context: BrowserContext) -> dict | None:
    """The dashboard's session cookie as the browser holds it, or None."""
    return next((c for c in context.cookies() if c["name"] == COOKIE_NAME), None)


def stored_hashes(product) -> list[str]:
    """What the product's database keeps of its sessions."""
    with sqlite3.connect(product.data_dir / "scheduler.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT token_hash FROM web_sessions")]


def sign_in_here(page: Page) -> None:
    """Fill the login form on whatever URL shows it, as Casey."""
    page.get_by_role("textbox", name="Email").fill("coach@example.com")
    page.get_by_role("textbox", name="Password").fill("demo-password")
    page.get_by_role("button", name="Log in").click()


def expect_signed_in_on(page: Page, heading: str) -> None:
    """The page's heading and Casey's sidebar, no login form, no "Page not found"."""
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stSidebar").get_by_text("Casey Coach")).to_be_visible()
    wait_for_rerun(page)
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)


def expect_login_form(page: Page) -> None:
    """The login form, and nothing of anybody's pages."""
    expect(page.get_by_role("button", name="Log in")).to_be_visible(timeout=30_000)
    expect(page.get_by_test_id("stSidebar").get_by_text("Casey Coach")).to_have_count(0)
    expect(page.get_by_text("Page not found")).to_have_count(0)


@pytest.mark.browser
@pytest.mark.timeout(300)
def test_a_session_survives_reloads_tabs_and_back_and_ends_at_sign_out(product, browser, shots):
    """Casey opens a link to Schedules while logged out: the login form shows at that URL, and signing in lands on
    Schedules. Her browser now holds only a session token (SameSite=Strict, Path=/, a week). Reloading keeps her
    there; a Delivery Log link opened in a new tab is signed in too; Back returns to Schedules. Signing out clears
    the cookie, a reload shows the login form, and the other tab is signed out on its next load."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{product.url}/schedule-list")
        expect_login_form(page)
        assert page.url == f"{product.url}/schedule-list"
        sign_in_here(page)
        expect_signed_in_on(page, "Schedules")
        assert page.url == f"{product.url}/schedule-list"

        cookie = wait_until(lambda: session_cookie(context), timeout=30)
        assert cookie["sameSite"] == "Strict"
        assert cookie["path"] == "/"
        assert cookie["secure"] is False  # served over plain http here; https pages get Secure
        assert cookie["httpOnly"] is False  # written by a script: Streamlit cannot send Set-Cookie
        assert abs(cookie["expires"] - (time.time() + WEEK)) < 600
        assert cookie["value"] not in page.url
        assert stored_hashes(product) == [token_hash(cookie["value"])]  # the server keeps only its SHA-256

        page.reload()
        expect_signed_in_on(page, "Schedules")

        other = context.new_page()
        other.goto(f"{product.url}/deliveries")
        expect_signed_in_on(other, "Delivery Log")

        page.get_by_role("link", name="Clients").click()
        expect_signed_in_on(page, "Clients")
        page.go_back()
        expect_signed_in_on(page, "Schedules")
        page.screenshot(path=str(shots / "session-after-back.png"), full_page=True)

        page.get_by_test_id("stSidebar").get_by_role("button", name="Log out").click()
        expect_login_form(page)
        wait_until(lambda: session_cookie(context) is None, timeout=30)
        page.reload()
        expect_login_form(page)
        other.reload()  # the token this tab could still send was ended on the server
        expect_login_form(other)
    except Exception as failure:
        page.screenshot(path=str(shots / "sessions-failure.png"), full_page=True)
        raise failure
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.timeout(300)
@pytest.mark.parametrize("product_env", [{"SESSION_IDLE_TIMEOUT": "4"}])
def test_an_idle_session_expires(product, browser):
    """With a 4-second idle limit, Casey signs in on the Clients link, leaves the tab alone past the limit and
    reloads: the login form is back (at the same URL), the dead cookie is cleared, and signing in again lands on
    Clients."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{product.url}/client-list")
        sign_in_here(page)
        expect_signed_in_on(page, "Clients")
        wait_until(lambda: session_cookie(context), timeout=30)
        time.sleep(5)  # what is tested is time passing with no activity: nothing to observe but the clock
        page.reload()
        expect_login_form(page)
        wait_until(lambda: session_cookie(context) is None, timeout=30)
        sign_in_here(page)
        expect_signed_in_on(page, "Clients")
    finally:
        context.close()
