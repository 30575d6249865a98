"""Run every benchmark: python -m bench (or `make bench`)."""

import subprocess
import sys

BENCHES = ["bench.bench_local_qstash", "bench.bench_fanout"]

if __name__ == "__main__":
    failed = [name for name in BENCHES if subprocess.call([sys.executable, "-m", name]) != 0]
    sys.exit(1 if failed else 0)
