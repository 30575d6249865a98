"""The scheduler adapter: the port over the official `qstash` SDK, with errors a coach can act on."""

from __future__ import annotations

import contextlib
import io
import logging

import httpx
from qstash import QStash
from qstash.errors import DailyMessageLimitExceededError, QStashError, RateLimitExceededError
from qstash.message import FlowControl

from services.errors import SchedulerUnavailable
from services.fanout_chunks import CHUNK_SUFFIX
from services.qstash.port import NUDGE_SUFFIX, Firing, schedule_id_for
from services.send_flow import SendFlow

log = logging.getLogger(__name__)


@contextlib.contextmanager
def _translated_errors(action: str):
    """Turn SDK and network errors into messages a coach can act on (never echoing tokens)."""
    try:
        yield
    except DailyMessageLimitExceededError:
        raise SchedulerUnavailable(
            f"Could not {action}: QStash's daily message limit is reached. "
            "It resets at midnight UTC, or upgrade the QStash plan."
        ) from None
    except RateLimitExceededError:
        raise SchedulerUnavailable(f"Could not {action}: QStash is rate limiting us. Try again in a minute.") from None
    except httpx.HTTPError:
        raise SchedulerUnavailable(
            f"Could not {action}: QStash could not be reached. Check QSTASH_URL and that the scheduler is running."
        ) from None
    except QStashError as exc:
        raise SchedulerUnavailable(f"Could not {action}: {_explain(str(exc))}") from None


@contextlib.contextmanager
def _unreadable_answer(action: str):
    """Turn the SDK's failure to parse an answer (a state or field it does not know) into a message."""
    try:
        yield
    except (ValueError, KeyError, TypeError) as exc:
        # The SDK builds enums and dataclasses straight from the JSON: anything unexpected (a newer
        # QStash, a stand-in's mistake) surfaces as one of these while parsing.
        raise SchedulerUnavailable(
            f"Could not {action}: QStash answered with data this app could not understand "
            f"({type(exc).__name__}: {str(exc)[:120]})."
        ) from None


@contextlib.contextmanager
def _gone_is_fine():
    """Swallow QStash's 404: removing something already removed has the wanted outcome."""
    try:
        yield
    except QStashError as exc:
        if "status: 404" not in str(exc):
            raise


def _explain(error: str) -> str:
    """A short human reason for a QStash error answer."""
    if "status: 412" in error:
        return "the QStash plan's schedule limit is reached. Delete unused schedules or upgrade."
    if "status: 401" in error or "status: 403" in error:
        return "QStash refused our token. Check QSTASH_TOKEN."
    if "status: 404" in error:
        return "QStash does not know it (any more). Refresh the page to see what it holds now."
    if "status: 400" in error:
        return "QStash refused the request: " + error.split("body:", 1)[-1].strip()[:200]
    return "QStash answered with an error (" + error.split(",", 1)[0].replace("Request failed with ", "") + ")."


class QStashScheduler:
    """Publishes one-time firings and keeps recurring schedules, pointed at our webhook."""

    def __init__(
        self, client: QStash, webhook_url: str, scheduler_api_key: str, retries: int = 3, failure_url: str | None = None
    ):
        self.client = client
        self.webhook_url = webhook_url
        self._forward = {"Authorization": f"Bearer {scheduler_api_key}"}
        self.retries = retries
        # Every firing and chunk names our failure-callback route: QStash calls it (signed) once it gives up.
        # "Forward-" makes QStash pass the bearer key on to the callback, as it does to the destination.
        self._on_failure = (
            {
                "failure_callback": failure_url,
                "failure_callback_headers": {"Forward-" + k: v for k, v in self._forward.items()},
            }
            if failure_url
            else {}
        )

    def publish(self, firing: Firing, not_before: int | None, deduplication_id: str) -> str:
        """Publish one firing (optionally not before a unix time); returns the QStash message id."""
        with _translated_errors("schedule the message"):
            result = self.client.message.publish_json(
                url=self.webhook_url,
                body=firing.body(),
                headers=self._forward,
                retries=self.retries,
                not_before=not_before,
                deduplication_id=deduplication_id,
                **self._on_failure,
            )
        log.info("QStash: firing published", extra={"qstash_message_id": result.message_id, "not_before": not_before})
        return result.message_id

    def publish_chunks(self, chunks: list[tuple[dict, str]], flow: SendFlow | None = None) -> list[str]:
        """Publish fan-out chunks to the chunk endpoint with QStash's batch API (one request for all of them)."""
        url = self.webhook_url + CHUNK_SUFFIX
        control = {} if flow is None else {"flow_control": _flow_control(flow)}
        requests = [
            {"url": url, "body": body, "headers": self._forward, "retries": self.retries, "deduplication_id": dedup}
            | control
            | self._on_failure
            for body, dedup in chunks
        ]
        with _translated_errors("hand the fan-out's chunks to QStash"):
            ids = [result.message_id for result in self.client.message.batch_json(requests)]
        log.info("QStash: %d chunks published", len(ids), extra={"qstash_message_ids": ids})
        return ids

    def publish_held(self, body: dict, not_before: int, deduplication_id: str, flow: SendFlow | None = None) -> str:
        """Publish sends held for quiet hours as one chunk delivery (ids only), held by QStash until `not_before`."""
        control = {} if flow is None else {"flow_control": _flow_control(flow)}
        when = (not_before, deduplication_id)
        return self._publish_later(
            CHUNK_SUFFIX, body, when, "hold the sends for quiet hours", **control, **self._on_failure
        )

    def publish_nudge(self, body: dict, not_before: int, deduplication_id: str) -> str:
        """Publish one occurrence's nudge (ids only) to the nudge route, held by QStash until `not_before`."""
        return self._publish_later(NUDGE_SUFFIX, body, (not_before, deduplication_id), "schedule the nudge")

    def _publish_later(self, suffix: str, body: dict, when: tuple[int, str], action: str, **extra) -> str:
        """Publish to a route of the webhook; when = (not_before, deduplication id); the QStash message id."""
        not_before, deduplication_id = when
        with _translated_errors(action):
            result = self.client.message.publish_json(
                url=self.webhook_url + suffix,
                body=body,
                headers=self._forward,
                retries=self.retries,
                not_before=not_before,
                deduplication_id=deduplication_id,
                **extra,
            )
        return result.message_id

    def upsert_schedule(self, firing: Firing, cron: str) -> str:
        """Create or replace the recurring schedule for a (message, zone) pair; returns its id."""
        with _translated_errors("schedule the recurring message"):
            schedule_id = self.client.schedule.create_json(
                destination=self.webhook_url,
                cron=f"CRON_TZ={firing.zone} {cron}",
                body=firing.body(),
                headers=self._forward,
                retries=self.retries,
                schedule_id=schedule_id_for(firing.message_id, firing.zone),
                **self._on_failure,
            )
        log.info("QStash: schedule saved", extra={"schedule_id": schedule_id, "cron": cron})
        return schedule_id

    def upsert_check(self, schedule_id: str, url: str, cron: str) -> str:
        """Create or replace an operations schedule (the alert check) that QStash fires at one of our routes."""
        with _translated_errors("schedule the alert check"):
            saved = self.client.schedule.create_json(
                destination=url, cron=cron, body={}, headers=self._forward, retries=0, schedule_id=schedule_id
            )
        log.info("QStash: schedule saved", extra={"schedule_id": saved, "cron": cron})
        return saved

    def cancel_message(self, qstash_message_id: str) -> None:
        """Cancel a pending one-time firing; an already delivered or unknown one is fine."""
        with _translated_errors("cancel the scheduled send"), _gone_is_fine():
            self.client.message.cancel(qstash_message_id)
        log.info("QStash: firing cancelled", extra={"qstash_message_id": qstash_message_id})

    def message_pending(self, qstash_message_id: str) -> bool:
        """True while QStash still holds a published message (False once it is gone or delivered)."""
        with _translated_errors("read the scheduled send"):
            try:
                self.client.message.get(qstash_message_id)
            except QStashError as exc:
                if "status: 404" not in str(exc):
                    raise
                return False
        return True

    def delete_schedule(self, schedule_id: str) -> None:
        """Delete a schedule; one already gone is fine."""
        with _translated_errors("delete the QStash schedule"), _gone_is_fine():
            self.client.schedule.delete(schedule_id)
        log.info("QStash: schedule deleted", extra={"schedule_id": schedule_id})

    def pause_schedule(self, schedule_id: str) -> None:
        """Pause a schedule."""
        with _translated_errors("pause the schedule"):
            self.client.schedule.pause(schedule_id)
        log.info("QStash: schedule paused", extra={"schedule_id": schedule_id})

    def resume_schedule(self, schedule_id: str) -> None:
        """Resume a schedule."""
        with _translated_errors("resume the schedule"):
            self.client.schedule.resume(schedule_id)
        log.info("QStash: schedule resumed", extra={"schedule_id": schedule_id})

    def schedules(self) -> list:
        """Every QStash schedule (for drift checks and the Schedules page)."""
        with _translated_errors("list QStash schedules"), _unreadable_answer("list QStash schedules"):
            return self.client.schedule.list()

    def logs(self, count: int = 100, cursor: str | None = None, message_id: str | None = None, url: str | None = None):
        """Recent QStash events; the SDK prints responses, which we keep out of our logs."""
        with (
            _translated_errors("read QStash logs"),
            _unreadable_answer("read QStash logs"),
            contextlib.redirect_stdout(io.StringIO()),
        ):
            wanted = {"message_id": message_id, "url": url}
            log_filter = {k: v for k, v in wanted.items() if v} or None
            return self.client.log.list(count=count, cursor=cursor, filter=log_filter)

    def dead_letters(self, count: int = 100, cursor: str | None = None):
        """Messages QStash gave up on."""
        with _translated_errors("read the dead-letter queue"), _unreadable_answer("read the dead-letter queue"):
            return self.client.dlq.list(count=count, cursor=cursor)

    def retry_dead_letter(self, dlq_id: str) -> str:
        """Send a dead letter again; SDK 3.4.0 has no helper, so its own HTTP client makes the call."""
        with _translated_errors("retry the dead letter"):
            answer = self.client.http.request(path=f"/v2/dlq/retry/{dlq_id}", method="POST")
        log.info("QStash: dead letter retried", extra={"dlq_id": dlq_id})
        return answer.get("messageId", "") if isinstance(answer, dict) else ""

    def delete_dead_letter(self, dlq_id: str) -> None:
        """Remove a dead letter once it is dealt with."""
        with _translated_errors("delete the dead letter"):
            self.client.dlq.delete(dlq_id)
        log.info("QStash: dead letter deleted", extra={"dlq_id": dlq_id})

    def flow_controls(self) -> list:
        """Every flow-control key with its details (SDK 3.4.0 lists none, so its HTTP client asks; then get each)."""
        with _translated_errors("read QStash flow control"), _unreadable_answer("read QStash flow control"):
            keys = _listed_keys(self.client.http.request(path="/v2/flowControl", method="GET"))
            return [self.client.flow_control.get(key) for key in keys]

    def pause_flow(self, key: str) -> None:
        """Hold a key's messages in its waitlist."""
        with _translated_errors(f"pause flow control key {key}"):
            self.client.flow_control.pause(key)

    def resume_flow(self, key: str) -> None:
        """Release a paused key."""
        with _translated_errors(f"resume flow control key {key}"):
            self.client.flow_control.resume(key)


def _listed_keys(answer) -> list[str]:
    """Key names from GET /v2/flowControl: a JSON list (QStash's API reference) or {"flowControls": [...]}."""
    items = answer.get("flowControls", []) if isinstance(answer, dict) else answer or []
    return [item["flowControlKey"] for item in items if isinstance(item, dict) and item.get("flowControlKey")]


def _flow_control(flow: SendFlow) -> FlowControl:
    """The SDK's FlowControl for our send flow."""
    return FlowControl(key=flow.key, rate=flow.rate, period=flow.period, parallelism=flow.parallelism)


def make_qstash_client(token: str, base_url: str | None) -> QStash:
    """The SDK client with short retries, so an unreachable QStash is reported in seconds."""
    return QStash(token, base_url=base_url, retry={"retries": 1, "backoff": lambda attempt: 300})
