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
    Column("coach_id", String(36), ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True),
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
