"""Stories about the Reports page: support's weekly review of failures with group retry, and the monthly audit."""

import csv
import io

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from services.db.schema import audit_events
from tests.failures import fail, send
from tests.ui.conftest import account


def seed_failures(services):
    """This week: two of Casey's clients failed with "frozen", one with a formula-like reason; one of Morgan's
    with "frozen" too; one of Casey's was delivered."""
    casey, morgan = account(services, "coach@example.com"), account(services, "morgan@example.com")
    store = services.store
    welcome = store.messages.list(casey.as_actor(), search="Welcome")[0][0]["id"]
    tip = store.messages.list(morgan.as_actor(), search="Weekly nutrition tip")[0][0]["id"]
    ann, ben, cat = store.clients.list(casey.as_actor(), limit=3)
    [dan] = store.clients.list(morgan.as_actor(), limit=1)
    frozen = fail(store, welcome, casey.id, "once", {ann.id: "frozen", ben.id: "frozen", cat.id: "=HYPERLINK(1)"})
    frozen |= fail(store, tip, morgan.id, "2026-01-05T09:00", {dan.id: "frozen"})
    send(store, welcome, casey.id, "again", [ann.id])
    return frozen, (ann, ben, cat, dan)


def open_reports(as_user, email="support@example.com"):
    return as_user(email).switch_page("pages/reports.py").run()


def test_a_coach_has_no_reports_page(as_user, seeded):
    """Casey's navigation has no Reports; opening the page file directly refuses her and shows no figures."""
    seed_failures(seeded)
    at = as_user("coach@example.com")
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/reports.py")
    direct = AppTest.from_file("../../pages/reports.py", default_timeout=30)
    direct.session_state["services"] = seeded
    direct.session_state["account"] = account(seeded, "coach@example.com")
    direct.run()
    assert not direct.exception
    assert [e.value for e in direct.error] == ["Reports are for support and admin."]
    assert not direct.metric
    assert not direct.dataframe


def test_support_sees_the_week_grouped(as_user, seeded):
    """Sky opens Reports: 4 failed deliveries this week, "frozen" first with 3, then Casey with 3 and Morgan 1."""
    seed_failures(seeded)
    at = open_reports(as_user)
    assert not at.exception, at.exception
    assert at.metric[0].value == "4"
    by_reason = at.dataframe[0].value
    assert list(zip(by_reason["Reason"], by_reason["Failures"], strict=True)) == [("frozen", 3), ("=HYPERLINK(1)", 1)]
    by_coach = at.dataframe[1].value
    assert list(zip(by_coach["Coach"], by_coach["Failures"], strict=True)) == [("Casey Coach", 3), ("Morgan Mentor", 1)]
    assert sorted(at.dataframe[2].value["Failures"]) == [1, 1, 1, 1]


def test_group_retry_asks_with_the_count_and_retries_exactly_that_group(as_user, seeded):
    """Sky picks the "frozen" group and presses Retry this group: the page asks about 3 deliveries; a failure that
    arrives meanwhile is not part of what she confirmed; Yes reopens exactly those 3, audited, and a second
    press finds nothing to confirm."""
    frozen, (ann, ben, cat, dan) = seed_failures(seeded)
    at = open_reports(as_user)
    at.selectbox(key="reports_pick_reason").set_value("frozen").run()
    at.button(key="reports_retry_reason").click().run()
    assert "Retry **3 failed deliveries**" in at.warning[0].value
    casey = account(seeded, "coach@example.com")
    welcome = seeded.store.messages.list(casey.as_actor(), search="Welcome")[0][0]["id"]
    late = fail(seeded.store, welcome, casey.id, "later", {ann.id: "frozen"})  # after the confirmation was shown
    at.button(key="reports_confirm_yes").click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value == "Retrying 3 failed deliveries of that group."
    sky = account(seeded, "support@example.com").as_actor()
    pending, _ = seeded.store.log.page(sky, status="pending")
    group = {frozen[ann.id], frozen[ben.id], frozen[dan.id]}
    assert {row["id"] for row in pending} == group
    still_failed, _ = seeded.store.log.page(sky, status="failed")
    assert {row["id"] for row in still_failed} == {frozen[cat.id], late[ann.id]}
    with seeded.store.engine.connect() as conn:
        retries = conn.execute(select(audit_events.c.new_values).where(audit_events.c.action == "retry")).scalars()
        assert sorted(retries) == ['{"retried": 1}', '{"retried": 2}']
    assert not at.warning  # the confirmation is gone: a second click has nothing to confirm
    assert at.metric[0].value == "2"  # what is still failed this week


def test_cancel_retries_nothing(as_user, seeded):
    """Sky asks to retry Casey's failures, then cancels: nothing changes."""
    seed_failures(seeded)
    at = open_reports(as_user)
    casey = account(seeded, "coach@example.com")
    at.selectbox(key="reports_pick_coach").set_value(casey.id).run()
    at.button(key="reports_retry_coach").click().run()
    assert "Retry **3 failed deliveries** of coach “Casey Coach”" in at.warning[0].value
    at.button(key="reports_confirm_no").click().run()
    assert not at.warning
    assert at.metric[0].value == "4"


def test_weekly_csv_lists_every_failure_spreadsheet_safe(as_user, seeded):
    """Prepare CSV, then the download holds the 4 failures of the week; a formula-like reason is neutralised."""
    seed_failures(seeded)
    at = open_reports(as_user)
    at.button(key="reports_week_csv_prepare").click().run()
    rows = list(csv.DictReader(io.StringIO(_download(at, "reports_week_csv").decode())))
    assert len(rows) == 4
    assert {row["Status"] for row in rows} == {"failed"}
    assert sorted(row["Last error"] for row in rows) == ["'=HYPERLINK(1)", "frozen", "frozen", "frozen"]


def test_monthly_audit_table_and_csv(as_user, seeded):
    """The month's audit lists every active demo schedule with owner, rule in words, and its sends this month; the
    CSV holds the same rows."""
    seed_failures(seeded)
    at = open_reports(as_user)
    table = at.dataframe[3].value
    assert {"Owner", "Title", "Rule", "Last send", "Next send", "Sent in month", "Changes"} <= set(table.columns)
    welcome = table[(table["Title"] == "Welcome") & (table["Owner"] == "Casey Coach")].iloc[0]
    assert (welcome["Owner"], welcome["Sent in month"], welcome["Failed in month"]) == ("Casey Coach", 1, 3)
    assert welcome["Changes"].count("Created by Casey Coach") == 1
    at.button(key="reports_audit_csv_prepare").click().run()
    rows = list(csv.DictReader(io.StringIO(_download(at, "reports_audit_csv").decode())))
    assert sorted(row["Title"] for row in rows) == sorted(table["Title"])
    daily = next(row for row in rows if row["Title"] == "Daily check-in" and row["Owner"] == "Casey Coach")
    assert daily["Rule"].startswith("At 08:00")
    assert daily["Next send"]


def _download(at, key):
    """The bytes a download button offers, once it is on the page."""
    assert key in [d.key for d in at.get("download_button")] or any(
        d.proto.label == "Download CSV" for d in at.get("download_button")
    )
    return at.session_state[f"{key}_data"]
