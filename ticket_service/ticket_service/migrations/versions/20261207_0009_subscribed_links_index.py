"""subscribed links index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

The mail sender erases addresses 30 days after closure and looks them up every few minutes
in every worker: a partial index holds only the links with an address, so that look-up reads
the few subscribed links instead of every link of every ticket.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_private_links_subscribed ON private_links (ticket_id) WHERE email IS NOT NULL")


def downgrade() -> None:
    op.execute("DROP INDEX ix_private_links_subscribed")
