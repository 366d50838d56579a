"""backlog counters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Counter tables for the open-ticket and active-ticket statistics (see ticket_service.counters):
`open_backlog_hourly` (not-closed tickets per UTC opening hour and category) and
`active_counts` (active tickets per category). The upgrade backfills both from the existing
tickets, so a populated database is exact from the first request.

The backfill SQL is frozen here as it was written at this revision (a copy of
`counters.rebuild_statements` then), never imported: a later change to the application's
counters must not change what this past migration does.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CATEGORY_VALID = "category IN ('facility_management', 'technical_it', 'services_complaints')"

# Whole UTC hours since the epoch of `opened_at`. PostgreSQL: date_part() is double precision,
# exact for whole seconds; SQLite stores naive UTC text, strftime('%s') reads it as UTC.
_POSTGRESQL_HOUR = "CAST(floor(date_part('epoch', opened_at) / 3600) AS BIGINT)"
_SQLITE_HOUR = "CAST(strftime('%s', opened_at) AS INTEGER) / 3600"


def _backfill_statements(dialect: str) -> list[str]:
    """Fill both counter tables from the tickets; on PostgreSQL, writers wait until it commits."""
    hour = _POSTGRESQL_HOUR if dialect == "postgresql" else _SQLITE_HOUR
    statements = ["LOCK TABLE tickets IN SHARE MODE"] if dialect == "postgresql" else []
    return [
        *statements,
        "DELETE FROM open_backlog_hourly",
        "INSERT INTO open_backlog_hourly (hour, category, count) "  # noqa: S608 (constant SQL)
        f"SELECT {hour}, category, count(*) FROM tickets WHERE status <> 'closed' GROUP BY 1, 2",
        "DELETE FROM active_counts",
        "INSERT INTO active_counts (category, count) VALUES "
        "('facility_management', 0), ('technical_it', 0), ('services_complaints', 0)",
        "UPDATE active_counts SET count = (SELECT count(*) FROM tickets "
        "WHERE status = 'active' AND tickets.category = active_counts.category)",
    ]


def upgrade() -> None:
    op.create_table(
        "open_backlog_hourly",
        sa.Column("hour", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(_CATEGORY_VALID, name=op.f("ck_open_backlog_hourly_category_valid")),
        sa.PrimaryKeyConstraint("hour", "category", name=op.f("pk_open_backlog_hourly")),
    )
    op.create_table(
        "active_counts",
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.CheckConstraint(_CATEGORY_VALID, name=op.f("ck_active_counts_category_valid")),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_active_counts")),
    )
    # Seeds the three active_counts rows (at 0 on an empty database) and backfills both tables.
    bind = op.get_bind()
    for statement in _backfill_statements(bind.dialect.name):
        bind.execute(sa.text(statement))


def downgrade() -> None:
    op.drop_table("active_counts")
    op.drop_table("open_backlog_hourly")
