"""delivery_counts: deliveries per (coach, UTC hour, message, status), kept by triggers on deliveries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 12:50:00

The Delivery Log's counts and per-day chart read this small table instead of grouping every delivery. Triggers
keep it in the same transaction as each write to deliveries (the fan-out's claims and outcomes, support's retry),
so no code path can forget it: statement-level with transition tables on PostgreSQL (one grouped upsert per
statement, whatever the batch size), row-level on SQLite (in-process and cheap).
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PG_APPLY = """
CREATE FUNCTION delivery_counts_apply() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Sorted keys: concurrent writers lock summary rows in the same order.
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        INSERT INTO delivery_counts AS c (coach_id, hour, message_id, status, n)
        SELECT coach_id, date_trunc('hour', updated_at), message_id, status, -count(*)
        FROM old_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (coach_id, hour, message_id, status) DO UPDATE SET n = c.n + excluded.n;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO delivery_counts AS c (coach_id, hour, message_id, status, n)
        SELECT coach_id, date_trunc('hour', updated_at), message_id, status, count(*)
        FROM new_rows GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
        ON CONFLICT (coach_id, hour, message_id, status) DO UPDATE SET n = c.n + excluded.n;
    END IF;
    RETURN NULL;
END $$
"""
_PG_TRIGGERS = {
    "delivery_counts_insert": "AFTER INSERT ON deliveries REFERENCING NEW TABLE AS new_rows",
    "delivery_counts_update": "AFTER UPDATE ON deliveries REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delivery_counts_delete": "AFTER DELETE ON deliveries REFERENCING OLD TABLE AS old_rows",
}

# SQLite stores times as 'YYYY-MM-DD HH:MM:SS.ffffff'; the hour keeps that shape so it reads back as a datetime.
_HOUR = "substr({row}.updated_at, 1, 13) || ':00:00.000000'"
# Not INSERT OR IGNORE: an outer statement's own conflict handling (the fan-out's upsert) overrides a trigger's.
_ADD = """
    INSERT INTO delivery_counts (coach_id, hour, message_id, status, n)
        SELECT {row}.coach_id, {hour}, {row}.message_id, {row}.status, 0
        WHERE NOT EXISTS (SELECT 1 FROM delivery_counts WHERE coach_id = {row}.coach_id AND hour = {hour}
                          AND message_id = {row}.message_id AND status = {row}.status);
    UPDATE delivery_counts SET n = n {sign} 1
        WHERE coach_id = {row}.coach_id AND hour = {hour} AND message_id = {row}.message_id AND status = {row}.status;
"""
_SQLITE_TRIGGERS = {
    "delivery_counts_insert": ("AFTER INSERT ON deliveries", [("NEW", "+")]),
    "delivery_counts_update": (
        "AFTER UPDATE OF coach_id, message_id, status, updated_at ON deliveries",
        [("OLD", "-"), ("NEW", "+")],
    ),
    "delivery_counts_delete": ("AFTER DELETE ON deliveries", [("OLD", "-")]),
}


def upgrade() -> None:
    op.create_table(
        "delivery_counts",
        sa.Column("coach_id", sa.String(length=36), nullable=False),
        sa.Column("hour", sa.DateTime(), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("coach_id", "hour", "message_id", "status", name=op.f("pk_delivery_counts")),
    )
    op.create_index("ix_delivery_counts_hour", "delivery_counts", ["hour"], unique=False)
    postgres = op.get_bind().dialect.name == "postgresql"
    hour = "date_trunc('hour', updated_at)" if postgres else _HOUR.format(row="deliveries")
    op.execute(
        "INSERT INTO delivery_counts (coach_id, hour, message_id, status, n) "
        f"SELECT coach_id, {hour}, message_id, status, count(*) FROM deliveries GROUP BY 1, 2, 3, 4"
    )
    if postgres:
        op.execute(_PG_APPLY)
        for name, when in _PG_TRIGGERS.items():
            op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION delivery_counts_apply()")
        return
    for name, (when, changes) in _SQLITE_TRIGGERS.items():
        body = "".join(_ADD.format(row=row, hour=_HOUR.format(row=row), sign=sign) for row, sign in changes)
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW BEGIN {body} END")


def downgrade() -> None:
    for name in _PG_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON deliveries" if _postgres() else ""))
    if _postgres():
        op.execute("DROP FUNCTION IF EXISTS delivery_counts_apply()")
    op.drop_index("ix_delivery_counts_hour", table_name="delivery_counts")
    op.drop_table("delivery_counts")


def _postgres() -> bool:
    """True when migrating PostgreSQL."""
    return op.get_bind().dialect.name == "postgresql"
