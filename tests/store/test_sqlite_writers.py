"""SQLite writers take turns on a file lock (services.db.sqlite_writers): waits, hand-overs and exact counts.

SQLite only: the queue exists because of SQLite's one-writer lock; PostgreSQL's writers never meet it.
"""

import fcntl
import multiprocessing
import os
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text

from services.db.engine import make_engine
from services.db.sqlite_writers import QueuedWriterConnection, lock_path


def _connect(path, timeout: float = 30) -> QueuedWriterConnection:
    conn = sqlite3.connect(path, factory=QueuedWriterConnection, timeout=timeout, check_same_thread=False)
    conn.isolation_level = None
    return conn


@pytest.fixture
def db(tmp_path):
    """A database file in WAL mode with one counter row."""
    path = str(tmp_path / "app.db")
    conn = _connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE counter (n INTEGER NOT NULL)")
    conn.execute("INSERT INTO counter VALUES (0)")
    conn.close()
    return path


def _turn_taken(db: str) -> bool:
    """True while some connection holds the writers' file lock (tried from a file of our own, never waiting)."""
    fd = os.open(lock_path(db), os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def _begin_in_thread(conn) -> tuple[threading.Thread, threading.Event]:
    """Start conn.begin_immediate() on a thread; the event is set once it got in."""
    entered = threading.Event()

    def begin():
        conn.begin_immediate()
        entered.set()

    thread = threading.Thread(target=begin, daemon=True)
    thread.start()
    return thread, entered


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_writer_waits_for_the_one_before_and_gets_in_when_it_ends(db, end):
    """The second writer is held while the first is in its transaction; commit, rollback or close lets it in."""
    first, second = _connect(db), _connect(db)
    assert not _turn_taken(db)
    first.begin_immediate()
    assert _turn_taken(db)  # the queue is the file lock, not SQLite's busy handler
    thread, entered = _begin_in_thread(second)
    assert not entered.wait(0.3)  # queued, not in
    getattr(first, end)()
    assert entered.wait(5)
    thread.join()
    assert _turn_taken(db)  # now the second's turn
    second.execute("UPDATE counter SET n = n + 1")
    second.commit()
    assert not _turn_taken(db)
    assert second.execute("SELECT n FROM counter").fetchone() == (1,)
    second.close()


def test_a_begin_that_fails_gives_up_its_turn(db):
    """A BEGIN IMMEDIATE refused by SQLite (a writer outside the queue holds the lock) does not keep the turn."""
    outsider = sqlite3.connect(db, isolation_level=None)
    outsider.execute("BEGIN IMMEDIATE")
    impatient = _connect(db, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        impatient.begin_immediate()
    outsider.rollback()
    other = _connect(db)
    thread, entered = _begin_in_thread(other)
    assert entered.wait(5)  # had the failed writer kept its turn, this would wait forever
    thread.join()
    other.rollback()
    for conn in (outsider, impatient, other):
        conn.close()


def test_a_second_connection_of_the_same_thread_does_not_queue_behind_the_first(db):
    """Same thread, same database, two connections: the second meets SQLite's busy timeout, never a deadlock."""
    first, second = _connect(db), _connect(db, timeout=0.2)
    first.begin_immediate()
    started = time.monotonic()
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        second.begin_immediate()
    assert time.monotonic() - started < 5
    first.rollback()
    second.begin_immediate()  # the thread's turn was released with the first connection's rollback
    second.rollback()
    first.close()
    second.close()


def test_memory_and_uri_databases_have_no_lock_file(tmp_path):
    """Nothing to sit beside: the connection works without a queue."""
    assert lock_path(":memory:") is None
    assert lock_path("file:x.db?mode=ro") is None
    assert lock_path(str(tmp_path / "a.db")) == str(tmp_path / "a.db") + "-writers"
    conn = _connect(":memory:")
    conn.begin_immediate()
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()


def _add(url: str, threads: int, times: int) -> None:
    """Increment the counter `times` per thread, each in its own write transaction, through make_engine."""
    engine = make_engine(url, pool_size=1)

    def work():
        for _ in range(times):
            with engine.begin() as conn:
                n = conn.execute(text("SELECT n FROM counter")).scalar_one()
                conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    engine.dispose()


def test_two_processes_of_threads_read_modify_write_without_losing_one(db):
    """Two processes × 4 threads × 50 read-then-write transactions: exactly 400 (no lost update, no lock error)."""
    url = f"sqlite:///{db}"
    context = multiprocessing.get_context("spawn")  # as gunicorn's workers: separate processes, separate opens
    processes = [context.Process(target=_add, args=(url, 4, 50)) for _ in range(2)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(120)
        assert process.exitcode == 0
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT n FROM counter").fetchone() == (400,)
    conn.close()
