"""Fan-out of one message to N clients: (a) local inbox vs direct inserts, (b) Stream stand-in vs floor and loop.

Run: [DATABASE_URL=postgresql://…] python -m bench.bench_fanout [--clients 1000] [--latency 0.05]
     [--per-minute 1000,6000] [--databases sqlite,postgresql]
(a) runs on SQLite, and on PostgreSQL too when DATABASE_URL names one (a scratch database is created on that
server and dropped); (b) runs once per send limit (empty: skipped); 1,000 a minute is Stream's documented Send
Message limit per app.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert

from bench.scratch_db import database_kinds, scratch_database
from services.bootstrap import build_services
from services.chat.port import ChatUser, OutgoingMessage
from services.chat.stream_gateway import StreamChatGateway
from services.config import load_settings
from services.db.engine import make_engine, migrate
from services.db.schema import deliveries, inbox_messages
from services.store.base import new_id
from tests.stream_standin.standin import DEFAULT_KEY, DEFAULT_SECRET


def build(tmp: Path, n: int, chat=None, url: str | None = None, **settings):
    """Services over a fresh database (SQLite by default) with one coach, n clients and a one-time message to all."""
    url = url or f"sqlite:///{tmp / 'bench.sqlite3'}"
    migrate(url)
    # One uninterrupted fan-out: this measures pacing and per-recipient cost. In production the fan-out
    # deadline (FANOUT_DEADLINE_SECONDS) splits a long one into QStash retries a second apart.
    settings.setdefault("fanout_deadline_seconds", 3600)
    services = build_services(load_settings(data_dir=tmp, **settings), engine=make_engine(url), chat=chat)
    store = services.store
    coach = store.accounts.insert(None, "bench@example.com", "Bench Coach", "UTC", "coach", None)
    for i in range(n):
        store.clients.add(coach.as_actor(), f"Client {i:05d}", "UTC", [])
    return services, coach, new_message(store, coach)


def new_message(store, coach):
    """A one-time message from the coach to all their clients."""
    return store.messages.insert(
        coach.as_actor(),
        {
            "title": "Bench",
            "body": "Hi {first_name}",
            "target": "all",
            "target_tag": None,
            "kind": "once",
            "send_at": datetime.now(UTC) + timedelta(hours=1),
            "cron": None,
            "timezone": "UTC",
            "zone_mode": "coach",
            "end_at": None,
            "max_occurrences": None,
            "status": "scheduled",
        },
    )


def fire(services, message) -> tuple[float, dict]:
    """One firing through the delivery service; returns (seconds, answer body)."""
    started = time.perf_counter()
    answer = services.delivery.fire({"messageId": message.id, "coachId": message.coach_id}, "bench-msg", 0)
    return time.perf_counter() - started, answer.body


def bench_inbox(n: int, kind: str, rounds: int) -> None:
    """(a) the local inbox: recipients per second beside inserting the same rows directly, best of `rounds`.

    Each round fans out a new message and then bulk-inserts the same rows; the first round also pays for
    connecting and compiling statements, so it is printed apart.
    """
    ours, baseline = [], []
    with tempfile.TemporaryDirectory() as tmp, scratch_database(kind, Path(tmp)) as url:
        services, coach, message = build(Path(tmp), n, url=url)
        clients = []
        while len(clients) < n:
            clients += services.store.clients.list(coach.as_actor(), limit=500, offset=len(clients))
        for round_ in range(rounds):
            message = message if round_ == 0 else new_message(services.store, coach)
            seconds, body = fire(services, message)
            assert body["sent"] == n, body
            ours.append(seconds)
            baseline.append(bulk_insert(services.store.engine, message, coach, clients, f"baseline-{round_}"))
        services.store.engine.dispose()
    best, floor = min(ours[1:] or ours), min(baseline[1:] or baseline)
    print(
        f"(a) local inbox on {kind}, {n} clients, best of {len(ours) - 1 or 1} warm rounds: fan-out {best:.3f} s = "
        f"{n / best:,.0f} recipients/s; bulk INSERT of the same rows {floor:.3f} s = {n / floor:,.0f} rows/s; "
        f"ratio {best / floor:.1f}x (cold first round: {ours[0]:.3f} s vs {baseline[0]:.3f} s)"
    )


def bulk_insert(engine, message, coach, clients, slot: str) -> float:
    """Baseline: the fan-out's rows (a sent delivery and an inbox message per client), two bulk INSERTs, no claims."""
    now = datetime.now(UTC)
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(
            insert(deliveries),
            [
                {
                    "id": new_id(),
                    "message_id": message.id,
                    "coach_id": coach.id,
                    "slot": slot,
                    "client_id": c.id,
                    "status": "sent",
                    "attempts": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for c in clients
            ],
        )
        conn.execute(
            insert(inbox_messages),
            [
                {
                    "id": f"{slot}-{c.id}",
                    "channel_id": "x",
                    "coach_chat_id": coach.chat_user_id,
                    "client_chat_id": c.chat_user_id,
                    "text": "Hi",
                    "created_at": now,
                }
                for c in clients
            ],
        )
    return time.perf_counter() - started


def start_standin(latency: float, per_minute: int) -> tuple[subprocess.Popen, str]:
    """The Stream stand-in in its own process (so it does not share our interpreter lock).

    It enforces the limit in windows of about a second (e.g. 16 sends per 0.96 s = 1,000/min), stricter than
    Stream's minute window, so a burst cannot hide inside the window and pacing really is tested.
    """
    per_window = max(1, per_minute // 60)
    window = 60.0 * per_window / per_minute
    code = (
        "import sys,time; from tests.stream_standin.standin import StreamStandIn; "
        f"s=StreamStandIn(latency={latency}); s.rate_limit({per_window}, window={window}); "
        "print(s.start(), flush=True); time.sleep(3600)"
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()


def bench_stream(n: int, latency: float, per_minute: int, concurrency: int, loop_seconds: float | None) -> float:
    """(b) through Stream (limit enforced per minute by the stand-in): wall time beside the floor and a loop."""
    process, url = start_standin(latency, per_minute)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            gateway = StreamChatGateway(DEFAULT_KEY, DEFAULT_SECRET, base_url=url)
            # One process sending inline (FANOUT_INLINE_MAX=0), paced by its own limiter: no QStash here. Across
            # instances the limit is QStash flow control's (tests/webhook/test_send_rate_two_instances.py).
            services, _coach, message = build(
                Path(tmp),
                n,
                chat=gateway,
                chat_sends_per_minute=per_minute,
                fanout_concurrency=concurrency,
                fanout_inline_max=0,
            )
            seconds, body = fire(services, message)
            assert body["sent"] == n, body
            if loop_seconds is None:
                loop_gateway = StreamChatGateway(DEFAULT_KEY, DEFAULT_SECRET, base_url=url)
                sender = ChatUser("loop-coach", "Loop")
                started = time.perf_counter()
                for i in range(n):  # baseline: one send after another (slower than any limit here)
                    loop_gateway.send(OutgoingMessage(f"loop-{i}", sender, ChatUser(f"loop-{i}", "C"), "Hi"))
                loop_seconds = time.perf_counter() - started
    finally:
        process.terminate()
    floor = (n - 1) * 60 / per_minute
    print(
        f"(b) Stream stand-in, {n} clients, {latency * 1000:.0f} ms/call, limit {per_minute:,}/min, "
        f"{concurrency} workers: fan-out {seconds:.2f} s; floor {floor:.2f} s (ratio {seconds / floor:.3f}); "
        f"sequential loop {loop_seconds:.2f} s (fan-out is {loop_seconds / seconds:.1f}x faster)"
    )
    return loop_seconds


def main() -> None:
    """Run both parts."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--per-minute", default="1000,6000", help="comma-separated send limits")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=4, help="fan-outs per database (the first one is cold)")
    parser.add_argument("--databases", default=None, help="sqlite,postgresql (default: PostgreSQL if DATABASE_URL)")
    args = parser.parse_args()
    kinds = database_kinds(args.databases)
    for kind in kinds:
        bench_inbox(args.clients, kind, args.rounds)
    loop = None
    for per_minute in [int(v) for v in args.per_minute.split(",") if v.strip()]:
        loop = bench_stream(args.clients, args.latency, per_minute, args.concurrency, loop)


if __name__ == "__main__":
    main()
