"""The database's tables, their version (PRAGMA user_version), and checking a file before use."""

import os
import sqlite3
from pathlib import Path

from local_qstash import private

SCHEMA_VERSION = 2
_REMEDY = "refusing to start, so no pending message is lost; restore it from a backup or move it away to start empty"

# Flow control (schema version 2): each key's limits (from its latest message, unless pinned) and pause.
FLOW_TABLES = """
CREATE INDEX IF NOT EXISTS messages_flow ON messages(flow_key, due_ms) WHERE state IN ('CREATED', 'RETRY');
CREATE TABLE IF NOT EXISTS flow_keys (
    key TEXT PRIMARY KEY,
    rate INTEGER,
    parallelism INTEGER,
    period_s INTEGER NOT NULL DEFAULT 1,
    paused INTEGER NOT NULL DEFAULT 0,
    pinned_rate INTEGER NOT NULL DEFAULT 0,
    pinned_parallelism INTEGER NOT NULL DEFAULT 0
);
"""

# The current tables, for a new file; older files reach them through _UPGRADES.
SCHEMA = (
    """
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
    label TEXT,
    flow_key TEXT,
    flow_rate INTEGER,
    flow_parallelism INTEGER,
    flow_period_s INTEGER
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
    label TEXT,
    flow_key TEXT,
    flow_rate INTEGER,
    flow_parallelism INTEGER,
    flow_period_s INTEGER
);
CREATE TABLE IF NOT EXISTS heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms INTEGER NOT NULL
);
"""
    + FLOW_TABLES
)

# Step from version N to N + 1. Version 0 is the first release's file, which carried no version.
_UPGRADES = {
    0: """
CREATE TABLE IF NOT EXISTS heartbeat (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    at_ms INTEGER NOT NULL
);
UPDATE messages SET state = 'CANCELED' WHERE state = 'CANCELLED';
UPDATE events SET state = 'CANCELED' WHERE state = 'CANCELLED';
""",
    1: FLOW_TABLES,  # after FLOW_COLUMNS are added (see _step)
}
FLOW_COLUMNS = ("flow_key TEXT", "flow_rate INTEGER", "flow_parallelism INTEGER", "flow_period_s INTEGER")


def _step(conn: sqlite3.Connection, version: int) -> str:
    """The SQL that takes a file from `version` to the next one."""
    if version != 1:
        return _UPGRADES[version]
    # Columns are added only where missing: a file may carry some already (e.g. rebuilt by hand from a backup).
    adds = []
    for table in ("messages", "schedules"):
        present = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        adds += [f"ALTER TABLE {table} ADD COLUMN {c};" for c in FLOW_COLUMNS if c.split()[0] not in present]
    return "\n".join(adds) + _UPGRADES[version]


class UnusableDatabase(Exception):
    """The database file cannot be used as it is; the text is one line for the operator."""


def create(path: Path) -> None:
    """Make a new, current database at `path` (which must not exist) in one atomic step."""
    # Built aside and renamed into place: a crash mid-way never leaves an empty or partial file,
    # which the next start would (rightly) refuse.
    tmp = path.with_name(path.name + ".new")
    for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
        leftover.unlink(missing_ok=True)
    private.create_file(tmp)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.executescript(f"BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
    finally:
        conn.close()
    os.replace(tmp, path)


def upgrade(conn: sqlite3.Connection, path: Path) -> None:
    """Refuse an empty, damaged, foreign or newer file; bring an older one up to this version."""
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        check = conn.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise UnusableDatabase(f"{path} is not a readable database ({exc}); {_REMEDY}") from None
    if check != "ok":
        raise UnusableDatabase(f"{path} is damaged ({check}); {_REMEDY}")
    if version > SCHEMA_VERSION:
        raise UnusableDatabase(
            f"{path} has schema version {version}, newer than this server's {SCHEMA_VERSION}; use a newer local_qstash"
        )
    if not {"messages", "events"} <= tables:
        raise UnusableDatabase(f"{path} is empty or not a local_qstash database; {_REMEDY}")
    while version < SCHEMA_VERSION:
        try:
            conn.executescript(f"BEGIN IMMEDIATE; {_step(conn, version)} PRAGMA user_version = {version + 1}; COMMIT;")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise UnusableDatabase(f"{path} could not be upgraded from schema version {version} ({exc})") from None
        version += 1
