"""The audit trail in words."""

from services.audit_text import changes, readable


def test_edits_read_as_a_change_list():
    """A moved time, new weekdays, a new text and a pause read as people say them."""
    old = {"cron": "0 9 * * 1", "body": "a", "status": "scheduled"}
    new = {"cron": "0 10 * * 1,5", "body": "b", "status": "paused"}
    assert changes(old, new, "UTC") == (
        "Status: scheduled → paused; Time: 09:00 → 10:00; Weekdays: Monday → Monday, Friday; Text changed"
    )


def test_a_new_message_lists_its_values_and_times_in_the_viewers_zone():
    """Creating shows values without arrows; a send time reads in the viewer's zone; custom rules as sentences."""
    created = {"title": "Hi", "send_at": "2030-01-01T14:00:00+00:00", "body": "x", "client_ids": ["a", "b"]}
    assert changes(None, created, "America/New_York") == "Title: Hi; Send at: 2030-01-01 09:00 EST; Clients: 2"
    assert changes({"cron": "*/5 * * * *"}, {"cron": "0 9 1 * *"}, "UTC").startswith("Rule: Every 5 minutes → ")


def test_people_by_name_and_the_system_as_such():
    """Actor ids become names; events without an actor say 'system'."""
    events = [
        {"at": None, "action": "pause", "actor_id": "c1", "old_values": None, "new_values": None},
        {"at": None, "action": "qstash_error", "actor_id": None, "old_values": None, "new_values": None},
    ]
    rows = readable(events, {"c1": "Casey Coach"}, "UTC")
    assert [(r["action"], r["by"]) for r in rows] == [("Paused", "Casey Coach"), ("QStash refused", "system")]
