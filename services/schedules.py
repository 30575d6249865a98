"""Schedule lifecycle for the Message Scheduler and Schedules pages: create, read, edit, pause, resume, cancel.

The store and QStash change together: a refusal by QStash leaves the row in 'error' with the reason.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta

from services import audit_text, big_send, compose, directory, preview, recurrence
from services.domain import Account, Actor, Client, Message
from services.drift import Drift, drift_of, find_drift, require_orphan_rights
from services.errors import NotFound, SchedulerUnavailable, UserError
from services.observability.actions import logged
from services.qstash.registrar import Registrar
from services.saved_texts import TemplateService
from services.store import Store
from services.store.base import Clock

log = logging.getLogger(__name__)


class ScheduleService:
    """What the Message Scheduler and Schedules pages ask for."""

    def __init__(
        self,
        store: Store,
        registrar: Registrar,
        clock: Clock,
        min_interval: timedelta = compose.DEFAULT_MIN_INTERVAL,
        confirm_above: int = big_send.DEFAULT_CONFIRM_ABOVE,
    ):
        self.store = store
        self.registrar = registrar
        self.clock = clock
        self.min_interval = min_interval  # rules sending more often need the coach's confirmation
        self.confirm_above = confirm_above  # new messages to more recipients than this are confirmed first
        self.templates = TemplateService(store)  # the compose form's saved texts

    # Reads for the pages.

    def list(
        self,
        actor: Actor,
        status: str | None = None,
        kind: str | None = None,
        search: str | None = None,
        coach_id: str | None = None,
        limit: int = 25,
        offset: int = 0,
    ) -> tuple[list[dict], int]:
        """One page of the actor's messages (newest first) under the filters, and the total; each row says how
        many clients a "chosen clients" message names (`client_count`)."""
        rows, total = self.store.messages.list(
            actor, status=status, kind=kind, search=search, coach_id=coach_id, limit=limit, offset=offset
        )
        counts = self.store.messages.recipient_counts([r["id"] for r in rows if r["target"] == "clients"])
        return [dict(r, client_count=counts.get(r["id"], 0)) for r in rows], total

    def get(self, actor: Actor, message_id: str) -> Message:
        """One message the actor may see."""
        return self.store.messages.get(actor, message_id)

    def coach_names(self, actor: Actor) -> dict[str, str] | None:
        """Coach names for support's filter and column; None for a coach."""
        return directory.coach_names(self.store, actor)

    def tags(self, owner: Actor) -> list[str]:
        """The tags a message of this coach may target."""
        return self.store.clients.tags(owner)

    def clients(self, owner: Actor, limit: int = 500) -> list[Client]:
        """The clients a message of this coach may be sent to, by name."""
        return self.store.clients.list(owner, limit=limit)

    def recipients(self, actor: Actor, message: Message) -> str:
        """Who the message targets, in words."""
        if message.target == "all":
            return "all clients"
        if message.target == "tag":
            return f"clients tagged '{message.target_tag}'"
        names = [c.name for c in self.store.clients.get_many(actor, list(message.client_ids))]
        return ", ".join(names) or "nobody"

    def audit_trail(self, actor: Actor, message_id: str, zone_name: str) -> list[dict]:
        """Who did what to the message, newest first: people's names and the changes in words (times in zone_name)."""
        events = self.store.audit.list(actor, message_id=message_id)
        names = {}
        for actor_id in {e["actor_id"] for e in events if e["actor_id"]}:
            with contextlib.suppress(NotFound):
                names[actor_id] = self.store.accounts.get(actor_id).display_name
        return audit_text.readable(events, names, zone_name)

    def repair_reason(self, actor: Actor, message_id: str) -> str | None:
        """Why the message needs Repair (its error, or where QStash disagrees with it), or None when it does not."""
        message = self.store.messages.get(actor, message_id)
        if message.status == "error":
            return message.last_error or "QStash refused it."
        try:
            found = drift_of(self.registrar, message, self.clock())
        except SchedulerUnavailable as exc:
            return f"QStash could not be checked: {exc.message}"
        return "; ".join(f"{d.qstash_id or 'QStash'}: {d.problem}" for d in found) or None

    def links(self, message_id: str) -> dict[str, str]:
        """Zone group → QStash id registered for the message."""
        return self.registrar.links(message_id)

    def preview(self, account: Account, request: compose.ScheduleRequest) -> preview.Preview:
        """What a request will do, before it is saved."""
        return preview.build(self.store, account, request, self.clock(), self.min_interval)

    def sends_too_often(self, account: Account, request: compose.ScheduleRequest) -> bool:
        """True when a custom rule sends more often than the minimum interval (the form then asks to confirm)."""
        if request.kind != "cron":
            return False
        try:
            cron = recurrence.validate_cron(request.cron or "")
            gap = compose.frequency_gap(cron, request.timezone or account.timezone, self.clock())
        except UserError:
            return False  # the rule itself is wrong: the form shows that error instead
        return gap is not None and gap < self.min_interval

    def longest_text(self, owner: Actor, request: compose.ScheduleRequest) -> tuple[int, str | None]:
        """How long the longest personalised text of this request is, and whose (the template's length when its
        fields are broken: the form shows that error instead)."""
        body = (request.body or "").strip()
        try:
            return compose.personalised_length(self.store, owner, request, body, list(request.client_ids))
        except UserError:
            return len(body), None

    def big_send_question(self, account: Account, request: compose.ScheduleRequest) -> str | None:
        """What to ask before saving a big new send (count and rule in words), or None for an ordinary one."""
        try:
            shown = self.preview(account, request)
        except UserError:
            return None  # the form shows what is wrong with the timing instead
        zone_name = request.timezone or account.timezone
        return big_send.question(request, shown, zone_name, self.clock(), self.confirm_above)

    # Changes.

    @logged("create schedule")
    def create(self, account: Account, request: compose.ScheduleRequest) -> Message:
        """Validate, store, then register with QStash; a refusal leaves the row in 'error' with the reason."""
        actor = account.as_actor()
        values, client_ids = compose.validate(
            self.store, actor, request, account.timezone, self.clock(), self.min_interval
        )
        if not request.confirm_big and (asked := self.big_send_question(account, request)):
            raise UserError(f"{asked} Confirm to schedule it.", "confirm_big")
        if not request.idempotency_key:
            return self._register_or_record(actor, self.store.messages.insert(actor, values, client_ids))
        message, created = self.store.messages.insert_once(actor, values, client_ids, request.idempotency_key)
        # The same submission again (a double click, a retried request): the first message, never a second one.
        return self._register_or_record(actor, message) if created else message

    @logged("edit schedule")
    def edit(self, account: Account, message_id: str, request: compose.ScheduleRequest, version: int) -> Message:
        """Change an active message; the old QStash firing is replaced."""
        actor = account.as_actor()
        current = self._editable(actor, message_id)
        # Validate in the message's coach's scope (support may edit): their clients, tags and default zone.
        owner = self.store.accounts.get(current.coach_id)
        values, client_ids = compose.validate(
            self.store, owner.as_actor(), request, owner.timezone, self.clock(), self.min_interval
        )
        values["status"] = current.status
        before = self.registrar.links(message_id)
        # The versioned write comes first: a stale form fails here, before QStash is touched, so it can never
        # withdraw what the winning edit registered.
        message = self.store.messages.update(actor, message_id, values, version, "edit", client_ids)
        if message.status == "paused":  # nothing fires while paused; resume registers the new rule
            self.store.messages.set_qstash_links(message_id, {})
            self._withdraw(current, before, keep=set())
            return message
        try:
            message = self._register_latest(actor, message_id)
        finally:
            # Old firings the new registration did not reuse (a one-time send at another time, a zone group
            # nobody is in, a schedule replaced by a one-time send) go, whether or not the new one registered.
            self._withdraw(current, before, keep=set(self.registrar.links(message_id).values()))
        return message

    @logged("pause schedule")
    def pause(self, actor: Actor, message_id: str) -> Message:
        """Stop sends until resumed: the row first (the webhook sends nothing for a paused message), then QStash."""
        message = self._editable(actor, message_id)
        if message.status != "scheduled":
            raise UserError("Only scheduled messages can be paused.")
        paused = self.store.messages.update(actor, message_id, {"status": "paused"}, message.version, "pause")
        try:
            self.registrar.pause(paused)
        except SchedulerUnavailable as exc:
            raise SchedulerUnavailable(
                f"Paused: nothing will be sent. QStash still fires it, though ({exc.message}) — "
                "the drift check shows it and Repair fixes it."
            ) from None
        return paused

    @logged("resume schedule")
    def resume(self, actor: Actor, message_id: str) -> Message:
        """Send again from the next occurrence; a one-time message must still be in the future."""
        message = self._editable(actor, message_id)
        if message.status not in ("paused", "error"):
            raise UserError("Only paused messages can be resumed.")
        if not message.recurring and message.send_at <= self.clock():
            raise UserError("The send time has passed. Edit the message to pick a new time.")
        message = self.store.messages.update(
            actor, message_id, {"status": "scheduled", "last_error": None}, message.version, "resume"
        )
        if self.registrar.resume_in_place(message):
            return message
        return self._register_or_record(actor, message)

    @logged("cancel schedule")
    def cancel(self, actor: Actor, message_id: str) -> Message:
        """Stop for good: QStash firings are removed, then the row says cancelled."""
        message = self.store.messages.get(actor, message_id)
        if message.status in ("cancelled", "completed"):
            raise UserError(f"This message is already {message.status}.")
        # The row first: from here on the webhook sends nothing for it, whatever QStash still holds.
        cancelled = self.store.messages.update(actor, message_id, {"status": "cancelled"}, message.version, "cancel")
        try:
            self.registrar.unregister(message)
        except SchedulerUnavailable as exc:
            raise SchedulerUnavailable(
                f"Cancelled: nothing will be sent. QStash could not remove its firing ({exc.message}); "
                "support can remove it from the drift check."
            ) from None
        return cancelled

    @logged("delete schedule")
    def delete(self, actor: Actor, message_id: str) -> Message:
        """Take a cancelled or completed message off the lists; its delivery history and audit trail stay."""
        message = self.store.messages.get(actor, message_id)
        if message.status not in ("cancelled", "completed"):
            raise UserError("Only cancelled or completed messages can be deleted. Cancel it first.")
        # A soft delete: runs and deliveries reference the message (and would cascade on a real delete).
        return self.store.messages.update(actor, message_id, {"deleted_at": self.clock()}, message.version, "delete")

    def duplicate(self, actor: Actor, message_id: str) -> compose.ScheduleRequest:
        """A new compose-form request with the message's text, audience and rule (a past one-time send left to pick)."""
        message = self.store.messages.get(actor, message_id)
        request = compose.request_for(message)
        request.title = f"{message.title} (copy)"[: compose.MAX_TITLE]
        if message.kind == "once" and message.send_at <= self.clock():
            request.send_date = request.send_time = None
        return request

    @logged("repair schedule")
    def repair(self, actor: Actor, message_id: str) -> Message:
        """Re-register a message whose QStash side drifted or failed."""
        message = self.store.messages.get(actor, message_id)
        if message.status not in ("scheduled", "error"):
            raise UserError("Only scheduled messages can be repaired.")
        return self._register_or_record(actor, message, renewal=self.clock().isoformat())

    def register_stored(self, payload: dict) -> dict[str, str]:
        """The guide's /api/qstash-schedule: register a stored message of that coach with QStash."""
        message_id, coach_id = payload.get("messageId"), payload.get("coachId")
        if not isinstance(message_id, str) or not isinstance(coach_id, str):
            raise UserError("messageId and coachId are required.")
        message = self.store.messages.get_unscoped(message_id)
        if message is None or message.coach_id != coach_id:
            raise UserError("No such message for this coach.")
        kind = payload.get("scheduleType")
        if kind and (kind == "once") != (message.kind == "once"):
            raise UserError(f"scheduleType '{kind}' does not match the stored message ({message.kind}).")
        self.repair(Actor(coach_id, "coach"), message_id)
        return self.registrar.links(message_id)

    def reregister_client_zones(self, coach_id: str) -> list[str]:
        """Re-register the coach's recurring "each client's zone" schedules; returns the titles QStash refused."""
        owner = Actor(coach_id, "coach")
        rows, _ = self.store.messages.list(owner, status="scheduled", limit=500)
        failed = []
        for row in rows:
            if row["kind"] != "once" and row["zone_mode"] == "client":
                try:
                    self.repair(owner, row["id"])
                except SchedulerUnavailable:
                    failed.append(row["title"])  # the row now says 'error' with the reason; Repair retries
        return failed

    def drift(self, actor: Actor) -> list[Drift]:
        """Where the store and QStash disagree, as far as the actor may see."""
        return find_drift(self.store, self.registrar, actor, self.clock())

    @logged("repair drift")
    def repair_drift(self, actor: Actor, found: Drift) -> None:
        """Make QStash match the store for one drift row."""
        if found.message_id is None:
            require_orphan_rights(actor)
            self.registrar.scheduler.delete_schedule(found.qstash_id)
            return
        message = self.store.messages.get(actor, found.message_id)  # scoped: another coach's is "not found"
        if message.status == "paused":
            self.registrar.scheduler.pause_schedule(found.qstash_id)
        else:
            self.repair(actor, message.id)

    def _editable(self, actor: Actor, message_id: str) -> Message:
        """A message that may still change."""
        message = self.store.messages.get(actor, message_id)
        if message.status in ("cancelled", "completed"):
            raise UserError(f"This message is {message.status} and can no longer change.")
        return message

    def _register_latest(self, actor: Actor, message_id: str) -> Message:
        """Register the message as stored now; if another change landed meanwhile, register that one too.

        Registration runs after the versioned write, so two quick edits could reach QStash in the wrong order;
        re-reading until the version holds makes QStash end with the newest rule.
        """
        for _ in range(5):
            message = self.store.messages.get(actor, message_id)
            if message.status == "paused":
                self.registrar.pause(message)
                return message
            if message.status not in ("scheduled", "error"):
                return message
            registered = self._register_or_record(actor, message)
            if self.store.messages.get(actor, message_id).version in (message.version, registered.version):
                return registered
        return self.store.messages.get(actor, message_id)

    def _withdraw(self, old: Message, links: dict[str, str], keep: set[str]) -> None:
        """Remove the old version's firings that are no longer used (best effort: drift shows what is left)."""
        leftovers = {zone: qid for zone, qid in links.items() if qid not in keep}
        try:
            self.registrar.withdraw(old, leftovers)
        except SchedulerUnavailable:
            log.warning("could not withdraw %d old QStash firing(s) of message %s", len(leftovers), old.id)

    def _register_or_record(self, actor: Actor, message: Message, renewal: str = "") -> Message:
        """Register with QStash; on refusal record the reason on the row and re-raise for the page."""
        try:
            self.registrar.register(message, renewal)
        except SchedulerUnavailable as exc:
            self.store.messages.update(
                actor, message.id, {"status": "error", "last_error": exc.message}, action="qstash_error"
            )
            raise
        if message.status == "error":
            return self.store.messages.update(
                actor, message.id, {"status": "scheduled", "last_error": None}, action="repair"
            )
        return self.store.messages.get(actor, message.id)
