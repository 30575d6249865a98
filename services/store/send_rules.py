"""A coach's quiet hours and daily cap, and the per-(client, local day) counter that enforces the cap."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from services.db.schema import client_day_counts, coach_send_rules, deliveries
from services.send_rules import SendRules, parse_clock
from services.store.base import Repository
from services.store.in_list import one_of

QUIET_OWNER = "quiet-hours"  # claimed_by of a row held to the end of its client's quiet hours


_RULES = select(coach_send_rules).where(coach_send_rules.c.coach_id == bindparam("coach_id"))  # read per firing


class SendRuleRepository(Repository):
    """Reads and writes coach rules; holds, skips and counts deliveries for them."""

    def get(self, coach_id: str) -> SendRules:
        """The coach's rules (none set: no quiet hours, no cap)."""
        with self.read() as conn:  # outside a transaction: on SQLite, not the write lock
            row = conn.execute(_RULES, {"coach_id": coach_id}).first()
        if row is None:
            return SendRules()
        return SendRules(parse_clock(row.quiet_start), parse_clock(row.quiet_end), row.daily_cap)

    def put(self, coach_id: str, rules: SendRules) -> None:
        """Replace the coach's rules."""
        values = {
            "coach_id": coach_id,
            "quiet_start": rules.quiet_start.strftime("%H:%M") if rules.quiet_start else None,
            "quiet_end": rules.quiet_end.strftime("%H:%M") if rules.quiet_end else None,
            "daily_cap": rules.daily_cap or None,
        }
        with self.engine.begin() as conn:
            conn.execute(delete(coach_send_rules).where(coach_send_rules.c.coach_id == coach_id))
            conn.execute(coach_send_rules.insert().values(values))

    def hold(self, delivery_ids: list[str], until: datetime, reason: str) -> None:
        """Keep claimed rows pending, leased to the quiet hours' end so only the held firing (or later) takes them."""
        self._update(delivery_ids, lease_until=until, claimed_by=QUIET_OWNER, last_error=reason)

    def skip(self, delivery_ids: list[str], reason: str) -> None:
        """Close claimed rows as skipped with the reason."""
        self._update(delivery_ids, status="skipped", lease_until=None, last_error=reason)

    def release(self, delivery_ids: list[str]) -> None:
        """Give claimed rows back untried (pending, no lease) for QStash's retry."""
        self._update(delivery_ids, lease_until=None, attempts=deliveries.c.attempts - 1)

    def _update(self, delivery_ids: list[str], **values) -> None:
        """Update pending rows by id."""
        if not delivery_ids:
            return
        with self.engine.begin() as conn:
            conn.execute(
                deliveries.update()
                .where(one_of(deliveries.c.id, delivery_ids, conn.dialect.name), deliveries.c.status == "pending")
                .values(**values, updated_at=self.clock())
            )

    def take_places(self, rows: list[tuple[str, str, str]], cap: int, reason: str) -> set[str]:
        """Count each (delivery id, client id, local day) against the cap; the ids that may go.

        One transaction: a row counted before (a retry) passes without counting again; a new one takes a place with
        a conditional upsert (atomic on both databases), or is skipped with the reason when the day is full.
        Clients in sorted order, so concurrent fan-outs lock counters in one order.
        """
        if not rows:
            return set()
        passed: set[str] = set()
        now = self.clock()
        with self.engine.begin() as conn:
            ids = [d for d, _, _ in rows]
            counted = set(
                conn.scalars(
                    select(deliveries.c.id).where(
                        one_of(deliveries.c.id, ids, conn.dialect.name), deliveries.c.counted_day.is_not(None)
                    )
                )
            )
            dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
            for delivery_id, client_id, day in sorted(rows, key=lambda r: (r[1], r[2], r[0])):
                if delivery_id in counted:
                    passed.add(delivery_id)
                    continue
                upsert = dialect.insert(client_day_counts).values(client_id=client_id, day=day, n=1)
                upsert = upsert.on_conflict_do_update(
                    index_elements=["client_id", "day"],
                    set_={"n": client_day_counts.c.n + 1},
                    where=client_day_counts.c.n < cap,
                ).returning(client_day_counts.c.n)
                took = conn.execute(upsert).first() is not None and cap > 0
                skipped = {"status": "skipped", "last_error": reason, "lease_until": None}
                values = {"counted_day": day} if took else skipped  # a counted row keeps its claim's lease
                conn.execute(deliveries.update().where(deliveries.c.id == delivery_id).values(**values, updated_at=now))
                if took:
                    passed.add(delivery_id)
        return passed

    def sent_on(self, client_id: str, day: str) -> int:
        """How many scheduled sends this client's local day has counted."""
        with self.engine.connect() as conn:
            n = conn.scalar(
                select(client_day_counts.c.n).where(
                    client_day_counts.c.client_id == client_id, client_day_counts.c.day == day
                )
            )
        return n or 0
