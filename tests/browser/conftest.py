"""The real product as subprocesses (local QStash, webhook, Streamlit) on free ports, and a real Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from services import local_secrets
from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SECRET_ENV = (
    "QSTASH_TOKEN",
    "QSTASH_URL",
    "QSTASH_CURRENT_SIGNING_KEY",
    "QSTASH_NEXT_SIGNING_KEY",
    "SCHEDULER_API_KEY",
    "DATABASE_URL",
    "DATABASE_MIGRATION_URL",
    "DATABASE_POOLER",
    "STREAM_API_KEY",
    "STREAM_API_SECRET",
    "SUPABASE_URL",
    "SUPABASE_ANON_KEY",
    "SUPABASE_SERVICE_ROLE_KEY",
    "NEXT_PUBLIC_APP_URL",
    "WEBHOOK_PUBLIC_URL",
)


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives the running product with a real Chromium")


def wait_http(url: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Wait until url answers 200, failing with the process log when it dies or never answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{url} process exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {timeout}s:\n{log.read_text()[-3000:]}")


class Product:
    """The three processes of the embedded product, sharing one data directory."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None):
        self.data_dir = data_dir
        self.ports = {"qstash": free_port(), "webhook": free_port(), "app": free_port()}
        self.processes: list[tuple[subprocess.Popen, object]] = []
        base = {k: v for k, v in os.environ.items() if k not in SECRET_ENV}
        self.env = dict(
            base,
            DATA_DIR=str(data_dir),
            LOCAL_QSTASH_PORT=str(self.ports["qstash"]),
            WEBHOOK_PORT=str(self.ports["webhook"]),
            WEBHOOK_HOST="127.0.0.1",
            PYTHONUNBUFFERED="1",
            **(extra_env or {}),
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['app']}"

    def start(self, name: str, args: list[str], env: dict | None = None) -> tuple[subprocess.Popen, Path]:
        log = self.data_dir.parent / f"{name}.log"
        handle = open(log, "w")  # noqa: SIM115 - open while the process runs; closed in stop()
        process = subprocess.Popen(args, cwd=ROOT, env=env or self.env, stdout=handle, stderr=subprocess.STDOUT)
        self.processes.append((process, handle))
        return process, log

    def run(self, args: list[str]) -> None:
        done = subprocess.run(args, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr

    def stop(self) -> None:
        for process, handle in reversed(self.processes):
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
            handle.close()


@pytest.fixture
def product_env() -> dict[str, str]:
    """Settings for the product's processes; a story overrides it with `@pytest.mark.parametrize("product_env", …)`."""
    return {}


@pytest.fixture
def product(tmp_path, product_env):
    """Local QStash, seeded demo data, the webhook and the Streamlit app, all on loopback."""
    data_dir = tmp_path / "data"
    secrets = local_secrets.load_or_create(data_dir)
    running = Product(data_dir, product_env)
    qstash_env = dict(
        running.env,
        QSTASH_TOKEN=secrets["qstash_token"],
        QSTASH_CURRENT_SIGNING_KEY=secrets["qstash_current_signing_key"],
        QSTASH_NEXT_SIGNING_KEY=secrets["qstash_next_signing_key"],
    )
    py = sys.executable
    try:
        process, log = running.start(
            "qstash",
            [
                py,
                "-m",
                "local_qstash",
                "--port",
                str(running.ports["qstash"]),
                "--data-dir",
                str(data_dir / "qstash"),
                "--backoff-scale",
                "0.01",
            ],
            env=qstash_env,
        )
        wait_http(f"http://127.0.0.1:{running.ports['qstash']}/healthz", process, log)
        running.run([py, "-m", "services", "migrate"])
        running.run([py, "-m", "services", "seed"])
        process, log = running.start(
            "webhook",
            [
                py,
                "-m",
                "flask",
                "--app",
                "services.webhook:create_app()",
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(running.ports["webhook"]),
            ],
        )
        wait_http(f"http://127.0.0.1:{running.ports['webhook']}/healthz", process, log)
        process, log = running.start(
            "app",
            [
                py,
                "-m",
                "ui.serve",  # as the Procfile starts it
                "--server.port",
                str(running.ports["app"]),
                "--server.address",
                "127.0.0.1",
                "--server.headless",
                "true",
                "--server.fileWatcherType",
                "none",
            ],
        )
        wait_http(f"{running.url}/_stcore/health", process, log)
        yield running
    finally:
        running.stop()


@pytest.fixture
def shots() -> Path:
    """Where browser stories save screenshots (BROWSER_SCREENSHOTS, else tests/browser/screenshots, gitignored)."""
    folder = Path(os.environ.get("BROWSER_SCREENSHOTS") or ROOT / "tests" / "browser" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def browser():
    """Real Chromium; missing it is a failure on CI."""
    if not Path(CHROMIUM).exists() or not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium is required for browser tests on CI but {CHROMIUM} is missing")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import expect, sync_playwright

    # A rerun on a loaded 2-core machine can take far longer than Playwright's 5 s default: wait for what the
    # person would see, for up to 30 s, in every expectation.
    expect.set_options(timeout=30_000)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
