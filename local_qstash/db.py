"""SQLite persistence: one WAL-mode connection shared behind a lock."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_qstash import private

DB_FILE = "qstash.sqlite3"

SCHEMA = """
CREATE TABLE IF NOT EXISTS messages (
    id TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    method TEXT NOT NULL,
    header TEXT NOT NULL,
    body BLOB NOT NULL,
    max_retries INTEGER NOT NULL,
    retried INTEGER NOT NULL DEFAULT 0,
    not_before_ms INTEGER NOT NULL,
    created_ms INTEGER NOT NULL,
    due_ms INTEGER NOT NULL,
    state TEXT NOT NULL,
    timeout_s REAL,
    callback TEXT,
    failure_callback TEXT,
    callback_header TEXT,
    failure_callback_header TEXT,
    schedule_id TEXT,
    caller_ip TEXT,
    label TEXT
);
CREATE INDEX IF NOT EXISTS messages_due ON messages(due_ms) WHERE state IN ('CREATED', 'RETRY');
CREATE INDEX IF NOT EXISTS messages_active ON messages(state) WHERE state = 'ACTIVE';
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    time_ms INTEGER NOT NULL,
    message_id TEXT NOT NULL,
    state TEXT NOT NULL,
    url TEXT NOT NULL,
    schedule_id TEXT,
    error TEXT,
    next_delivery_ms INTEGER,
    response_status INTEGER,
    response_header TEXT,
    response_body TEXT,
    label TEXT
);
CREATE INDEX IF NOT EXISTS events_message ON events(message_id);
CREATE INDEX IF NOT EXISTS events_time ON events(time_ms, seq);
CREATE TABLE IF NOT EXISTS dedup (
    dedup_id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS dlq (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    dlq_id TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    response_status INTEGER NOT NULL,
    response_header TEXT,
    response_body TEXT,
    error TEXT
);
CREATE TABLE IF NOT EXISTS schedules (
    id TEXT PRIMARY KEY,
    destination TEXT NOT NULL,
    cron TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    method TEXT NOT NULL,
    header TEXT NOT NULL,
    body BLOB NOT NULL,
    retries INTEGER NOT NULL,
    delay_s REAL,
    timeout_s REAL,
    callback TEXT,
    failure_callback TEXT,
    callback_header TEXT,
    failure_callback_header TEXT,
    paused INTEGER NOT NULL DEFAULT 0,
    last_fire_ms INTEGER,
    next_fire_ms INTEGER,
    last_states TEXT NOT NULL DEFAULT '{}',
    caller_ip TEXT,
    label TEXT
);
CREATE TABLE IF NOT EXISTS heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms INTEGER NOT NULL
);
"""


class Database:
    """One connection guarded by a lock: SQLite serialises writers anyway."""

    def __init__(self, data_dir: Path, busy_timeout: float = 5.0) -> None:
        private.make_dir(data_dir)
        self.path = data_dir / DB_FILE
        if not self.path.exists():
            # SQLite gives the -wal and -shm files the database file's mode, so 0600 here covers them.
            private.create_file(self.path)
        private.tighten(*(self.path.with_name(self.path.name + tail) for tail in ("", "-wal", "-shm")))
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a batch is one transaction.
        self._conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        # WAL + synchronous=NORMAL: a committed row survives SIGKILL (it is in the WAL file);
        # only an OS crash could lose the last commits.
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def tx(self) -> Iterator[sqlite3.Connection]:
        """Run a block as one write transaction."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def query(self, sql: str, params=()) -> list:
        """Run a read and return all rows."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        with self._lock:
            self._conn.close()
