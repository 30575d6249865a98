"""The Schedules page at 10,000 messages and 5,000 clients: AppTest render vs the empty page, same run.

Run: [DATABASE_URL=postgresql://…] python -m bench.bench_schedules_page [--clients 5000] [--messages 10000]
     [--databases sqlite,postgresql] [--rounds 5]
SQLite always; PostgreSQL too when DATABASE_URL names one (a scratch database on that server, dropped after).
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from qstash import QStash

from bench.apptest_render import quiet_streamlit, render_seconds, render_times
from bench.schedules_fill import fill
from bench.scratch_db import database_kinds, scratch_database
from services.bootstrap import build_services
from services.config import load_settings
from services.db.engine import make_engine, migrate

PAGE = "pages/schedules.py"
GOAL_SECONDS = 0.5


def bench(kind: str, clients: int, messages: int, rounds: int) -> None:
    """Render as a coach and as support, empty and then filled; print each beside its empty baseline."""
    with tempfile.TemporaryDirectory() as tmp, scratch_database(kind, Path(tmp)) as url:
        migrate(url)
        services = build_services(
            load_settings(data_dir=Path(tmp)),
            engine=make_engine(url),
            qstash_client=QStash("unused", base_url="http://127.0.0.1:9", retry=False),  # rendering publishes nothing
        )
        store = services.store
        coach = store.accounts.insert(None, "a@example.com", "Coach A", "UTC", "coach", None)
        other = store.accounts.insert(None, "b@example.com", "Coach B", "UTC", "coach", None)
        support = store.accounts.insert(None, "s@example.com", "Support", "UTC", "support", None)
        viewers = (("coach", coach), ("support", support))
        empty = {who: render_seconds(services, acc, PAGE, rounds) for who, acc in viewers}
        filled = fill(store.engine, (coach.id, other.id), datetime.now(UTC), clients, messages)
        print(f"[{kind}] fill: {clients:,} clients, {messages:,} messages in {filled:.1f} s")
        for who, acc in viewers:
            # and as many renders each just after the calendar's rule walks were dropped (a restart, a new day)
            cold, seconds = render_times(services, acc, PAGE, rounds, forget=services.calendar.series.clear)
            print(
                f"[{kind}] Schedules render as {who}: {seconds:.3f} s at {messages:,} messages vs {empty[who]:.3f} s "
                f"empty (ratio {seconds / empty[who]:.1f}x; goal < {GOAL_SECONDS} s); with no walk kept {cold:.3f} s"
            )
        store.engine.dispose()


def main() -> None:
    """Bench each database kind."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--messages", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--databases", default=None, help="comma-separated: sqlite,postgresql (default: available)")
    args = parser.parse_args()
    quiet_streamlit()
    for kind in database_kinds(args.databases):
        bench(kind, args.clients, args.messages, args.rounds)


if __name__ == "__main__":
    main()
