"""The data model of DESIGN §4 as SQLAlchemy Core tables; constraints make bad rows impossible."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)

from services.db.types import UTCDateTime
from services.domain import ROLES

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

TARGETS = ("all", "tag", "clients")
KINDS = ("once", "daily", "weekly", "cron")
ZONE_MODES = ("coach", "client")
MESSAGE_STATUSES = ("scheduled", "paused", "cancelled", "completed", "error")
DELIVERY_STATUSES = ("pending", "sent", "failed", "skipped")


def _in(column: str, values: tuple[str, ...]) -> str:
    """A CHECK expression restricting a column to fixed values."""
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


accounts = Table(
    "accounts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("display_name", String(120), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("chat_user_id", String(64), nullable=False, unique=True),
    Column("password_hash", Text),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    # Sessions that signed in before this instant are over (password reset, deactivation).
    Column("sessions_valid_after", UTCDateTime),
    # The Supabase Auth user (auth.uid()) last signed in with this email: what row-level security policies match.
    Column("auth_user_id", String(36), unique=True),
    CheckConstraint(_in("role", ROLES), name="role"),
)

clients = Table(
    "clients",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("chat_user_id", String(64), nullable=False, unique=True),
    Column("timezone", String(64), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("email", String(254)),  # optional: filled by the CSV import
)

client_tags = Table(
    "client_tags",
    metadata,
    Column("client_id", String(36), ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("tag", String(40), primary_key=True),
    Index("ix_client_tags_tag", "tag"),
)

scheduled_messages = Table(
    "scheduled_messages",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("title", String(120), nullable=False),
    Column("body", Text, nullable=False),
    Column("target", String(8), nullable=False),
    Column("target_tag", String(40)),
    Column("kind", String(8), nullable=False),
    Column("send_at", UTCDateTime),
    Column("cron", String(120)),
    Column("timezone", String(64), nullable=False),
    Column("zone_mode", String(8), nullable=False, default="coach"),
    Column("end_at", UTCDateTime),
    Column("max_occurrences", Integer),
    Column("status", String(16), nullable=False),
    Column("qstash_id", Text),
    Column("last_error", Text),
    Column("version", Integer, nullable=False, default=1),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("next_run_at", UTCDateTime),
    Column("last_run_at", UTCDateTime),
    Column("occurrences", Integer, nullable=False, default=0),
    Column("sent_count", Integer, nullable=False, default=0),
    Column("failed_count", Integer, nullable=False, default=0),
    # One message per compose-form submission: a second click or a replayed request finds the first.
    Column("idempotency_key", String(64)),
    # Deleted from the lists, kept for the delivery history (runs and deliveries cascade on a real delete).
    Column("deleted_at", UTCDateTime),
    # A send that falls in a client's quiet hours: "hold" until they end, or "skip" it.
    Column("quiet_action", String(8), nullable=False, server_default="hold"),
    UniqueConstraint("coach_id", "idempotency_key", name="uq_scheduled_messages_coach_idempotency"),
    CheckConstraint(_in("target", TARGETS), name="target"),
    CheckConstraint(_in("kind", KINDS), name="kind"),
    CheckConstraint(_in("zone_mode", ZONE_MODES), name="zone_mode"),
    CheckConstraint(_in("status", MESSAGE_STATUSES), name="status"),
    CheckConstraint("(kind = 'once') = (send_at IS NOT NULL)", name="once_has_send_at"),
    CheckConstraint("(kind = 'once') OR (cron IS NOT NULL)", name="recurring_has_cron"),
    CheckConstraint("(target = 'tag') = (target_tag IS NOT NULL)", name="tag_target"),
    CheckConstraint("max_occurrences IS NULL OR max_occurrences > 0", name="max_occurrences"),
    CheckConstraint("length(body) BETWEEN 1 AND 5000", name="body_length"),
    # The guide's SQL: "CREATE INDEX idx_scheduled_messages_qstash_id ON scheduled_messages(qstash_id)".
    Index("idx_scheduled_messages_qstash_id", "qstash_id"),
)

message_recipients = Table(
    "message_recipients",
    metadata,
    Column("message_id", String(36), ForeignKey("scheduled_messages.id", ondelete="CASCADE"), primary_key=True),
    Column("client_id", String(36), ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
)

qstash_links = Table(
    "qstash_links",
    metadata,
    Column("message_id", String(36), ForeignKey("scheduled_messages.id", ondelete="CASCADE"), primary_key=True),
    Column("zone", String(64), primary_key=True),
    Column("qstash_id", Text, nullable=False),
)

delivery_runs = Table(
    "delivery_runs",
    metadata,
    Column("id", String(36), primary_key=True),
    Column(
        "message_id", String(36), ForeignKey("scheduled_messages.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("qstash_message_id", String(128), index=True),
    Column("retried", Integer, nullable=False, default=0),
    Column("slot", String(40), nullable=False),
    Column("zone", String(64)),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("outcome", String(16)),
    Column("total", Integer, nullable=False, default=0),
    Column("sent", Integer, nullable=False, default=0),
    Column("failed", Integer, nullable=False, default=0),
    Column("skipped", Integer, nullable=False, default=0),
    Column("pending", Integer, nullable=False, default=0),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("message_id", String(36), ForeignKey("scheduled_messages.id", ondelete="CASCADE"), nullable=False),
    # Indexed by ix_deliveries_coach_updated_id below, which leads with it (a second index would only cost writes).
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("slot", String(40), nullable=False),
    Column("client_id", String(36), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("run_id", String(36), ForeignKey("delivery_runs.id", ondelete="SET NULL")),
    Column("status", String(8), nullable=False),
    Column("chat_message_id", String(255)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("claimed_by", String(128)),
    Column("claimed_retried", Integer),
    Column("lease_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    # The client's local day this send was counted against the coach's daily cap (set once, so a retry does not
    # count it again).
    Column("counted_day", String(10)),
    # The duplicate guard: one row per (message, occurrence slot, client).
    UniqueConstraint("message_id", "slot", "client_id", name="uq_deliveries_message_slot_client"),
    CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
    CheckConstraint("attempts >= 0", name="attempts"),
    Index("ix_deliveries_status_updated", "status", "updated_at"),
)

# The Delivery Log's sort order (newest first, id as tie-break), for one coach and for support.
Index("ix_deliveries_coach_updated_id", deliveries.c.coach_id, deliveries.c.updated_at.desc(), deliveries.c.id)
Index("ix_deliveries_updated_id", deliveries.c.updated_at.desc(), deliveries.c.id)

# A coach's saved texts, reused in the compose form (validated like a message body).
message_templates = Table(
    "message_templates",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(80), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("coach_id", "name", name="uq_message_templates_coach_name"),
    CheckConstraint("length(body) BETWEEN 1 AND 5000", name="body_length"),
)

# Deliveries per (coach, UTC hour, message, status), kept by triggers on deliveries (migration 0006) in the same
# transaction as every write: the Delivery Log's counts and chart read this instead of grouping every delivery.
delivery_counts = Table(
    "delivery_counts",
    metadata,
    Column("coach_id", String(36), primary_key=True),
    Column("hour", UTCDateTime, primary_key=True),
    Column("message_id", String(36), primary_key=True),
    Column("status", String(8), primary_key=True),
    Column("n", Integer, nullable=False),
    Index("ix_delivery_counts_hour", "hour"),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor_id", String(36), ForeignKey("accounts.id", ondelete="SET NULL")),
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), index=True),
    Column("message_id", String(36), ForeignKey("scheduled_messages.id", ondelete="CASCADE"), index=True),
    Column("action", String(32), nullable=False),
    Column("old_values", Text),
    Column("new_values", Text),
)

inbox_messages = Table(
    "inbox_messages",
    metadata,
    Column("id", String(255), primary_key=True),
    Column("channel_id", String(64), nullable=False, index=True),
    Column("coach_chat_id", String(64), nullable=False),
    Column("client_chat_id", String(64), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # True for a client's own message (the inbox's "reply as this client"); False for what the coach sent.
    Column("from_client", Boolean, nullable=False, server_default=false()),
)

# Each QStash signature's `jti`, kept until the signature expires: a replayed request is recognised and sends
# nothing (DESIGN §9: which occurrence a request belongs to never rests on unsigned headers alone).
signature_ids = Table(
    "signature_ids",
    metadata,
    Column("jti", String(128), primary_key=True),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
)

# Failed sign-ins per account (email) and per browser session, for throttling; old rows are purged.
sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("subject", String(300), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Index("ix_sign_in_failures_subject_at", "subject", "at"),
)

# Replies and nudges (issue 12; migration 0009r).

# Deliveries of one client, newest first: where a reply finds the check-in it answers.
Index("ix_deliveries_client_sent", deliveries.c.client_id, deliveries.c.sent_at)

# A message's follow-up: "if no reply within delay_seconds, send body" (one per message; cascades with it).
message_follow_ups = Table(
    "message_follow_ups",
    metadata,
    Column("message_id", String(36), ForeignKey("scheduled_messages.id", ondelete="CASCADE"), primary_key=True),
    Column("delay_seconds", Integer, nullable=False),
    Column("body", Text, nullable=False),
    CheckConstraint("delay_seconds > 0", name="delay_positive"),
    CheckConstraint("length(body) BETWEEN 1 AND 5000", name="body_length"),
)

# A client's first reply to one delivery, keyed by the chat message id so a retried webhook records nothing new.
replies = Table(
    "replies",
    metadata,
    Column("id", String(255), primary_key=True),  # the client's chat message id
    Column("delivery_id", String(36), ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False, unique=True),
    Column("message_id", String(36), ForeignKey("scheduled_messages.id", ondelete="CASCADE"), nullable=False),
    Column("slot", String(40), nullable=False),
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("client_id", String(36), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("replied_at", UTCDateTime, nullable=False),
    Column("seconds_to_reply", Integer, nullable=False),  # stored, so the median is one portable aggregate
    Column("received_at", UTCDateTime, nullable=False),
    CheckConstraint("seconds_to_reply >= 0", name="seconds_to_reply"),
    Index("ix_replies_message_slot", "message_id", "slot"),
)

NUDGE_STATUSES = ("scheduled", "sent", "cancelled", "skipped")

# One follow-up per (message, occurrence slot, zone group): created once after the occurrence's fan-out.
nudges = Table(
    "nudges",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("message_id", String(36), ForeignKey("scheduled_messages.id", ondelete="CASCADE"), nullable=False),
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("slot", String(40), nullable=False),
    Column("zone", String(64), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("qstash_message_id", String(128)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("message_id", "slot", "zone", name="uq_nudges_message_slot_zone"),
    CheckConstraint(_in("status", NUDGE_STATUSES), name="status"),
)

# One row per (nudge, delivery) it may go to, claimed like deliveries: the follow-up reaches a client at most once.
nudge_sends = Table(
    "nudge_sends",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("nudge_id", String(36), ForeignKey("nudges.id", ondelete="CASCADE"), nullable=False),
    Column("delivery_id", String(36), ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(36), ForeignKey("clients.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(8), nullable=False),
    Column("chat_message_id", String(255)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("claimed_by", String(128)),
    Column("claimed_retried", Integer),
    Column("lease_until", UTCDateTime),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    UniqueConstraint("nudge_id", "delivery_id", name="uq_nudge_sends_nudge_delivery"),
    CheckConstraint(_in("status", DELIVERY_STATUSES), name="status"),
)

# Dashboard sign-ins (services.web_sessions): the browser's cookie holds a random token, this table only its
# SHA-256, so a leaked table opens no session.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("account_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
    Column("expires_at", UTCDateTime, nullable=False, index=True),
    Column("revoked_at", UTCDateTime, nullable=True),
)

# Operator alerts (issue 11): one open row per condition. open_key holds the condition while the alert is open and
# NULL once resolved (NULLs never clash in a UNIQUE column on SQLite or PostgreSQL), so two checkers at once open one
# alert. notice_due names the message still owed to the alert webhook; whoever clears it sends it.
ALERT_NOTICES = ("opened", "resolved")
alerts = Table(
    "alerts",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("condition", String(32), nullable=False),
    Column("open_key", String(32), unique=True),
    Column("detail", Text, nullable=False),
    Column("opened_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("last_notified", UTCDateTime),
    Column("notice_due", String(8)),
    CheckConstraint(f"notice_due IS NULL OR {_in('notice_due', ALERT_NOTICES)}", name="notice_due"),
    Index("ix_alerts_opened_at", "opened_at"),
)

# QStash's failure callbacks: one row per QStash message that exhausted its retries (the primary key makes a
# replayed callback a no-op). No foreign key: the message may be unknown (a 489) or deleted since.
dead_letters = Table(
    "dead_letters",
    metadata,
    Column("qstash_message_id", String(128), primary_key=True),
    Column("dlq_id", String(128)),
    Column("message_id", String(36), index=True),
    Column("slot", String(40)),
    Column("reason", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
)

# "Send a test to me" from the Message Scheduler: the personalised text sent to the coach's own chat. Kept apart
# from deliveries on purpose, so a test never counts as a delivery to clients.
test_sends = Table(
    "test_sends",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("client_id", String(36), ForeignKey("clients.id", ondelete="SET NULL")),  # the sample client
    Column("title", String(120), nullable=False),
    Column("text", Text, nullable=False),
    Column("status", String(8), nullable=False),
    Column("chat_message_id", String(255)),
    Column("error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Index("ix_test_sends_coach_id_created_at", "coach_id", "created_at"),
    CheckConstraint(_in("status", ("sending", "sent", "failed")), name="status"),
)

# One row per coach: when their last test went, so a burst of clicks sends one test (an atomic conditional UPDATE).
test_send_gates = Table(
    "test_send_gates",
    metadata,
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("last_at", UTCDateTime, nullable=False),
)


# A coach's quiet hours (local to each client) and daily cap per client, across all their schedules.
coach_send_rules = Table(
    "coach_send_rules",
    metadata,
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True),
    Column("quiet_start", String(5)),  # "21:00"; both NULL: no quiet hours
    Column("quiet_end", String(5)),
    Column("daily_cap", Integer),  # NULL: no cap
    CheckConstraint("(quiet_start IS NULL) = (quiet_end IS NULL)", name="quiet_pair"),
    CheckConstraint("daily_cap IS NULL OR daily_cap > 0", name="daily_cap"),
)

# Sends counted per (client, local day) against the cap: one conditional upsert takes a place or finds none.
client_day_counts = Table(
    "client_day_counts",
    metadata,
    Column("client_id", String(36), ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True),
    Column("day", String(10), primary_key=True),
    Column("n", Integer, nullable=False),
)
