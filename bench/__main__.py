"""Run every benchmark: python -m bench [--quick] (or `make bench`, `make bench QUICK=1`).

Each bench prints its figures beside a baseline measured in the same run, on SQLite and, when DATABASE_URL names
a PostgreSQL server, on PostgreSQL too (the Delivery Log bench needs PostgreSQL and is skipped without it).
The default sizes are the issue's (1,000,000 deliveries, 10,000 messages, 200 × 25 due at once); --quick runs
each at a small size to check that the benches work.
"""

import argparse
import subprocess
import sys

from bench.scratch_db import postgres_server

# (module, extra arguments for --quick); the Stream stand-in part of bench_fanout (its sequential loop baseline
# alone takes three minutes) runs at Stream's documented limit only.
BENCHES = [
    ("bench.bench_local_qstash", ["--count", "200"]),
    ("bench.bench_fanout", ["--clients", "200", "--rounds", "2", "--per-minute", ""]),
    ("bench.bench_schedules_page", ["--clients", "500", "--messages", "1000", "--rounds", "2"]),
    ("bench.bench_e2e_lateness", ["--messages", "40", "--clients", "10"]),
]
POSTGRES_ONLY = [
    ("bench.bench_log_page", ["--clients", "1000", "--messages", "2000", "--per", "10", "--rounds", "2"]),
    ("bench.bench_reports", ["--clients", "1000", "--messages", "2000", "--per", "10", "--rounds", "2"]),
]
REALISTIC = {"bench.bench_fanout": ["--per-minute", "1000"]}


def main() -> int:
    """Run each bench in its own process; non-zero when any failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: checks the benches, not the figures")
    args = parser.parse_args()
    benches = BENCHES + (POSTGRES_ONLY if postgres_server() else [])
    failed = []
    for module, quick in benches:
        extra = quick if args.quick else REALISTIC.get(module, [])
        print(f"\n== {module} {' '.join(extra)}", flush=True)
        if subprocess.call([sys.executable, "-m", module, *extra]) != 0:
            failed.append(module)
    if failed:
        print(f"\nfailed or missed their goal: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
