"""Secrets the embedded pieces need, generated once and kept under data/ with owner-only permissions."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from pathlib import Path

from services.private_files import private_dir, write_private

SECRET_NAMES = (
    "scheduler_api_key",
    "qstash_token",
    "qstash_current_signing_key",
    "qstash_next_signing_key",
)


def load_or_create(data_dir: Path) -> dict[str, str]:
    """Return the embedded secrets, creating data/secrets.json (mode 0600) the first time.

    Several processes start together under `make run` (and tests): an exclusive lock around read-then-write
    makes the first one generate the secrets and every other one read the same ones.
    """
    private_dir(data_dir)
    path = data_dir / "secrets.json"
    with os.fdopen(os.open(data_dir / ".secrets.lock", os.O_RDWR | os.O_CREAT, 0o600), "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        stored = json.loads(path.read_text()) if path.exists() else {}
        missing = [name for name in SECRET_NAMES if name not in stored]
        if missing:
            stored.update({name: _new_secret(name) for name in missing})
            write_private(path, json.dumps(stored, indent=2))
    return stored


def _new_secret(name: str) -> str:
    """A fresh random value in the shape QStash uses for that secret."""
    return secrets.token_hex(16) if name == "scheduler_api_key" else "sig_" + secrets.token_urlsafe(24)
