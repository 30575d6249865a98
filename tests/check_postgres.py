"""`make test` runs this first: say plainly whether PostgreSQL and PgBouncer are reachable; with REQUIRE_POSTGRES=1
(or CI), fail if not."""

import os
import sys

from tests.pg import admin_url, pooler_admin_url, reachable


def _verdict(name: str, url: str, consequence: str) -> bool:
    """Print whether the server at url answers; True when it does or is not required."""
    from sqlalchemy.engine import make_url

    where = make_url(url).render_as_string(hide_password=True)
    problem = reachable(url)
    if problem is None:
        print(f"{name} reachable at {where}.")
        return True
    if os.environ.get("REQUIRE_POSTGRES") == "1" or os.environ.get("CI"):
        print(f"{name} is required but cannot be reached at {where} ({problem}).", file=sys.stderr)
        return False
    print(f"WARNING: cannot reach {name} at {where} ({problem}); {consequence}", file=sys.stderr)
    return True


def main() -> int:
    """Print the verdicts; exit 1 only when a required server is missing."""
    postgres = _verdict(
        "PostgreSQL",
        admin_url(),
        "its tests will be SKIPPED. Set TEST_DATABASE_URL or start the server.",
    )
    pooler = _verdict(
        "PgBouncer",
        pooler_admin_url(),
        "the tests through a transaction pooler will be SKIPPED. Run `.ci/pgbouncer start` or set TEST_PGBOUNCER_URL.",
    )
    return 0 if postgres and pooler else 1


if __name__ == "__main__":
    sys.exit(main())
