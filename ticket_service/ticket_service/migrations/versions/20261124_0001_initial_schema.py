"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Every table of the ticket service. Timestamps are UTC: timestamptz on
PostgreSQL, naive UTC text on SQLite (see models.UTCDateTime).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "idempotency_keys",
        sa.Column("scope", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_table(
        "resolution_histogram",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("month", "category", "bucket", name=op.f("pk_resolution_histogram")),
    )
    op.create_table(
        "resolution_monthly",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("closed_count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_seconds", sa.Float(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "category IN ('facility_management', 'technical_it', 'services_complaints')",
            name=op.f("ck_resolution_monthly_category_valid"),
        ),
        sa.PrimaryKeyConstraint("month", "category", name=op.f("pk_resolution_monthly")),
    )
    op.create_table(
        "tickets",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column(
            "category_confidence",
            sa.Float(),
            server_default=sa.text("(1.0)"),
            nullable=False,
        ),
        sa.Column(
            "category_source",
            sa.String(length=16),
            server_default=sa.text("'auto'"),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.String(length=16),
            server_default=sa.text("'open'"),
            nullable=False,
        ),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("message_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(
            "(status = 'closed' AND closed_at IS NOT NULL) OR (status <> 'closed' AND closed_at IS NULL)",
            name=op.f("ck_tickets_closed_iff_closed_at"),
        ),
        sa.CheckConstraint(
            "category IN ('facility_management', 'technical_it', 'services_complaints')",
            name=op.f("ck_tickets_category_valid"),
        ),
        sa.CheckConstraint(
            "category_source IN ('auto', 'helpdesk')",
            name=op.f("ck_tickets_category_source_valid"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'active', 'closed')",
            name=op.f("ck_tickets_status_valid"),
        ),
        sa.CheckConstraint(
            "category_confidence >= 0 AND category_confidence <= 1",
            name=op.f("ck_tickets_confidence_range"),
        ),
        sa.CheckConstraint(
            "length(trim(description)) > 0",
            name=op.f("ck_tickets_description_not_blank"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_tickets_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tickets")),
    )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_active_category",
            ["category"],
            unique=False,
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )
        batch_op.create_index(
            "ix_tickets_not_closed_opened_at",
            ["opened_at", "category"],
            unique=False,
            postgresql_where=sa.text("status <> 'closed'"),
            sqlite_where=sa.text("status <> 'closed'"),
        )
        batch_op.create_index(
            "ix_tickets_not_closed_updated_at_id",
            ["updated_at", "id"],
            unique=False,
            postgresql_where=sa.text("status <> 'closed'"),
            sqlite_where=sa.text("status <> 'closed'"),
        )
        batch_op.create_index(
            "ix_tickets_status_updated_at_id",
            ["status", "updated_at", "id"],
            unique=False,
        )
        batch_op.create_index("ix_tickets_updated_at_id", ["updated_at", "id"], unique=False)

    op.create_table(
        "category_corrections",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "ticket_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("predicted_category", sa.String(length=32), nullable=False),
        sa.Column("corrected_category", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "corrected_category IN ('facility_management', 'technical_it', 'services_complaints')",
            name=op.f("ck_category_corrections_corrected_category_valid"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_category_corrections_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_corrections")),
    )
    op.create_table(
        "messages",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "ticket_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "author_role IN ('user', 'helpdesk')",
            name=op.f("ck_messages_author_role_valid"),
        ),
        sa.CheckConstraint("length(trim(body)) > 0", name=op.f("ck_messages_body_not_blank")),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_messages_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.create_index("ix_messages_ticket_id_id", ["ticket_id", "id"], unique=False)

    op.create_table(
        "ticket_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "ticket_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('created', 'description_changed', 'status_changed', 'category_changed')",
            name=op.f("ck_ticket_events_kind_valid"),
        ),
        sa.CheckConstraint("role IN ('user', 'helpdesk')", name=op.f("ck_ticket_events_role_valid")),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_events_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_events")),
    )
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.create_index("ix_ticket_events_ticket_id_id", ["ticket_id", "id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # Trigram index: case-insensitive substring search (ILIKE '%...%') without a scan.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_tickets_description_trgm ON tickets USING gin (description gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_tickets_description_trgm")
    with op.batch_alter_table("ticket_events", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_events_ticket_id_id")

    op.drop_table("ticket_events")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index("ix_messages_ticket_id_id")

    op.drop_table("messages")
    op.drop_table("category_corrections")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_updated_at_id")
        batch_op.drop_index("ix_tickets_status_updated_at_id")
        batch_op.drop_index(
            "ix_tickets_not_closed_updated_at_id",
            postgresql_where=sa.text("status <> 'closed'"),
            sqlite_where=sa.text("status <> 'closed'"),
        )
        batch_op.drop_index(
            "ix_tickets_not_closed_opened_at",
            postgresql_where=sa.text("status <> 'closed'"),
            sqlite_where=sa.text("status <> 'closed'"),
        )
        batch_op.drop_index(
            "ix_tickets_active_category",
            postgresql_where=sa.text("status = 'active'"),
            sqlite_where=sa.text("status = 'active'"),
        )

    op.drop_table("tickets")
    op.drop_table("resolution_monthly")
    op.drop_table("resolution_histogram")
    op.drop_table("idempotency_keys")
