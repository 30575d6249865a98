"""Hardening 23: two installs on one host do not share gunicorn's control socket."""

import requests

from services.bootstrap import build_services
from services.config import load_settings
from tests.webhook.hostile import ServedWebhook


def test_item_23_two_webhooks_on_one_host_leave_no_shared_control_socket(tmp_path):
    """Both started as the Procfile starts them, with the same HOME and XDG_RUNTIME_DIR: no gunicorn.ctl anywhere,
    and stopping one leaves the other serving."""
    shared = tmp_path / "user"
    (shared / "home").mkdir(parents=True)
    (shared / "runtime").mkdir()
    env = {"HOME": str(shared / "home"), "XDG_RUNTIME_DIR": str(shared / "runtime")}
    installs = []
    for name in ("one", "two"):
        data_dir = tmp_path / name / "data"
        build_services(load_settings(data_dir=data_dir)).store.engine.dispose()  # a migrated embedded database
        installs.append(ServedWebhook(data_dir, **env))
    first, second = installs
    try:
        assert sorted(p.name for p in shared.rglob("*.ctl")) == []
        first.stop()
        assert requests.get(f"http://127.0.0.1:{second.port}/healthz", timeout=5).status_code == 200
    finally:
        for install in installs:
            install.stop()
