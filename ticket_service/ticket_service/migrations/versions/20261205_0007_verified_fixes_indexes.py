"""verified fixes indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05

`/stats/verified-fixes` counts per closing month: closed tickets are read from a partial index of
closed tickets by `closed_at` (an index-only scan of the asked range, not of every ticket ever),
and the answers to "Is it fixed?" from a partial index of answered links by `fix_answered_at`
(a link answers only after its ticket closed, so the range bounds the answers read too).
The predicates are written exactly as the query's, so both databases prove the indexes apply.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_tickets_closed_closed_at ON tickets (closed_at, category) WHERE status = 'closed'")
    op.execute(
        "CREATE INDEX ix_private_links_answered_at ON private_links (fix_answered_at, ticket_id, fix_answer) "
        "WHERE fix_answer IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_private_links_answered_at")
    op.execute("DROP INDEX ix_tickets_closed_closed_at")
