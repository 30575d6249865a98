"""`make test` runs this first: say plainly whether PostgreSQL is reachable; with REQUIRE_POSTGRES=1, fail if not."""

import os
import sys

from tests.pg import admin_url, reachable


def main() -> int:
    """Print the verdict; exit 1 only when PostgreSQL is required and missing."""
    from sqlalchemy.engine import make_url

    where = make_url(admin_url()).render_as_string(hide_password=True)
    problem = reachable()
    if problem is None:
        print(f"PostgreSQL reachable at {where}: store tests run on SQLite and PostgreSQL.")
        return 0
    if os.environ.get("REQUIRE_POSTGRES") == "1" or os.environ.get("CI"):
        print(f"PostgreSQL is required but cannot be reached at {where} ({problem}).", file=sys.stderr)
        return 1
    print(
        f"WARNING: cannot reach PostgreSQL at {where} ({problem}); its tests will be SKIPPED. "
        "Set TEST_DATABASE_URL or start the server.",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
