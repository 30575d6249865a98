"""The Schedules table's "Next run": the same answer for every row whether or not rows share the rule memo."""

from datetime import UTC, datetime, timedelta

from services.schedule_summary import next_run

NOW = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)


def _row(**values) -> dict:
    """A recurring message row as the store lists it."""
    return {"status": "scheduled", "kind": "daily", "cron": "0 9 * * *", "timezone": "UTC", "end_at": None,
            "send_at": None, **values}  # fmt: skip


def test_rows_sharing_a_rule_share_its_next_run_but_keep_their_own_end_and_status():
    """Three rows with one rule: the memo answers the second and third, and their own end and status still count."""
    rows = [
        _row(),
        _row(end_at=NOW + timedelta(hours=1)),  # ends before 09:00 tomorrow
        _row(status="paused"),
        _row(timezone="Asia/Tokyo"),
        _row(cron="30 8 * * 1"),
    ]
    firsts: dict = {}
    shared = [next_run(row, NOW, firsts) for row in rows]
    assert shared == [next_run(row, NOW) for row in rows]
    assert shared == [
        datetime(2027, 1, 16, 9, 0, tzinfo=UTC),
        None,
        None,
        datetime(2027, 1, 16, 0, 0, tzinfo=UTC),  # 09:00 in Tokyo
        datetime(2027, 1, 18, 8, 30, tzinfo=UTC),  # next Monday
    ]
    assert len(firsts) == 3  # three distinct (rule, zone) pairs were worked out
