"""What the README's curl examples need in the offline demo: the scheduler API key and the demo coaches' ids."""

from __future__ import annotations

import shlex

from services.demo_seed import DEMO_LOGINS
from services.errors import UserError


def lines(services) -> list[str]:
    """Shell lines to eval (`export KEY=…`, `export COACH_ID=…`); refused outside the embedded demo."""
    settings = services.settings
    if not (settings.embedded_database and settings.embedded_qstash) or settings.scheduler_api_key is not None:
        raise UserError(
            "show-demo-keys works in the offline demo only. In production the key is your SCHEDULER_API_KEY, "
            "and a coach's id is on the Accounts page."
        )
    from services.bootstrap import resolved_secrets

    key = resolved_secrets(settings)["scheduler_api_key"]
    coaches = []
    for email, _ in DEMO_LOGINS:
        found = services.store.accounts.find_by_email(email)
        if found and found[0].role == "coach":
            coaches.append(found[0])
    if not coaches:
        raise UserError("No demo coaches yet: run `make run` (or `python -m services seed`) first.")
    first = coaches[0]
    out = [
        "# Offline demo only: eval this, then use $KEY and $COACH_ID in the README's curl examples.",
        f"export KEY={shlex.quote(key)}",
        f"export COACH_ID={shlex.quote(first.id)}  # {first.email} ({first.display_name})",
    ]
    out += [f"# {c.email} ({c.display_name}): {c.id}" for c in coaches[1:]]
    return out
