"""Delivery loop: fire schedules, claim due messages in batches, hand them to a worker pool."""

import json
import logging
import sqlite3
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from local_qstash import flow_keys, messages, outcomes, schedules
from local_qstash.config import Config
from local_qstash.db import Database
from local_qstash.flow_gate import FlowGate
from local_qstash.metrics import ServerMetrics
from local_qstash.outcomes import Result
from local_qstash.sender import Outcome, Sender
from local_qstash.signing import sign
from local_qstash.timeutil import Clock, now_ms, to_epoch

log = logging.getLogger(__name__)
MAX_IDLE_S = 0.5  # re-check even without a wake-up: covers injected clocks that jump
RESULT_BATCH_S = 0.02  # how often finished attempts are recorded while deliveries run


class Dispatcher:
    """Owns the scheduler thread and the delivery workers."""

    def __init__(
        self,
        db: Database,
        config: Config,
        clock: Clock,
        metrics: ServerMetrics | None = None,
        gate: FlowGate | None = None,
    ) -> None:
        self._db, self._config, self._clock = db, config, clock
        self._metrics = metrics or ServerMetrics(db)
        self.gate = gate or FlowGate()
        self._active = 0  # attempts being sent right now (global parallelism)
        self._sender: Sender | None = None
        self._cond = threading.Condition()
        self._results: deque = deque()
        # Finished attempts the store refused to record (locked, disk full): kept and retried, since
        # dropping them would leave their messages ACTIVE and send them again after a restart.
        self._unrecorded: list = []
        self._dirty = False
        self._stopping = False
        self._inflight = 0
        # Claimed rows wait in the pool's queue; claiming ahead keeps workers busy between
        # dispatcher rounds. Claimed-but-unsent rows are requeued after a crash.
        self._max_inflight = max(config.batch_size * 5, config.workers * 4)
        self._pool: ThreadPoolExecutor | None = None
        self._thread: threading.Thread | None = None
        self._last_now: int | None = None  # the clock at the previous round, to notice it going back

    def start(self, sender: Sender) -> None:
        """Requeue deliveries cut short by a crash, then start the loop sending through `sender`."""
        self._sender = sender
        now = now_ms(self._clock)
        messages.requeue_inflight(self._db, now)
        # The clock may have been set back while the server was down.
        schedules.realign(self._db, now)
        self._pool = ThreadPoolExecutor(self._config.workers, thread_name_prefix="lq-deliver")
        self._thread = threading.Thread(target=self._run, name="lq-dispatcher", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Tell the loop that new work may be due (called after publish / schedule change)."""
        with self._cond:
            self._dirty = True
            self._cond.notify()

    def stop(self) -> None:
        """Stop claiming, let running attempts finish, and record their results."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join()
        if self._pool is not None:
            # Queued attempts are dropped here; their rows stay ACTIVE and are requeued on start.
            self._pool.shutdown(wait=True, cancel_futures=True)
        self._record()
        if self._unrecorded:
            log.error(
                "%d delivery results could not be recorded; those messages will be sent again after restart",
                len(self._unrecorded),
            )

    def _run(self) -> None:
        """Loop until stopped; errors are logged and the loop goes on (never drop work)."""
        while True:
            with self._cond:
                if self._stopping:
                    return
                self._dirty = False
            try:
                timeout = self._tick()
            except sqlite3.Error as exc:
                log.warning("dispatcher round failed, store unavailable: %s", exc)
                timeout = MAX_IDLE_S
            except Exception:
                log.exception("dispatcher tick failed")
                timeout = MAX_IDLE_S
            with self._cond:
                if not (self._dirty or self._stopping) and timeout > 0:
                    self._cond.wait(timeout)

    def _tick(self) -> float:
        """Do one round of work; return how long the loop may sleep."""
        self._record()
        now = now_ms(self._clock)
        if self._last_now is not None and now < self._last_now:
            moved = schedules.realign(self._db, now)
            log.warning(
                "clock moved back %.3f s; %d schedule fire times recomputed", (self._last_now - now) / 1000, moved
            )
        self._last_now = now
        next_fire = schedules.next_fire_ms(self._db)
        if next_fire is not None and next_fire <= now:
            schedules.fire_due(self._db, now)
            next_fire = schedules.next_fire_ms(self._db)
        next_due = messages.next_due_ms(self._db)
        limit = min(self._config.batch_size, self._max_inflight - self._inflight)
        claimed = []
        if next_due is not None and next_due <= now and limit > 0:
            claimed = messages.claim_due(self._db, now, limit)
        flow_claimed, flow_next, more = self._claim_flow(now, limit - len(claimed))
        for row in claimed + flow_claimed:
            self._inflight += 1
            self._pool.submit(self._deliver, row)
        if (claimed and len(claimed) == limit) or more:
            return 0.0  # a full batch: there may be more due right now
        if claimed:
            next_due = messages.next_due_ms(self._db)
        # While attempts run, come back soon to record results in batches (one transaction
        # per round instead of one per attempt) and to refill the pool.
        sleep = RESULT_BATCH_S if self._inflight else MAX_IDLE_S
        upcoming = [t for t in (next_due, next_fire, flow_next) if t is not None]
        if upcoming:
            sleep = min(sleep, max(0.0, (min(upcoming) - now_ms(self._clock) + 1) / 1000))
        return sleep

    def _claim_flow(self, now: int, room: int) -> tuple[list, int | None, bool]:
        """Claim what each flow-control key may start now; also when to look again, and whether room ran out."""
        claimed: list = []
        wake = [flow_keys.next_due_ms(self._db, now)]
        more = False
        for key_row in flow_keys.waiting(self._db, now):
            key, limits, waiting = key_row["key"], flow_keys.limits_of(key_row), key_row["waiting"]
            allowed = self.gate.allowance(key, limits, now)
            take = min(waiting if allowed is None else allowed, room - len(claimed))
            if take > 0:
                rows = messages.claim_due(self._db, now, take, flow_key=key)
                self.gate.started(key, len(rows), limits, now)
                claimed += rows
            # Still waiting: a rate-blocked key reopens at its period's end; a parallelism-blocked one when a
            # delivery finishes (the loop polls while anything is in flight); a paused one on resume (wake()).
            if waiting > take:
                more |= room > 0 and (allowed is None or allowed > take)  # only the batch's room stopped it
                wake.append(self.gate.reopens_at(key, limits))
        return claimed, min((t for t in wake if t is not None), default=None), more

    def active(self) -> int:
        """Deliveries being sent right now, under any key or none."""
        with self._cond:
            return self._active

    def _drain(self) -> list:
        """Take all finished attempts."""
        with self._cond:
            results = list(self._results)
            self._results.clear()
        return results

    def _record(self) -> None:
        """Store finished attempts in one transaction; if the store refuses, keep them for next round."""
        results = self._unrecorded + self._drain()
        if not results:
            return
        try:
            moved = outcomes.apply(self._db, results, now_ms(self._clock), self._config.backoff_scale)
        except sqlite3.Error as exc:
            if not self._unrecorded:
                log.warning("cannot record %d delivery results yet (%s); keeping them to retry", len(results), exc)
            self._unrecorded = results
            return
        if self._unrecorded:
            log.warning("recorded %d delivery results kept while the store was unavailable", len(results))
        self._unrecorded = []
        self._inflight -= len(results)
        for result, state in moved:
            self._observe(result, state)

    def _observe(self, result: Result, state: str) -> None:
        """Count and log one recorded attempt, with the ids that tie it to the webhook's lines."""
        self._metrics.attempt(state)
        # A delivered attempt is the normal case: DEBUG, so a burst of 1,000 costs no log formatting at INFO; a
        # retry is worth INFO and a dead letter a WARNING.
        level = {"FAILED": logging.WARNING, "DELIVERED": logging.DEBUG}.get(state, logging.INFO)
        if not log.isEnabledFor(level):
            return
        row, outcome = result.row, result.outcome
        fields = {
            "qstash_message_id": row["id"],
            "schedule_id": row["schedule_id"],
            "retried": row["retried"],
            "status": outcome.status,
            "result": state.lower(),
        }
        why = f": {outcome.error or f'answered {outcome.status}'}" if state != "DELIVERED" else ""
        log.log(level, "delivery %s%s", {"FAILED": "dead-lettered"}.get(state, state.lower()), why, extra=fields)

    def _deliver(self, row) -> None:
        """Worker: one signed attempt; the outcome goes back to the loop."""
        with self._cond:
            self._active += 1
        try:
            outcome = self._attempt(row)
        except Exception as exc:
            log.exception("delivery attempt crashed")
            outcome = Outcome(error=f"internal error: {exc!r}")
        if row["flow_key"]:
            self.gate.finished(row["flow_key"])  # the slot frees when the answer is in, before it is recorded
        with self._cond:
            self._active -= 1
            # No notify: the loop polls results every RESULT_BATCH_S so they batch up.
            self._results.append(Result(row, outcome))

    def _attempt(self, row) -> Outcome:
        """Sign and send one message."""
        body = bytes(row["body"])
        headers = {k: ", ".join(v) for k, v in json.loads(row["header"]).items()}
        headers.update(
            {
                "Upstash-Signature": sign(self._config.current_signing_key, row["url"], body, to_epoch(self._clock())),
                "Upstash-Message-Id": row["id"],
                "Upstash-Retried": str(row["retried"]),
                "User-Agent": "Upstash-QStash",
            }
        )
        if row["schedule_id"]:
            headers["Upstash-Schedule-Id"] = row["schedule_id"]
        timeout = row["timeout_s"] or self._config.timeout
        return self._sender.send(row["url"], row["method"], headers, body, timeout)
