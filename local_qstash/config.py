"""Server settings: command-line flags, secrets from env or DIR/keys.json."""

import argparse
import json
import os
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from local_qstash import private

KEY_FILE = "keys.json"
_ENV = {
    "token": "QSTASH_TOKEN",
    "current_signing_key": "QSTASH_CURRENT_SIGNING_KEY",
    "next_signing_key": "QSTASH_NEXT_SIGNING_KEY",
}


@dataclass(frozen=True)
class Config:
    """Everything the server needs; tests build one directly."""

    data_dir: Path
    token: str
    current_signing_key: str
    next_signing_key: str
    host: str = "127.0.0.1"
    port: int = 8080
    backoff_scale: float = 1.0
    timeout: float = 30.0
    workers: int = 16
    batch_size: int = 200
    default_retries: int = 3
    busy_timeout: float = 5.0  # seconds a write waits for SQLite's lock before it fails
    log_format: str = "text"  # LOG_FORMAT: text or json (JSON lines)
    log_level: str = "INFO"  # LOG_LEVEL

    def __repr__(self) -> str:
        # Secrets must never reach logs, so the repr leaves them out.
        return f"Config(host={self.host!r}, port={self.port}, data_dir={str(self.data_dir)!r})"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Parse the CLI flags."""
    parser = argparse.ArgumentParser(prog="python -m local_qstash", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--backoff-scale", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=30.0, help="delivery timeout, seconds")
    parser.add_argument("--workers", type=int, default=16, help="delivery worker threads")
    return parser.parse_args(argv)


def load_secrets(data_dir: Path, environ: Mapping[str, str]) -> dict:
    """Return token and signing keys: env wins, else DIR/keys.json (created once, 0600)."""
    private.make_dir(data_dir)
    path = data_dir / KEY_FILE
    private.tighten(path)  # one written by an older version may be readable by others
    stored = json.loads(path.read_text()) if path.exists() else {}
    missing = [name for name, var in _ENV.items() if not environ.get(var) and not stored.get(name)]
    if missing:
        stored.update({name: secrets.token_urlsafe(32) for name in missing})
        private.write_text(path, json.dumps(stored))
    return {name: environ.get(var) or stored[name] for name, var in _ENV.items()}


def config_from_args(argv=None, environ: Mapping[str, str] | None = None) -> Config:
    """Build a Config from CLI flags and the environment."""
    args = parse_args(argv)
    env = os.environ if environ is None else environ
    keys = load_secrets(args.data_dir, env)
    return Config(
        data_dir=args.data_dir,
        host=args.host,
        port=args.port,
        backoff_scale=args.backoff_scale,
        timeout=args.timeout,
        workers=args.workers,
        log_format=env.get("LOG_FORMAT", "text").lower(),
        log_level=env.get("LOG_LEVEL", "INFO").upper(),
        **keys,
    )
