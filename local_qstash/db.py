"""SQLite persistence: one WAL-mode connection shared behind a lock."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_qstash import private, schema
from local_qstash.schema import UnusableDatabase

DB_FILE = "qstash.sqlite3"


def _connect(path: Path) -> sqlite3.Connection:
    """Open an existing database file for reading and writing (never creating one)."""
    try:
        # isolation_level=None: we issue BEGIN/COMMIT ourselves, so a batch is one transaction.
        return sqlite3.connect(
            path.resolve().as_uri() + "?mode=rw", uri=True, check_same_thread=False, isolation_level=None
        )
    except sqlite3.Error as exc:
        raise UnusableDatabase(f"{path} cannot be opened ({exc})") from None


class Database:
    """One connection guarded by a lock: SQLite serialises writers anyway."""

    def __init__(self, data_dir: Path, busy_timeout: float = 5.0) -> None:
        private.make_dir(data_dir)
        self.path = data_dir / DB_FILE
        if not self.path.exists():
            schema.create(self.path)
        # SQLite gives new -wal and -shm files the database file's mode; older ones are tightened here.
        private.tighten(*(self.path.with_name(self.path.name + tail) for tail in ("", "-wal", "-shm")))
        self._conn = _connect(self.path)
        self._conn.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        try:
            self._conn.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
            # Checked before anything is written: an unusable file is refused as it is, never rebuilt.
            schema.upgrade(self._conn, self.path)
            # WAL + synchronous=NORMAL: a committed row survives SIGKILL (it is in the WAL file);
            # only an OS crash could lose the last commits.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            self._conn.close()
            raise

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
            try:
                self._conn.execute("COMMIT")
            except sqlite3.Error:
                # A failed COMMIT (disk full, I/O error) can leave the transaction open; end it so
                # the next BEGIN works and the caller can simply try again.
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                raise

    def query(self, sql: str, params=()) -> list:
        """Run a read and return all rows."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        with self._lock:
            self._conn.close()
