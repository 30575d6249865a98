"""Stories about the Inbox page (embedded chat) and the QStash health page (support)."""

from services.qstash.port import Firing
from tests.harness import wait_until
from tests.ui.conftest import account


def fire_welcome(services, email="coach@example.com"):
    """QStash fires the demo 'Welcome' message: the webhook's delivery service sends it to every active client."""
    coach = account(services, email)
    rows, _ = services.store.messages.list(coach.as_actor(), search="Welcome")
    answer = services.delivery.fire(
        {"messageId": rows[0]["id"], "coachId": coach.id, "zone": coach.timezone}, "qm-welcome", 0
    )
    assert answer.status == 200, answer.body


def test_inbox_lists_delivered_messages(as_user, seeded):
    """After the welcome message is delivered, Casey's Inbox shows it, personalised, in each client's thread."""
    fire_welcome(seeded)
    at = as_user().switch_page("pages/inbox.py").run()
    texts = [t.value for t in at.text]
    assert "Welcome aboard, Alex! — Casey Coach" in texts
    assert len(texts) == 12  # 13 clients, one inactive
    at.selectbox(key="inbox_client").set_value(
        next(
            c.id
            for c in seeded.store.clients.list(account(seeded, "coach@example.com").as_actor())
            if c.name == "Blair Chen"
        )
    ).run()
    assert [t.value for t in at.text] == ["Welcome aboard, Blair! — Casey Coach"]


def test_inbox_of_another_coach_stays_empty(as_user, seeded):
    """Morgan's Inbox does not show what Casey's clients received."""
    fire_welcome(seeded)
    at = as_user("morgan@example.com").switch_page("pages/inbox.py").run()
    assert not at.text
    assert at.info[0].value.startswith("No messages yet.")


def test_support_sees_schedules_and_deals_with_a_dead_letter(as_user, seeded):
    """A firing that the webhook never answered ends in QStash's dead-letter queue; Sky sees the schedules, the
    events and the dead letter, and deletes it."""
    coach = account(seeded, "coach@example.com")
    seeded.scheduler.publish(Firing("no-such-message", coach.id, coach.timezone), None, "dead-letter-story")
    # Nothing listens: the firing is dead-lettered, and so is its failure callback to the same host.
    wait_until(lambda: len(seeded.scheduler.dead_letters().messages) == 2, timeout=30)
    at = as_user("support@example.com").switch_page("pages/qstash.py").run()
    schedules = at.dataframe[0].value
    assert len(schedules) == 4  # daily + weekly for each demo coach
    assert all(schedules["Message id"])
    assert len(at.dataframe[1].value) > 0
    first = seeded.scheduler.dead_letters().messages[0].dlq_id  # the page lists them in QStash's order
    at.button(key="qs_delete_0").click().run()
    assert at.success[0].value.startswith("Deleted: dead letter")
    # On a slow machine the demo's welcome firing (due 10 s after seeding, no webhook running) may have
    # joined the queue meanwhile: only the deleted letter must be gone.
    left = [letter.dlq_id for letter in seeded.scheduler.dead_letters().messages]
    assert first not in left
    assert any(c.value == "The dead-letter queue is empty." for c in at.caption) == (not left)


def test_qstash_unreachable_is_a_warning_without_secrets(as_user, seeded, qstash_server):
    """QStash is down: the health page warns on each section and shows no token."""
    qstash_server.stop()
    at = as_user("support@example.com").switch_page("pages/qstash.py").run(timeout=60)
    assert len(at.warning) == 4  # schedules, events, flow control, dead letters
    assert all("QStash could not be reached" in w.value for w in at.warning)
    from services.bootstrap import resolved_secrets

    page = " ".join(w.value for w in at.warning)
    assert all(secret not in page for secret in resolved_secrets(seeded.settings).values())


def test_inbox_updates_by_itself_pages_and_filters(as_user, seeded):
    """Casey keeps the Inbox open: its list is a fragment that reruns every few seconds, so new messages appear
    without a click; 12 welcome messages page at 10 a page; choosing Blair shows only Blair's conversation."""
    fire_welcome(seeded)
    at = as_user().switch_page("pages/inbox.py").run()
    assert any("Updates every 5 s." in c.value for c in at.caption)
    at.selectbox(key="inbox_page_size").set_value(10).run()
    assert len(at.text) == 10
    assert any("Showing 1–10 of 12" in c.value for c in at.caption)
    at.number_input(key="inbox_page").set_value(2).run()
    assert len(at.text) == 2
    casey = account(seeded, "coach@example.com").as_actor()
    blair = next(c.id for c in seeded.store.clients.list(casey) if c.name == "Blair Chen")
    at.selectbox(key="inbox_client").set_value(blair).run()
    assert [t.value for t in at.text] == ["Welcome aboard, Blair! — Casey Coach"]
    assert any("Showing 1–1 of 1" in c.value for c in at.caption)
