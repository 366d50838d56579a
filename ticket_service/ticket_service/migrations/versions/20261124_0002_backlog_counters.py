"""backlog counters

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

Counter tables for the open-ticket and active-ticket statistics (see ticket_service.counters):
`open_backlog_hourly` (not-closed tickets per UTC opening hour and category) and
`active_counts` (active tickets per category). The upgrade backfills both from the existing
tickets, so a populated database is exact from the first request.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ticket_service.counters import rebuild_counters_sync

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CATEGORY_VALID = "category IN ('facility_management', 'technical_it', 'services_complaints')"


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
    rebuild_counters_sync(op.get_bind())


def downgrade() -> None:
    op.drop_table("active_counts")
    op.drop_table("open_backlog_hourly")
