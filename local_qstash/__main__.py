"""Command-line entry: python -m local_qstash --port 8080 --data-dir DIR."""

import sys

from local_qstash.server import main

if __name__ == "__main__":
    sys.exit(main())
