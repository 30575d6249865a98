"""Loopback ports for the servers a test starts, which no other test or outgoing connection will take."""

import itertools
import os
import random
import socket
from pathlib import Path

FIRST = 10_000  # below it: well-known services (PostgreSQL 5432, PgBouncer 6543, ...)
BLOCK = 1_000  # ports per pytest-xdist worker


def _ephemeral_low() -> int:
    """The first port the kernel hands to outgoing connections."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32_768


def _block() -> range:
    """This worker's own ports: outside the ephemeral range and apart from every other worker's.

    A port found with bind(("127.0.0.1", 0)) comes from the ephemeral range, so while the test starts its server
    a busy run's outgoing connections (or another worker) may take it: the server then fails to bind and the
    test waits in vain (CI saw `make run`'s dashboard never answer)."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    ports_below = _ephemeral_low() - FIRST
    start = FIRST + (worker * BLOCK) % max(ports_below - BLOCK, BLOCK)
    return range(start, start + BLOCK)


_next = itertools.count(random.randrange(BLOCK))


def free_port() -> int:
    """A port of this worker's block that nothing listens on or is bound to now."""
    block = _block()
    for _ in range(BLOCK):
        port = block[next(_next) % BLOCK]
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {block.start}-{block.stop - 1}")
