"""Stories about flow control on the QStash health page: support sees each key's waitlist, rate and parallelism,
and pauses or resumes a key (audited, with clear errors)."""

import pytest
from qstash.message import FlowControl

from services.errors import Forbidden, UserError
from tests.harness import wait_until
from tests.receivers import RecordingReceiver
from tests.ui.conftest import account

KEY = "chat-sends-demo"


@pytest.fixture
def waiting(seeded):
    """Three chunk-like messages under one key at one per hour: one delivered, two in the waitlist."""
    receiver = RecordingReceiver().start()
    client = seeded.scheduler.client
    for _ in range(3):
        control = FlowControl(key=KEY, rate=1, period=3600, parallelism=2)
        client.message.publish_json(url=receiver.url("/chunk"), body={}, flow_control=control)
    wait_until(lambda: client.flow_control.get(KEY).wait_list_size == 2)
    yield client
    receiver.stop()


def _flows(at):
    """The flow-control table (the one with a Key column)."""
    return next(df.value for df in at.dataframe if "Key" in df.value.columns)


def _events(seeded, action):
    """Audit events of one action, as support reads them."""
    support = account(seeded, "support@example.com").as_actor()
    return [e for e in seeded.store.audit.list(support) if e["action"] == action]


def test_support_sees_the_waitlist_and_pauses_then_resumes_the_key(as_user, seeded, waiting):
    """Sky sees the key with 2 waiting at 1 per hour and parallelism 2, pauses it (QStash holds it, the audit
    trail names Sky and the key), then resumes it."""
    at = as_user("support@example.com").switch_page("pages/qstash.py").run()
    row = _flows(at).iloc[0].to_dict()
    assert row == {"Key": KEY, "Waiting": 2, "Rate": "1 per 3600 s", "Parallelism": "0 of 2", "Paused": False}
    at.button(key="qs_flow_pause_0").click().run()
    assert at.success[0].value.startswith("Paused flow control key chat")
    assert waiting.flow_control.get(KEY).is_paused
    assert bool(_flows(at).iloc[0]["Paused"]) is True
    (paused,) = _events(seeded, "flow_pause")
    assert paused["new_values"] == {"key": KEY}
    assert paused["actor_id"] == account(seeded, "support@example.com").id
    at.button(key="qs_flow_resume_0").click().run()
    assert at.success[0].value.startswith("Resumed flow control key chat")
    assert not waiting.flow_control.get(KEY).is_paused
    assert len(_events(seeded, "flow_resume")) == 1


def test_no_keys_yet_is_said_plainly(as_user, seeded):
    """Before any chunked fan-out there is no key: the page says so instead of showing an empty table."""
    at = as_user("support@example.com").switch_page("pages/qstash.py").run()
    assert any(c.value.startswith("No flow-control keys yet") for c in at.caption)


def test_a_key_qstash_does_not_know_is_a_clear_error_and_not_audited(seeded):
    """Pausing a key QStash no longer holds says so; nothing is written to the audit trail."""
    support = account(seeded, "support@example.com").as_actor()
    with pytest.raises(UserError, match="does not know it"):
        seeded.support.pause_flow(support, "chat-sends-gone")
    with pytest.raises(UserError, match="not a flow-control key"):
        seeded.support.pause_flow(support, "../keys")
    assert not _events(seeded, "flow_pause")


def test_coaches_cannot_read_or_pause_flow_control(seeded):
    """Flow control spans every coach's sends: support staff only."""
    coach = account(seeded, "coach@example.com").as_actor()
    with pytest.raises(Forbidden):
        seeded.support.flow_keys(coach)
    with pytest.raises(Forbidden):
        seeded.support.pause_flow(coach, KEY)
