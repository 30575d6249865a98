"""`make run`'s processes (honcho + Procfile) on spare ports: demo data, the welcome arrives, the guide's curls."""

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest
import requests

from tests.harness import wait_until
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def running(tmp_path_factory):
    """The product as `make run` starts it, on free ports and a fresh data directory.

    Started once for the module: under pytest-xdist this module runs on one worker (SHARED_WORKER_MODULES)."""
    ports = {"WEBHOOK_PORT": free_port(), "DASHBOARD_PORT": free_port(), "LOCAL_QSTASH_PORT": free_port()}
    data_dir = tmp_path_factory.mktemp("run") / "data"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QSTASH", "STREAM_", "DATABASE_", "GUNICORN"))}
    env.update({k: str(v) for k, v in ports.items()}, DATA_DIR=str(data_dir), PYTHONUNBUFFERED="1")
    # gunicorn 27 opens a control socket at one per-user path: parallel runs must not share (or delete) it.
    env["GUNICORN_CMD_ARGS"] = "--no-control-socket"
    subprocess.run(
        [str(ROOT / ".venv/bin/python"), "-m", "services", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    log = open(data_dir.parent / "honcho.log", "w")  # noqa: SIM115 - closed after honcho stops
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/honcho"), "start", "-f", "Procfile"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{ports['DASHBOARD_PORT']}/_stcore/health", process, log.name, timeout=90)
        _wait_healthy(f"http://127.0.0.1:{ports['WEBHOOK_PORT']}/healthz", process, log.name, timeout=30)
        yield ports, data_dir
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
        log.close()


def _wait_healthy(url: str, honcho: subprocess.Popen, log: str, timeout: float) -> None:
    """Wait for url to answer 200; fail at once with honcho's output if it stopped, or with it after timeout."""
    try:
        wait_until(lambda: honcho.poll() is not None or _ok(url), timeout=timeout, interval=0.5)
    except AssertionError:
        pytest.fail(f"{url} did not answer within {timeout} s; honcho's output:\n{Path(log).read_text()[-4000:]}")
    if honcho.poll() is not None:
        pytest.fail(f"honcho exited with {honcho.returncode} before {url} answered:\n{Path(log).read_text()[-4000:]}")


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def _curl(*args: str) -> tuple[int, dict]:
    """Run curl as the guide does; returns (status, JSON body)."""
    out = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", *args], capture_output=True, text=True, check=True)
    body, status = out.stdout.rsplit("\n", 1)
    return int(status), json.loads(body)


def test_demo_welcome_arrives_in_the_local_inbox(running):
    """The seeded welcome, due 10 s after start, reaches every active demo client's inbox."""
    from services.bootstrap import build_services
    from services.config import load_settings
    from services.domain import Actor

    _, data_dir = running
    services = build_services(load_settings(data_dir=data_dir), migrate=False)
    coach = services.store.accounts.find_by_email("coach@example.com")[0]
    inbox = wait_until(lambda: services.store.inbox.list(Actor(coach.id, "coach")), timeout=60, interval=1)
    assert all(m["text"].startswith("Welcome aboard,") for m in inbox)
    active = services.store.clients.list(coach.as_actor(), active=True)
    wait_until(lambda: len(services.store.inbox.list(Actor(coach.id, "coach"))) == len(active), timeout=30)


def test_guide_curl_process_scheduled_messages(running):
    """The guide's webhook curl with the bearer key: an unknown message id gets 489 and a reason."""
    ports, data_dir = running
    key = json.loads((data_dir / "secrets.json").read_text())["scheduler_api_key"]
    status, body = _curl(
        "-X",
        "POST",
        f"http://127.0.0.1:{ports['WEBHOOK_PORT']}/api/process-scheduled-messages",
        "-H",
        "Content-Type: application/json",
        "-H",
        f"Authorization: Bearer {key}",
        "-d",
        '{"messageId": "test", "coachId": "your-coach-id"}',
    )
    assert (status, body) == (489, {"error": "unknown message"})
    status, body = _curl(
        "-X",
        "POST",
        f"http://127.0.0.1:{ports['WEBHOOK_PORT']}/api/process-scheduled-messages",
        "-H",
        "Content-Type: application/json",
        "-H",
        "Authorization: Bearer wrong",
        "-d",
        '{"messageId": "test", "coachId": "your-coach-id"}',
    )
    assert (status, body) == (401, {"error": "unauthorized"})


def test_guide_curl_qstash_schedule(running):
    """The guide's scheduling curl: without the key 401; with it, an unknown message is a clear 400."""
    ports, data_dir = running
    url = f"http://127.0.0.1:{ports['WEBHOOK_PORT']}/api/qstash-schedule"
    payload = (
        '{"messageId": "test-123", "scheduledTime": "2024-01-01T10:00:00Z", "coachId": "your-coach-id", '
        '"scheduleType": "once"}'
    )
    assert _curl("-X", "POST", url, "-H", "Content-Type: application/json", "-d", payload) == (
        401,
        {"error": "unauthorized"},
    )
    key = json.loads((data_dir / "secrets.json").read_text())["scheduler_api_key"]
    assert _curl(
        "-X", "POST", url, "-H", "Content-Type: application/json", "-H", f"Authorization: Bearer {key}", "-d", payload
    ) == (400, {"error": "No such message for this coach."})
