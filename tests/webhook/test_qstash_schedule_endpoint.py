"""The guide's POST /api/qstash-schedule registers a stored message with QStash (bearer-protected)."""

import json

from tests import factories


def _post(product, payload, key=None):
    key = key or product.secrets["scheduler_api_key"]
    return product.app.test_client().post(
        "/api/qstash-schedule", data=json.dumps(payload), headers={"Authorization": f"Bearer {key}"}
    )


def test_registers_a_stored_message(product, coach_with_clients):
    """A stored one-time message gets its QStash message id back."""
    coach, _ = coach_with_clients
    message = product.store.messages.insert(coach.as_actor(), factories.once_values(product.store, coach))
    answer = _post(
        product,
        {
            "messageId": message.id,
            "coachId": coach.id,
            "scheduleType": "once",
            "scheduledTime": message.send_at.isoformat(),
        },
    )
    assert answer.status_code == 200
    [qstash_id] = answer.get_json()["qstashIds"].values()
    assert product.services.scheduler.client.message.get(qstash_id).message_id == qstash_id


def test_refuses_mismatched_type_and_foreign_coach(product, coach_with_clients):
    """A scheduleType that contradicts the row, or another coach's id, is a clear 400."""
    coach, _ = coach_with_clients
    message = product.store.messages.insert(coach.as_actor(), factories.once_values(product.store, coach))
    answer = _post(product, {"messageId": message.id, "coachId": coach.id, "scheduleType": "daily"})
    assert answer.status_code == 400
    assert "does not match" in answer.get_json()["error"]
    answer = _post(product, {"messageId": message.id, "coachId": "someone-else"})
    assert answer.status_code == 400
    assert answer.get_json() == {"error": "No such message for this coach."}
    assert _post(product, {"messageId": message.id, "coachId": coach.id}, key="wrong").status_code == 401
