"""Stories about a long Delivery Log: keyset paging with Newer / Older, and a CSV built only when asked for."""

from datetime import timedelta

from tests.ui.conftest import account


def seed_many(services, slots=9):
    """Three clients × `slots` occurrences of one message, one row failing with a formula-looking error."""
    coach = account(services, "coach@example.com")
    rows, _ = services.store.messages.list(coach.as_actor(), search="Welcome")
    mid = rows[0]["id"]
    ids = [c.id for c in services.store.clients.list(coach.as_actor(), limit=3)]
    d = services.store.deliveries
    made = []
    for n in range(slots):
        run = d.start_run(mid, coach.id, f"q{n}", 0, f"s{n}", None)
        made += d.claim_batch(mid, coach.id, f"s{n}", ids, (f"q{n}", 0, run, timedelta(minutes=1)))
    d.record_outcomes([(i, f"chat-{i}") for i, _ in made[1:]], [(made[0][0], '=HYPERLINK("x")', True)])
    return [i for i, _ in made]


def table_ids(at):
    return list(at.dataframe[0].value["Delivery id"])


def test_older_and_newer_walk_the_pages_without_repeats(as_user, seeded):
    """Casey pages through 27 deliveries 10 at a time: Older shows the next rows, Newer goes back."""
    made = seed_many(seeded)
    at = as_user().switch_page("pages/delivery_log.py").run()
    at.selectbox(key="log_page_size").set_value(10).run()
    first = table_ids(at)
    at.button(key="log_older").click().run()
    second = table_ids(at)
    at.button(key="log_older").click().run()
    third = table_ids(at)
    assert (len(first), len(second), len(third)) == (10, 10, 7)
    assert sorted(first + second + third) == sorted(made)
    assert at.button(key="log_older").disabled
    at.button(key="log_newer").click().run()
    assert table_ids(at) == second


def test_csv_is_prepared_on_request_complete_and_spreadsheet_safe(as_user, seeded):
    """No CSV is built until Casey asks; then every row is in it and a formula-looking error is neutralised."""
    made = seed_many(seeded)
    at = as_user().switch_page("pages/delivery_log.py").run()
    assert "log_csv_data" not in at.session_state
    at.button(key="log_csv_prepare").click().run()
    text = at.session_state["log_csv_data"].decode("utf-8")
    assert len(text.strip().splitlines()) == 1 + len(made)
    assert "'=HYPERLINK" in text
    assert not at.error
