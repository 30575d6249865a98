"""The Reports page at 1,000,000 deliveries on PostgreSQL: render vs the empty page, each report's queries, CSVs.

Run: DATABASE_URL=postgresql://… python -m bench.bench_reports [--clients 5000] [--messages 10000] [--per 100]
A scratch database is created on that server and dropped afterwards; the fill is bench.log_fill's (3 % failed).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.apptest_render import quiet_streamlit, render_seconds
from bench.log_fill import fill, size_arguments
from bench.scratch_db import scratch_services
from services import reports as windows
from ui import fmt, report_views


def best_of(rounds: int, work) -> tuple[float, object]:
    """Median seconds of `work()` over the rounds (after a warm-up), and its last result."""
    result = work()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    """Fill, then time the page and each report against the same over an empty database."""
    args = size_arguments(__doc__)
    quiet_streamlit()
    with scratch_services() as (services, coach, other, support):
        store, reports = services.store, services.reports
        sky, now = support.as_actor(), datetime.now(UTC)
        week = windows.week((now - timedelta(days=6)).date(), "UTC")
        month_day = now - timedelta(days=20)  # a month holding at least 20 days of the fill, even on the 1st
        month = windows.month(month_day.year, month_day.month, "UTC")

        def figures() -> dict[str, tuple[float, object]]:
            """Each report's service call, timed."""
            return {
                "weekly review (3 groupings)": best_of(args.rounds, lambda: reports.failure_review(sky, *week)),
                "monthly audit, one page of 25": best_of(
                    args.rounds, lambda: reports.schedule_audit(sky, *month, "UTC", limit=25)
                ),
                "monthly audit CSV (every row)": best_of(
                    1, lambda: fmt.csv_bytes(report_views.audit(reports.schedule_audit(sky, *month, "UTC")[0], "UTC"))
                ),
            }

        empty_page = render_seconds(services, support, "pages/reports.py", args.rounds)
        empty = figures()
        filled = fill(store.engine, (coach.id, other.id), now, args.clients, args.messages, args.per, args.days)
        total = args.messages * args.per
        print(f"fill: {total:,} deliveries in {filled:.1f} s")
        full_page = render_seconds(services, support, "pages/reports.py", args.rounds)
        print(
            f"Reports page render as support: {full_page:.3f} s at {total:,} deliveries vs {empty_page:.3f} s empty "
            f"(ratio {full_page / empty_page:.1f}x)"
        )
        review = reports.failure_review(sky, *week)
        _, audited = reports.schedule_audit(sky, *month, "UTC", limit=0)
        print(
            f"the week holds {sum(r['failures'] for r in review['reason']):,} failures "
            f"({len(review['client']):,} clients); the month {audited:,} schedules"
        )
        for name, (seconds, _) in figures().items():
            print(f"{name}: {seconds:.3f} s vs {empty[name][0]:.3f} s empty")
        started = time.perf_counter()
        ids = reports.group_ids(sky, *week, "reason", review["reason"][0]["key"])
        print(f"largest reason group's ids ({len(ids):,}): {time.perf_counter() - started:.3f} s")


if __name__ == "__main__":
    main()
