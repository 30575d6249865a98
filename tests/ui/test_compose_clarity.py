"""Stories about reading the compose form: full zone names in the preview, the zone picker, the counter."""

from tests.ui.test_message_scheduler import fill


def test_preview_lists_every_send_in_every_zone_by_its_full_name(as_user):
    """Casey previews a daily message: for each of the five sends, every zone her clients live in is listed by its
    full name (America/Los_Angeles, Australia/Sydney…) with the local time, none cut short."""
    at = fill(as_user(), body="Morning {first_name}!", kind="daily")
    table = at.table[0].value
    assert set(table["Zone"]) == {
        "America/New_York (yours)",
        "America/Los_Angeles",
        "Europe/London",
        "Asia/Tokyo",
        "Australia/Sydney",
    }
    assert sorted(set(table["Send"])) == [1, 2, 3, 4, 5]
    assert len(table) == 25


def test_zone_picker_hides_for_each_clients_own_zone(as_user):
    """Casey chooses "each client's own zone": there is no single zone to pick, so the picker goes away, and it is
    back when she returns to one zone."""
    at = fill(as_user(), body="Hi", zone_mode="client")
    assert not [s for s in at.selectbox if s.key == "sched_zone"]
    at = fill(at, zone_mode="coach")
    assert at.selectbox(key="sched_zone").value == "America/New_York"


def test_counter_warns_before_the_limit_counting_the_longest_name(as_user):
    """Casey's text is 4,550 characters and {name} in it: the counter counts it as her longest client name makes
    it and warns that she is close to 5,000 before she presses anything."""
    body = "x" * 4_550 + " {name}"
    at = fill(as_user(), body=body)
    [warning] = [w.value for w in at.warning if "characters;" in w.value]
    assert warning == "Up to 5,000 characters; 4,562 used (personalised for Alex Rivera, the longest). 438 left."
    at = fill(at, body="Short and sweet, {first_name}")
    assert not [w for w in at.warning if "characters;" in w.value]
    assert any("Up to 5,000 characters; " in c.value for c in at.caption)
