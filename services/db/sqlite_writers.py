"""SQLite writers take turns on an OS file lock beside the database, woken the moment the writer before them ends.

SQLite lets one writer in at a time and makes the others poll in its busy handler, sleeping 1, 2, 5, … up to
100 ms between tries: under a burst of deliveries a worker slept on, long after the lock was free, while its other
requests waited behind it. A blocking `flock` queues them in the kernel instead and wakes the next one at once.

The file lock only orders writers; SQLite's own locking stays what guarantees one writer (a writer outside the
queue, such as the sqlite3 shell, still meets the busy handler). Each connection opens the lock file itself:
`flock` locks belong to an open file, so two connections of one process queue like two processes do, and the
kernel drops a lock whose process died. A writer waits its turn for as long as the one before holds it, where
SQLite's busy handler gave up after its timeout: a transaction that never ends stops the other writers either way.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

LOCK_SUFFIX = "-writers"


class _HeldHere(threading.local):
    """Lock files whose turn this thread holds: a second connection of the same thread to the same database must
    not queue behind its own first one (it would wait forever); it meets SQLite's busy timeout instead, as before."""

    def __init__(self) -> None:
        self.paths: set[str] = set()


_held_here = _HeldHere()


def lock_path(database: str) -> str | None:
    """The lock file for a database file, or None when there is no file to sit beside (in memory, a URI)."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database + LOCK_SUFFIX


class QueuedWriterConnection(sqlite3.Connection):
    """A sqlite3 connection whose write transactions (`begin_immediate`) wait their turn on the file lock."""

    def __init__(self, database, *args, **kwargs):
        super().__init__(database, *args, **kwargs)
        path = lock_path(os.fspath(database)) if isinstance(database, str | os.PathLike) else None
        self._lock_path = path
        self._lock_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600) if path else None
        self._owner_pid = os.getpid()  # a forked child must not share this open file's lock with its parent
        self._holding: set[str] | None = None

    def begin_immediate(self) -> None:
        """BEGIN IMMEDIATE once it is this connection's turn to write."""
        self._take_turn()
        try:
            self.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._end_turn()
            raise

    def commit(self) -> None:
        """Commit, then let the next writer in."""
        try:
            super().commit()
        finally:
            self._end_turn()

    def rollback(self) -> None:
        """Roll back, then let the next writer in."""
        try:
            super().rollback()
        finally:
            self._end_turn()

    def close(self) -> None:
        """Close the database and the lock file (closing the file alone would also end a turn)."""
        try:
            super().close()
        finally:
            self._end_turn()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    def _take_turn(self) -> None:
        if self._lock_fd is None or self._holding is not None or os.getpid() != self._owner_pid:
            return
        held = _held_here.paths
        if self._lock_path in held:
            return
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)  # blocks without the GIL until the writer before ends
        self._holding = held  # the taking thread's set: a turn may end on another thread (a pool's cleanup)
        held.add(self._lock_path)

    def _end_turn(self) -> None:
        if self._holding is not None:
            self._holding.discard(self._lock_path)
            self._holding = None
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
