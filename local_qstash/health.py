"""Readiness: whether the database takes a write right now (a heartbeat row, short busy timeout)."""

import sqlite3
from pathlib import Path

PROBE_WAIT_S = 1.0  # a healthy store commits in milliseconds; longer means writers are stuck


def write_problem(path: Path, now_ms: int) -> str | None:
    """None when a heartbeat write commits within PROBE_WAIT_S, else what went wrong."""
    # Its own connection: the probe must not queue behind the server's shared one, and a fresh
    # open also proves the file can still be opened for writing. mode=rw never creates the file.
    uri = path.resolve().as_uri() + "?mode=rw"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=PROBE_WAIT_S, isolation_level=None)
    except sqlite3.Error as exc:
        return f"database cannot be opened: {exc}"
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT OR REPLACE INTO heartbeat (id, at_ms) VALUES (1, ?)", (now_ms,))
        conn.execute("COMMIT")
    except sqlite3.Error as exc:
        return f"database cannot be written: {exc}"
    finally:
        conn.close()  # an open transaction is rolled back by close
    return None
