"""Run every benchmark: python -m bench (or `make bench`); the Delivery Log one only when DATABASE_URL is PostgreSQL."""

import subprocess
import sys

from bench.scratch_db import postgres_server

POSTGRES_ONLY = ["bench.bench_log_page", "bench.bench_reports"]
BENCHES = ["bench.bench_local_qstash", "bench.bench_fanout"] + (POSTGRES_ONLY if postgres_server() else [])

if __name__ == "__main__":
    failed = [name for name in BENCHES if subprocess.call([sys.executable, "-m", name]) != 0]
    sys.exit(1 if failed else 0)
