"""private links

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

Private links (`/t/<token>`, issue 14): `private_links` holds one row per link, its token only
as a SHA-256 hash, with what its holder has read, the answer to "Is it fixed?" and an optional
e-mail address for updates. `mail_outbox` holds the e-mail updates to send, written in the
transaction of the event they tell about. `tickets.follows_up` names the closed ticket a
"Still broken" follow-up continues and `tickets.affected_count` counts the people affected.
The ticket columns are added with plain `ALTER TABLE ... ADD COLUMN` (the table is never rebuilt).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    # Same text on both databases: a column constraint naming the foreign key.
    op.execute(
        "ALTER TABLE tickets ADD COLUMN follows_up BIGINT "
        "CONSTRAINT fk_tickets_follows_up_tickets REFERENCES tickets (id)"
    )
    op.execute("ALTER TABLE tickets ADD COLUMN affected_count INTEGER DEFAULT 1 NOT NULL")
    op.execute("CREATE INDEX ix_tickets_follows_up ON tickets (follows_up) WHERE follows_up IS NOT NULL")
    # Staff sort "most affected first, then newest activity" among open and active tickets.
    op.execute(
        "CREATE INDEX ix_tickets_not_closed_affected ON tickets (affected_count, updated_at, id) "
        "WHERE status <> 'closed'"
    )

    op.create_table(
        "private_links",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", _BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("revoked_at", _UTC, nullable=True),
        sa.Column("seen_message_id", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("fix_answer", sa.String(length=8), nullable=True),
        sa.Column("fix_answered_at", _UTC, nullable=True),
        sa.Column("follow_up_ticket_id", _BIG_ID, nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("email_since", _UTC, nullable=True),
        sa.Column("unsubscribe_hash", sa.String(length=64), nullable=True),
        sa.CheckConstraint("kind IN ('reporter', 'follower')", name=op.f("ck_private_links_kind_valid")),
        sa.CheckConstraint(
            "fix_answer IS NULL OR fix_answer IN ('fixed', 'broken')", name=op.f("ck_private_links_fix_answer_valid")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_private_links_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["follow_up_ticket_id"], ["tickets.id"], name=op.f("fk_private_links_follow_up_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_private_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_private_links_token_hash")),
        sa.UniqueConstraint("unsubscribe_hash", name=op.f("uq_private_links_unsubscribe_hash")),
    )
    op.create_index("ix_private_links_ticket_id", "private_links", ["ticket_id"], unique=False)

    op.create_table(
        "mail_outbox",
        sa.Column("id", _BIG_ID, autoincrement=True, nullable=False),
        sa.Column("link_id", _BIG_ID, nullable=False),
        sa.Column("ticket_id", _BIG_ID, nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("created_at", _UTC, nullable=False),
        sa.Column("next_attempt_at", _UTC, nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("sent_at", _UTC, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "event IN ('answered', 'started', 'closed', 'follow_up')", name=op.f("ck_mail_outbox_event_valid")
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["private_links.id"], name=op.f("fk_mail_outbox_link_id_private_links"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_mail_outbox_ticket_id_tickets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_outbox_message_id")),
    )
    op.execute(
        "CREATE INDEX ix_mail_outbox_unsent_next_attempt_at ON mail_outbox (next_attempt_at) WHERE sent_at IS NULL"
    )


def downgrade() -> None:
    op.drop_table("mail_outbox")
    op.drop_index("ix_private_links_ticket_id", table_name="private_links")
    op.drop_table("private_links")
    op.execute("DROP INDEX ix_tickets_not_closed_affected")
    op.execute("DROP INDEX ix_tickets_follows_up")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops no column that carries a foreign key: Alembic rebuilds the table without
        # it (copying the rows, the checks and the partial indexes of the earlier revisions).
        with op.batch_alter_table("tickets", recreate="always") as batch:
            batch.drop_column("affected_count")
            batch.drop_column("follows_up")
    else:
        op.execute("ALTER TABLE tickets DROP COLUMN affected_count")
        op.execute("ALTER TABLE tickets DROP COLUMN follows_up")
