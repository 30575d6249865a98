"""Alerts against a local alert receiver: each condition opens one alert, says nothing more while it holds
(no storm), and sends one "resolved" once it clears; two checkers at once still send one alert."""

import json
import threading

import requests

from services.alerts import register_check
from services.domain import Actor
from services.drift import find_drift
from services.qstash.port import ALERT_CHECK_PATH, WEBHOOK_PATH
from services.qstash.registrar import Registrar
from tests import factories
from tests.harness import sign
from tests.ops import history
from tests.ops.conftest import ALERTS
from tests.receivers import Answer

SUPPORT = Actor("support-test", "support")


def _texts(receiver) -> list[str]:
    return [json.loads(r.body)["text"] for r in receiver.received(ALERTS)]


def _check(product) -> set[str]:
    """One run of the alert check; the conditions that hold."""
    return {r.condition for r in product.services.alerts.check() if r.holds}


def test_failure_rate_alerts_once_then_resolves_once(ops_product, alert_receiver, clock):
    """Too few outcomes or a low rate say nothing; above the threshold one alert, however often checked; once the
    failures leave the window, one "resolved"."""
    coach = factories.coach(ops_product.store)
    history.deliveries(ops_product.store, coach, sent=0, failed=3)  # 3 of 3 failed, but under 10 outcomes
    assert "failure_rate" not in _check(ops_product)
    history.deliveries(ops_product.store, coach, sent=12, failed=0)  # 3 of 15 = 20 %: not above 20 %
    assert "failure_rate" not in _check(ops_product)
    assert _texts(alert_receiver) == []

    history.deliveries(ops_product.store, coach, sent=0, failed=2)  # 5 of 17 = 29 %
    for _ in range(3):
        assert "failure_rate" in _check(ops_product)
    texts = _texts(alert_receiver)
    assert len(texts) == 1
    assert "Delivery failure rate" in texts[0]
    assert "5 of 17 deliveries failed" in texts[0]

    clock.advance(minutes=16)  # past the 15-minute window
    assert "failure_rate" not in _check(ops_product)
    _check(ops_product)
    texts = _texts(alert_receiver)
    assert len(texts) == 2
    assert texts[1].startswith(":white_check_mark: Resolved: Delivery failure rate")
    assert ops_product.store.alerts.open_alerts() == []


def test_lateness_p95_alerts_and_resolves(ops_product, alert_receiver, clock):
    """Sends 10 minutes after their scheduled time put p95 over 120 s; once they leave the window it resolves."""
    coach = factories.coach(ops_product.store)
    history.deliveries(ops_product.store, coach, sent=5, failed=0, due_minutes_ago=1)  # 60 s late: fine
    assert "lateness" not in _check(ops_product)
    history.deliveries(ops_product.store, coach, sent=5, failed=0, due_minutes_ago=10)
    assert "lateness" in _check(ops_product)
    assert "lateness" in _check(ops_product)
    texts = _texts(alert_receiver)
    assert len(texts) == 1
    assert "Deliveries running late" in texts[0]
    assert "is 600 s" in texts[0]
    clock.advance(minutes=16)
    assert "lateness" not in _check(ops_product)
    assert len(_texts(alert_receiver)) == 2
    assert "Resolved: Deliveries running late" in _texts(alert_receiver)[1]


def test_webhook_unreachable_when_a_firing_is_overdue_with_no_run(ops_product, alert_receiver, clock):
    """A one-time send due 7 minutes ago that never reached the webhook alerts (2 minutes late does not); once
    the webhook records a run, it resolves."""
    coach = factories.coach(ops_product.store)
    factories.clients(ops_product.store, coach, [("Ann Apple", "UTC", [])])
    values = factories.once_values(ops_product.store, coach, minutes=-2)
    recent = ops_product.store.messages.insert(coach.as_actor(), values)
    assert "webhook_unreachable" not in _check(ops_product)  # still inside the 5-minute grace
    clock.advance(minutes=5)
    assert "webhook_unreachable" in _check(ops_product)
    assert "webhook_unreachable" in _check(ops_product)
    texts = _texts(alert_receiver)
    assert len(texts) == 1
    assert "Webhook unreachable from QStash" in texts[0]
    assert ops_product.webhook_url in texts[0]

    body = json.dumps({"messageId": recent.id, "coachId": coach.id})
    key = ops_product.secrets["scheduler_api_key"]
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    assert requests.post(ops_product.webhook_url, data=body, headers=headers, timeout=10).status_code == 200
    holding = _check(ops_product)
    assert "webhook_unreachable" not in holding
    assert "lateness" in holding  # sent 7 minutes after its time: that is late, and says so on its own
    about = [t for t in _texts(alert_receiver) if "Webhook unreachable" in t]
    assert len(about) == 2
    assert about[1].startswith(":white_check_mark: Resolved: Webhook unreachable")


def test_dead_letters_in_qstash_alert_until_support_deals_with_them(ops_product, alert_receiver):
    """A firing QStash dead-letters (489: unknown message) alerts once; deleting it on the QStash page resolves."""
    client = ops_product.services.scheduler.client
    client.message.publish_json(url=ops_product.webhook_url, body={"messageId": "gone", "coachId": "x"}, retries=0)
    letters = _wait(lambda: ops_product.services.support.dead_letters(SUPPORT))
    assert "dead_letters" in _check(ops_product)
    assert "dead_letters" in _check(ops_product)
    texts = _texts(alert_receiver)
    assert len(texts) == 1
    assert "1 message(s) in QStash's dead-letter queue" in texts[0]
    ops_product.services.support.delete_dead_letter(SUPPORT, letters[0].dlq_id)
    assert "dead_letters" not in _check(ops_product)
    assert len(_texts(alert_receiver)) == 2
    assert "Resolved: Dead letters" in _texts(alert_receiver)[1]


def test_drift_between_store_and_qstash_alerts_until_repaired(ops_product, alert_receiver):
    """A recurring message whose QStash schedule vanished alerts once; registering it again resolves."""
    coach = factories.coach(ops_product.store)
    factories.clients(ops_product.store, coach, [("Ann Apple", "UTC", [])])
    values = factories.once_values(ops_product.store, coach, kind="daily", send_at=None, cron="0 9 * * *")
    message = ops_product.store.messages.insert(coach.as_actor(), values)
    registrar = Registrar(ops_product.store, ops_product.services.scheduler)
    (schedule_id,) = registrar.register(message).values()
    assert "drift" not in _check(ops_product)
    ops_product.services.scheduler.delete_schedule(schedule_id)
    assert "drift" in _check(ops_product)
    assert "drift" in _check(ops_product)
    texts = _texts(alert_receiver)
    assert len(texts) == 1
    assert f"{schedule_id}: missing in QStash" in texts[0]
    registrar.register(message)
    assert "drift" not in _check(ops_product)
    assert len(_texts(alert_receiver)) == 2
    assert "Resolved: Store and QStash disagree" in _texts(alert_receiver)[1]


def test_two_checkers_at_once_send_one_alert(ops_product, alert_receiver):
    """Checks racing (two webhook workers, QStash's retry) open the alert once and notify once."""
    coach = factories.coach(ops_product.store)
    history.deliveries(ops_product.store, coach, sent=0, failed=12)
    start = threading.Barrier(4)
    errors = []

    def checker():
        start.wait()
        try:
            ops_product.services.alerts.check()
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=checker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(_texts(alert_receiver)) == 1
    assert [a.condition for a in ops_product.store.alerts.open_alerts()] == ["failure_rate"]


def test_an_alert_the_receiver_refused_is_sent_at_the_next_check(ops_product, alert_receiver):
    """The receiver answers 500 once: the notice stays owed and goes out (once) with the next check."""
    alert_receiver.script(ALERTS, Answer(status=500))
    history.deliveries(ops_product.store, factories.coach(ops_product.store), sent=0, failed=12)
    _check(ops_product)
    assert len(alert_receiver.received(ALERTS)) == 1  # refused
    _check(ops_product)
    _check(ops_product)
    assert len(alert_receiver.received(ALERTS)) == 2  # delivered, and nothing after


def test_the_check_route_is_signed_for_its_own_url_and_runs_the_check(ops_product, alert_receiver):
    """QStash's schedule posts to /api/alerts/check: anything unsigned is refused; a signed call checks."""
    history.deliveries(ops_product.store, factories.coach(ops_product.store), sent=0, failed=12)
    url = ops_product.webhook_url.removesuffix(WEBHOOK_PATH) + ALERT_CHECK_PATH
    key = ops_product.secrets["qstash_current_signing_key"]
    assert requests.post(url, data=b"{}", timeout=10).status_code == 401
    wrong = {"Upstash-Signature": sign(b"{}", ops_product.webhook_url, key)}  # signed for another URL
    assert requests.post(url, data=b"{}", headers=wrong, timeout=10).status_code == 401
    assert alert_receiver.received(ALERTS) == []
    answer = requests.post(url, data=b"{}", headers={"Upstash-Signature": sign(b"{}", url, key)}, timeout=10)
    assert answer.status_code == 200
    assert "failure_rate" in answer.json()["holding"]
    assert len(alert_receiver.received(ALERTS)) == 1


def test_the_alert_check_is_one_qstash_schedule_that_drift_leaves_alone(ops_product):
    """Registering twice keeps one schedule, firing the check URL every minute; it is nobody's orphan."""
    scheduler = ops_product.services.scheduler
    assert register_check(scheduler, "* * * * *") == register_check(scheduler, "* * * * *")
    (schedule,) = scheduler.schedules()
    assert schedule.destination.endswith(ALERT_CHECK_PATH)
    assert schedule.cron == "* * * * *"
    registrar = Registrar(ops_product.store, scheduler)
    assert find_drift(ops_product.store, registrar, SUPPORT, ops_product.store.clock()) == []


def _wait(found):
    from tests.waits import wait_until

    return wait_until(found, timeout=20)
