"""JSON shapes of messages, schedules, log events and DLQ entries, as QStash returns them."""

import base64
import json

from local_qstash import redact


def _body_fields(body: bytes, text_key: str = "body", b64_key: str = "bodyBase64") -> dict:
    """UTF-8 bodies come back as text, anything else base64 encoded."""
    try:
        return {text_key: body.decode("utf-8")}
    except UnicodeDecodeError:
        return {b64_key: base64.b64encode(body).decode()}


def _clean(data: dict) -> dict:
    """Leave out absent optional fields, as QStash does."""
    return {k: v for k, v in data.items() if v is not None and v != {}}


def _timeout(seconds: float | None) -> int | None:
    """Timeouts are reported in whole seconds."""
    return None if seconds is None else int(seconds)


def _flow_fields(row) -> dict:
    """A message's or schedule's flow control, as the SDK's parse_flow_control reads it."""
    if not row["flow_key"]:
        return {}
    return {
        "flowControlKey": row["flow_key"],
        "rate": row["flow_rate"],
        "parallelism": row["flow_parallelism"],
        "period": row["flow_period_s"],
    }


def flow_json(row, waiting: int, state) -> dict:
    """A flow-control key as GET /v2/flowControl/{key} returns it (limits left out when not set)."""
    data = _clean(
        {
            "flowControlKey": row["key"],
            "waitListSize": waiting,
            "parallelismMax": row["parallelism"],
            "parallelismCount": state.inflight,
            "rateMax": row["rate"],
            "rateCount": state.period_count,
            "ratePeriod": row["period_s"],
            "ratePeriodStart": state.period_start_ms // 1000 if state.period_start_ms is not None else None,
        }
    )
    data.update(
        isPaused=bool(row["paused"]),
        isPinnedParallelism=bool(row["pinned_parallelism"]),
        isPinnedRate=bool(row["pinned_rate"]),
    )
    return data


def message_json(row) -> dict:
    """A message as GET /v2/messages/{id} returns it."""
    return _clean(
        {
            "messageId": row["id"],
            "url": row["url"],
            "method": row["method"],
            "header": json.loads(row["header"]) or None,
            "callbackHeader": json.loads(row["callback_header"] or "{}"),
            "failureCallbackHeader": json.loads(row["failure_callback_header"] or "{}"),
            "maxRetries": row["max_retries"],
            "retried": row["retried"],
            "notBefore": row["not_before_ms"],
            "createdAt": row["created_ms"],
            "callback": row["callback"],
            "failureCallback": row["failure_callback"],
            "scheduleId": row["schedule_id"],
            "callerIP": row["caller_ip"],
            "label": row["label"],
            "timeout": _timeout(row["timeout_s"]),
            **_flow_fields(row),
            **_body_fields(bytes(row["body"])),
        }
    )


def dlq_json(row) -> dict:
    """A DLQ entry: the message plus the last failed answer."""
    data = message_json(row)
    body = (row["response_body"] or "").encode()
    data.update(
        _clean(
            {
                "dlqId": row["dlq_id"],
                "responseStatus": row["response_status"],
                "responseHeader": json.loads(row["response_header"] or "{}"),
                "error": row["error"],
                **_body_fields(body, "responseBody", "responseBodyBase64"),
            }
        )
    )
    return data


def event_json(row) -> dict:
    """One log event; joined message columns may be NULL if the message is gone."""
    body = row["body"]
    return _clean(
        {
            "time": row["time_ms"],
            "messageId": row["message_id"],
            "state": row["state"],
            "url": row["url"],
            "scheduleId": row["schedule_id"],
            "label": row["label"],
            "error": row["error"],
            "nextDeliveryTime": row["next_delivery_ms"],
            "responseStatus": row["response_status"],
            "responseHeader": json.loads(row["response_header"]) if row["response_header"] else None,
            "responseBody": row["response_body"],
            # The message row keeps the real header for delivery; the log shows only a marker.
            "header": redact.headers(json.loads(row["header"])) if row["header"] else None,
            "body": base64.b64encode(bytes(body)).decode() if body is not None else None,
            "method": row["method"],
            "maxRetries": row["max_retries"],
            "callback": row["callback"],
            "failureCallback": row["failure_callback"],
            "timeout": _timeout(row["timeout_s"]),
        }
    )


def schedule_json(row) -> dict:
    """A schedule as GET /v2/schedules/{id} returns it."""
    data = {
        "scheduleId": row["id"],
        "cron": row["cron"],
        "createdAt": row["created_ms"],
        "destination": row["destination"],
        "method": row["method"],
        "header": json.loads(row["header"]),
        "callbackHeader": json.loads(row["callback_header"] or "{}"),
        "failureCallbackHeader": json.loads(row["failure_callback_header"] or "{}"),
        "retries": row["retries"],
        "delay": _timeout(row["delay_s"]),
        "timeout": _timeout(row["timeout_s"]),
        "callback": row["callback"],
        "failureCallback": row["failure_callback"],
        "callerIP": row["caller_ip"],
        "label": row["label"],
        "lastScheduleTime": row["last_fire_ms"],
        "nextScheduleTime": None if row["paused"] else row["next_fire_ms"],
        "lastScheduleStates": json.loads(row["last_states"] or "{}"),
        **_flow_fields(row),
        **_body_fields(bytes(row["body"])),
    }
    data = _clean(data)
    data["isPaused"] = bool(row["paused"])
    return data
