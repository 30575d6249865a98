"""Run the stand-in on its own: python -m tests.stream_standin --port 8765 --latency 0.05."""

from __future__ import annotations

import argparse
import time

from tests.stream_standin.standin import DEFAULT_KEY, DEFAULT_SECRET, StreamStandIn


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted; point STREAM_CHAT_URL at the printed URL."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--api-key", default=DEFAULT_KEY)
    parser.add_argument("--api-secret", default=DEFAULT_SECRET)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per call")
    parser.add_argument("--send-limit", type=int, default=None, help="sends per minute")
    args = parser.parse_args(argv)
    standin = StreamStandIn(args.api_key, args.api_secret, latency=args.latency, port=args.port)
    standin.rate_limit(args.send_limit)
    print(f"STREAM_CHAT_URL={standin.start()}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        standin.stop()


if __name__ == "__main__":
    main()
