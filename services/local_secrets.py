"""Secrets the embedded pieces need, generated once and kept under data/ with owner-only permissions."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

SECRET_NAMES = (
    "scheduler_api_key",
    "qstash_token",
    "qstash_current_signing_key",
    "qstash_next_signing_key",
)


def load_or_create(data_dir: Path) -> dict[str, str]:
    """Return the embedded secrets, creating data/secrets.json (mode 0600) the first time."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secrets.json"
    stored = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name in SECRET_NAMES if name not in stored]
    if missing:
        stored.update(
            {
                name: secrets.token_hex(16) if name == "scheduler_api_key" else "sig_" + secrets.token_urlsafe(24)
                for name in missing
            }
        )
        _write_private(path, json.dumps(stored, indent=2))
    return stored


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, atomically."""
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
    os.replace(tmp, path)
