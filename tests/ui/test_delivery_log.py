"""Stories about the Delivery Log page: counts, the chart, the table, and retrying failed recipients."""

from datetime import timedelta

from tests.ui.conftest import account


def seed_occurrence(services, title="Welcome", email="coach@example.com"):
    """One occurrence of a demo message: the first VIP client got it, the second failed for good."""
    coach = account(services, email)
    rows, _ = services.store.messages.list(coach.as_actor(), search=title)
    mid = rows[0]["id"]
    clients = services.store.clients.list(coach.as_actor(), limit=2)
    d = services.store.deliveries
    run = d.start_run(mid, coach.id, "qm-seeded", 0, "once", coach.timezone)
    d.ensure_rows(mid, coach.id, "once", [c.id for c in clients], {})
    claimed = dict(
        (client, delivery) for delivery, client in d.claim(mid, "once", "test", 0, run, timedelta(minutes=1))
    )
    d.mark_sent(claimed[clients[0].id], "chat-1")
    d.mark_failed(claimed[clients[1].id], "Stream answered 400: channel is frozen", permanent=True)
    d.finish_run(run, "partial", d.slot_counts(mid, "once"))
    return claimed[clients[1].id], clients


def open_log(as_user, email="coach@example.com"):
    return as_user(email).switch_page("pages/delivery_log.py").run()


def metrics(at):
    return {m.label: m.value for m in at.metric}


def test_counts_table_and_runs(as_user, seeded):
    """Casey opens the Delivery Log after a partly failed send: the counts say 1 sent and 1 failed, the table
    names both clients with the error, and the run is listed."""
    _, clients = seed_occurrence(seeded)
    at = open_log(as_user)
    assert metrics(at) == {"Total": "2", "Sent": "1", "Failed": "1", "Pending": "0", "Skipped": "0"}
    table = at.dataframe[0].value
    assert set(table["Client"]) == {c.name for c in clients}
    assert "Stream answered 400: channel is frozen" in set(table["Last error"])
    runs = at.dataframe[1].value
    assert list(runs["Outcome"]) == ["partial"]
    assert list(runs["Sent"]) == [1]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")


def test_filter_by_status(as_user, seeded):
    """Casey filters to failed deliveries: only the failed client is listed and the counts follow."""
    seed_occurrence(seeded)
    at = open_log(as_user)
    at.selectbox(key="log_status").set_value("failed").run()
    assert list(at.dataframe[0].value["Status"]) == ["failed"]
    assert metrics(at)["Total"] == "1"


def test_retry_failed_reopens_the_row(as_user, seeded):
    """Sky from support picks the failed delivery and presses Retry failed: the page says it is being retried
    and the row is pending again, waiting for QStash to fire."""
    failed_id, _ = seed_occurrence(seeded)
    at = open_log(as_user, "support@example.com")
    at.multiselect(key="log_retry_ids").set_value([failed_id]).run()
    at.button(key="log_retry").click().run()
    assert not at.error, [e.value for e in at.error]
    assert at.success[0].value.startswith("Retrying 1 failed delivery")
    rows, _ = seeded.store.log.page(account(seeded, "support@example.com").as_actor(), status="pending")
    assert [r["id"] for r in rows] == [failed_id]


def test_other_coach_sees_none_of_it(as_user, seeded):
    """Morgan opens her Delivery Log: Casey's deliveries and runs are not there."""
    seed_occurrence(seeded)
    at = open_log(as_user, "morgan@example.com")
    assert metrics(at)["Total"] == "0"
    assert at.dataframe[0].value.empty
    assert at.dataframe[1].value.empty
    assert not at.get("multiselect")
