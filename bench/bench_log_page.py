"""The Delivery Log at 1,000,000 deliveries on PostgreSQL: fill time, page render vs the empty page, CSV export.

Run: DATABASE_URL=postgresql://… python -m bench.bench_log_page [--clients 5000] [--messages 10000] [--per 100]
A scratch database is created on that server and dropped afterwards. The page is rendered with Streamlit's
AppTest for a coach and for support, first over the empty database and then over the filled one (same run).
"""

from __future__ import annotations

import io
import resource
import time
from datetime import UTC, datetime

from bench.apptest_render import quiet_streamlit, render_seconds
from bench.log_fill import fill, size_arguments
from bench.scratch_db import scratch_services
from ui import log_export

PAGE = "pages/delivery_log.py"


def rss_mb() -> float:
    """This process's resident memory now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def read_seconds(services, account) -> float:
    """Seconds to read every row of the export's stream and do nothing with it (the export's baseline)."""
    started = time.perf_counter()
    for _ in services.delivery_log.stream(account.as_actor()):
        pass
    return time.perf_counter() - started


class Counting(io.RawIOBase):
    """A sink that keeps nothing: the export's own memory is what is measured."""

    def __init__(self):
        self.bytes = 0

    def writable(self) -> bool:
        """Yes: the export wraps it in a text writer."""
        return True

    def write(self, data) -> int:
        self.bytes += len(data)
        return len(data)


def main() -> None:
    """Fill, render empty and full, export."""
    args = size_arguments(__doc__)
    quiet_streamlit()
    with scratch_services() as (services, coach, other, support):
        store = services.store
        empty = {
            who: render_seconds(services, acc, PAGE, args.rounds)
            for who, acc in (("coach", coach), ("support", support))
        }
        started = time.perf_counter()
        sizes = (args.clients, args.messages, args.per, args.days)
        filled = fill(store.engine, (coach.id, other.id), datetime.now(UTC), *sizes)
        vacuumed = time.perf_counter() - started - filled
        total = args.messages * args.per
        print(
            f"fill: {total:,} deliveries, {args.clients:,} clients, {args.messages:,} messages in {filled:.1f} s "
            f"(goal < 120 s; then VACUUM ANALYZE {vacuumed:.1f} s)"
        )
        full = {
            who: render_seconds(services, acc, PAGE, args.rounds)
            for who, acc in (("coach", coach), ("support", support))
        }
        for who, seconds in full.items():
            print(
                f"Delivery Log render as {who}: {seconds:.3f} s at {total:,} deliveries vs {empty[who]:.3f} s "
                f"empty (ratio {seconds / empty[who]:.1f}x; goal < 1 s and < 20x)"
            )
        before = rss_mb()
        sink = Counting()
        started = time.perf_counter()
        rows = log_export.write_csv(services.delivery_log.stream(support.as_actor()), "UTC", sink)
        seconds = time.perf_counter() - started
        growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
        reading = read_seconds(services, support)
        print(
            f"CSV export (support, everything): {rows:,} rows, {sink.bytes / 2**20:.0f} MB in {seconds:.1f} s = "
            f"{rows / seconds:,.0f} rows/s (goal >= 50,000); peak memory growth {max(0.0, growth):.0f} MB "
            f"(goal < 100 MB); baseline, reading the same rows alone: {reading:.1f} s = {rows / reading:,.0f} rows/s "
            f"(ratio {seconds / reading:.2f}x)"
        )


if __name__ == "__main__":
    main()
