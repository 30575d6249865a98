"""200 one-time messages × 25 clients due in the same second, end to end, beside QStash alone (same run).

Run: [DATABASE_URL=postgresql://…] python -m bench.bench_e2e_lateness [--messages 200] [--clients 25]
     [--databases sqlite,postgresql] [--lead 20]
The processes are the Procfile's: `python -m services local-qstash` and the webhook under gunicorn (workers =
cores), over an embedded SQLite file or a scratch PostgreSQL database, sending to the local inbox. Messages are
scheduled through the compose path (ScheduleService.create, which publishes to QStash); a recipient's lateness is
its inbox row's time minus the due second. Baseline: the same local QStash delivering the same number of messages,
due in one second, to a receiver that answers 200 at once.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func, select

from bench.bench_local_qstash import free_port, pct, publish_all
from bench.fast_receiver import FastReceiver
from bench.scratch_db import database_kinds, scratch_database
from services import local_secrets
from services.bootstrap import build_services
from services.compose import ScheduleRequest
from services.config import load_settings
from services.db.engine import migrate
from services.db.schema import delivery_runs, inbox_messages

ROOT = Path(__file__).resolve().parents[1]
GOAL_P99 = 2.0
WEBHOOK = [str(ROOT / ".venv/bin/gunicorn"), "--config", "services/webhook/gunicorn_conf.py"]
WEBHOOK += ["services.webhook.asgi:create_asgi_app()"]


def start(argv: list[str], env: dict, health: str) -> subprocess.Popen:
    """Start one of the Procfile's processes and wait until its health URL answers 200."""
    log = open(Path(env["DATA_DIR"]) / f"{Path(argv[-1]).name[:20]}.log", "wb")  # noqa: SIM115 - the process owns it
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(health, timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"{argv[-1]} exited with {proc.returncode}")
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"{argv[-1]} did not become healthy")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM this process (gunicorn stops its workers) and wait for it."""
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of a process and its live children (gunicorn's workers), from /proc."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1]: the parent's pid
            total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def schedule_all(services, coach, messages: int, lead: float) -> tuple[datetime, float]:
    """Create the one-time messages due at the first whole minute at least `lead` s ahead (the compose form sets
    minutes); (due, seconds the creating took)."""
    due = (datetime.now(UTC) + timedelta(seconds=lead + 59)).replace(second=0, microsecond=0)
    started = time.perf_counter()

    def create(n: int) -> None:
        services.schedules.create(
            coach,
            ScheduleRequest(body=f"Hi {{first_name}}, note {n}", title=f"Due together {n}", send_date=due.date(),
                            send_time=due.time(), timezone="UTC"),
        )  # fmt: skip

    with ThreadPoolExecutor(8) as pool:  # as several people saving at once
        list(pool.map(create, range(messages)))
    return due, time.perf_counter() - started


def inbox_lateness(services, due: datetime, expected: int, timeout: float) -> tuple[list[float], int]:
    """Wait until `expected` inbox rows exist (or timeout); (each row's seconds after due, distinct texts)."""
    engine = services.store.engine
    deadline = time.monotonic() + (due - datetime.now(UTC)).total_seconds() + timeout
    count = select(func.count()).select_from(inbox_messages)
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.scalar(count) >= expected:
                break
        time.sleep(0.2)
    time.sleep(1.0)  # a duplicate would arrive now
    with engine.connect() as conn:
        rows = conn.execute(select(inbox_messages.c.created_at, inbox_messages.c.client_chat_id, inbox_messages.c.text))
        rows = rows.all()
        runs = conn.execute(
            select(delivery_runs.c.started_at, delivery_runs.c.finished_at, delivery_runs.c.retried)
        ).all()
    distinct = len({(client, text) for _, client, text in rows})
    # Where the time goes: when each webhook run began after due, and how long it took.
    began = [(start - due).total_seconds() for start, _, _ in runs]
    took = [(end - start).total_seconds() for start, end, _ in runs if end]
    retried = sum(1 for *_, n in runs if n)
    print(
        f"  webhook runs: {len(runs)} ({retried} on a QStash retry); began after due {_figures(began)}; "
        f"took {_figures(took)} (p50/p95/p99/max)"
    )
    return [(at - due).total_seconds() for at, _, _ in rows], distinct


def qstash_alone(base_url: str, token: str, count: int, lead: float) -> list[float]:
    """Lateness of `count` messages due in one second through the same QStash, to a receiver that does nothing."""
    receiver = FastReceiver().start()
    try:
        due = int(time.time() + lead) + 1
        publish_all(base_url, token, receiver.url("/noop"), count, due)
        receiver.wait_for(count, "/noop", timeout=due - time.time() + 60)
        return [r.at - due for r in receiver.received("/noop")]
    finally:
        receiver.stop()


def bench(kind: str, args) -> bool:
    """One end-to-end run on one database kind, then its baseline; prints both; True when the goal is met."""
    with tempfile.TemporaryDirectory() as tmp, scratch_database(kind, Path(tmp)) as url:
        ports = {"LOCAL_QSTASH_PORT": str(free_port()), "WEBHOOK_PORT": str(free_port())}
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"} | ports | {"DATA_DIR": tmp}
        if kind == "postgresql":
            env["DATABASE_URL"] = url
            migrate(url)
        settings = load_settings(
            data_dir=Path(tmp), database_url=env.get("DATABASE_URL"), **{k.lower(): int(v) for k, v in ports.items()}
        )
        services = build_services(settings)  # migrates the embedded SQLite file before the webhook starts
        qstash_url = f"http://127.0.0.1:{ports['LOCAL_QSTASH_PORT']}"
        procs = [start([sys.executable, "-m", "services", "local-qstash"], env, qstash_url + "/healthz")]
        procs.append(start(WEBHOOK, env, f"http://127.0.0.1:{ports['WEBHOOK_PORT']}/healthz"))
        try:
            coach = services.store.accounts.insert(None, "bench@example.com", "Bench Coach", "UTC", "coach", None)
            for i in range(args.clients):
                services.store.clients.add(coach.as_actor(), f"Client {i:03d}", "UTC", [])
            created_at = datetime.now(UTC)
            due, creating = schedule_all(services, coach, args.messages, args.lead)
            expected = args.messages * args.clients
            cpu_before = [cpu_seconds(proc.pid) for proc in procs]
            late, distinct = inbox_lateness(services, due, expected, args.timeout)
            cpu = [cpu_seconds(proc.pid) - before for proc, before in zip(procs, cpu_before, strict=True)]
            print(f"  CPU while delivering: local QStash {cpu[0]:.1f} s, webhook (all workers) {cpu[1]:.1f} s")
            token = local_secrets.load_or_create(Path(tmp))["qstash_token"]
            alone = qstash_alone(qstash_url, token, args.messages, 5.0)
        finally:
            for proc in reversed(procs):
                stop(proc)
            services.store.engine.dispose()
            _show_problems(Path(tmp))
    ours, base = _figures(late), _figures(alone)
    print(
        f"[{kind}] {args.messages} messages x {args.clients} clients due at one second (created in {creating:.1f} s, "
        f"{(due - created_at).total_seconds():.0f} s ahead): {len(late):,} of {expected:,} in the inbox, "
        f"{distinct:,} distinct"
    )
    print(f"[{kind}]   end to end lateness p50 / p95 / p99 / max: {ours}")
    print(f"[{kind}]   baseline, QStash alone to a no-op receiver: {base}")
    p99, base_p99 = pct(late, 0.99) if late else float("inf"), pct(alone, 0.99)
    print(f"[{kind}]   ratio p99 / baseline p99: {p99 / base_p99:.1f}x (goal: p99 < {GOAL_P99} s)")
    return len(late) == distinct == expected and p99 < GOAL_P99


def _show_problems(data_dir: Path) -> None:
    """The processes' warnings and errors, counted, with the first few (a late run usually shows why here)."""
    for log in sorted(data_dir.glob("*.log")):
        lines = [line for line in log.read_text(errors="replace").splitlines() if "WARNING" in line or "ERROR" in line]
        if lines:
            print(f"  {log.name}: {len(lines)} warnings/errors, first: " + " | ".join(lines[:3]))


def _figures(lateness: list[float]) -> str:
    """p50 / p95 / p99 / max in seconds."""
    if not lateness:
        return "nothing arrived"
    return " / ".join(f"{pct(lateness, q):.2f}" for q in (0.5, 0.95, 0.99)) + f" / {max(lateness):.2f} s"


def main() -> int:
    """Run on each database kind."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--clients", type=int, default=25)
    parser.add_argument("--lead", type=float, default=30.0, help="at least this many seconds to the due minute")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds after due to wait for the inbox")
    parser.add_argument("--databases", default=None, help="comma-separated: sqlite,postgresql (default: available)")
    args = parser.parse_args()
    results = [bench(kind, args) for kind in database_kinds(args.databases)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
