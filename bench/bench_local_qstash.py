"""Bench: 1,000 messages due in the same second through local_qstash vs a plain posting loop.

Run from the project root: python -m bench.bench_local_qstash [--count 1000] [--workers 16]
"""

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # allow `python bench/bench_local_qstash.py`
    sys.path.insert(0, str(ROOT))

from qstash import QStash, Receiver  # noqa: E402

from bench.fast_receiver import FastReceiver  # noqa: E402


def free_port() -> int:
    """A free loopback port for the server process."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(data_dir: str, workers: int, env: dict):
    """Start `python -m local_qstash` and wait for /healthz."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "local_qstash", "--port", str(port), "--data-dir", data_dir, "--workers", str(workers)],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        # A file, not a pipe nobody reads: the server logs every attempt, and a full pipe would stall it.
        stderr=open(Path(data_dir) / "server.log", "w"),  # noqa: SIM115 - closed with the process's directory
    )
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(base_url + "/healthz", timeout=0.5).status_code == 200:
                return proc, base_url
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("local_qstash did not start")


def publish_all(base_url: str, token: str, url: str, count: int, not_before: int, threads: int = 4):
    """Publish `count` messages due at `not_before`, from a few SDK clients in parallel."""
    ids, lock = [], threading.Lock()

    def run(part: range) -> None:
        client = QStash(token, base_url=base_url)
        for n in part:
            res = client.message.publish_json(url=url, body={"messageId": n, "coachId": "c1"}, not_before=not_before)
            with lock:
                ids.append(res.message_id)

    parts = [range(i, count, threads) for i in range(threads)]
    workers = [threading.Thread(target=run, args=(p,)) for p in parts]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return ids


def baseline(url: str, count: int) -> float:
    """Seconds for one thread with one keep-alive session to post the same requests."""
    with httpx.Client() as session:
        start = time.perf_counter()
        for n in range(count):
            session.post(
                url,
                content=json.dumps({"messageId": n, "coachId": "c1"}).encode(),
                headers={
                    "Content-Type": "application/json",
                    "Upstash-Signature": "x" * 300,
                    "Upstash-Message-Id": f"msg_{n}",
                    "Upstash-Retried": "0",
                },
            )
        return time.perf_counter() - start


def pct(values, q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def main(argv=None) -> int:
    """Run the bench and print a compact table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=16)
    parser.add_argument("--lead", type=float, default=8.0, help="seconds between start and due time")
    parser.add_argument("--timeout", type=float, default=60.0, help="give up after this many seconds")
    args = parser.parse_args(argv)
    signal.alarm(int(args.timeout) + 30)  # hard stop even if something hangs
    keys = (secrets.token_urlsafe(32), secrets.token_urlsafe(32))
    token = secrets.token_urlsafe(24)
    env = {"QSTASH_TOKEN": token, "QSTASH_CURRENT_SIGNING_KEY": keys[0], "QSTASH_NEXT_SIGNING_KEY": keys[1]}
    receiver = FastReceiver().start()
    with tempfile.TemporaryDirectory() as data_dir:
        proc, base_url = start_server(data_dir, args.workers, env)
        try:
            result = run(args, base_url, token, receiver, keys)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(10)
    receiver.stop()
    return result


def run(args, base_url, token, receiver, keys) -> int:
    """Publish, wait for deliveries, compare with the baseline loop, print the table."""
    url = receiver.url("/hook")
    due = int(time.time() + args.lead) + 1
    t0 = time.perf_counter()
    ids = publish_all(base_url, token, url, args.count, due)
    publish_s = time.perf_counter() - t0
    slack = due - time.time()  # negative would mean the due second passed while publishing
    got = receiver.wait_for(args.count, "/hook", timeout=max(1.0, due - time.time()) + args.timeout)
    time.sleep(0.5)  # catch late duplicates
    got = receiver.received("/hook")
    per_id = {}
    for req in got:
        per_id.setdefault(req.header("upstash-message-id"), []).append(req)
    lateness = [reqs[0].at - due for reqs in per_id.values()]
    verifier = Receiver(*keys)
    for req in got:
        verifier.verify(signature=req.header("upstash-signature"), body=req.body.decode(), url=url)
    base_s = baseline(receiver.url("/baseline"), args.count)
    ours_s = max(r.at for r in got) - due if got else float("nan")
    ok = set(per_id) == set(ids) and all(len(v) == 1 for v in per_id.values())
    rows = [
        ("messages published / delivered", f"{len(ids)} / {len(per_id)}"),
        ("publish time (4 SDK threads)", f"{publish_s:.2f} s, finished {slack:.1f} s before due"),
        ("exactly once, all signatures valid", "yes" if ok else "NO"),
        ("lateness p50 / p99 / max", f"{pct(lateness, 0.5):.3f} / {pct(lateness, 0.99):.3f} / {max(lateness):.3f} s"),
        ("local_qstash: due -> all delivered", f"{ours_s:.3f} s"),
        ("baseline: 1 thread, 1 session, direct", f"{base_s:.3f} s"),
        ("ratio ours / baseline", f"{ours_s / base_s:.2f}x"),
    ]
    width = max(len(k) for k, _ in rows)
    print(f"bench_local_qstash  count={args.count} workers={args.workers} cores={os.cpu_count()}")
    for key, value in rows:
        print(f"  {key:<{width}}  {value}")
    return 0 if ok and pct(lateness, 0.99) < 1.0 else 1


if __name__ == "__main__":
    sys.exit(main())
