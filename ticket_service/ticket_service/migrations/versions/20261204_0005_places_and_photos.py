"""places and photos

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04

The campus directory (`buildings`, `rooms`; a room left out of a new directory while tickets
refer to it stays, `retired`), where a ticket's problem is (`tickets.room_code`, `place_note`)
and the photos of reports and messages (`photos`, re-encoded bytes and a thumbnail; unattached
until a ticket or message takes them). The columns are added with plain `ALTER TABLE ... ADD
COLUMN`, which both databases run in place, so the tickets table is never rebuilt.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "buildings",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_buildings")),
    )
    op.create_table(
        "rooms",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("building_code", sa.String(length=32), nullable=False),
        sa.Column("floor", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("retired", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.ForeignKeyConstraint(["building_code"], ["buildings.code"], name=op.f("fk_rooms_building_code_buildings")),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_rooms")),
    )
    op.create_index("ix_rooms_building_code", "rooms", ["building_code"], unique=False)

    # Same text on both databases: a column constraint naming the foreign key.
    op.execute(
        "ALTER TABLE tickets ADD COLUMN room_code VARCHAR(32) "
        "CONSTRAINT fk_tickets_room_code_rooms REFERENCES rooms (code)"
    )
    op.execute("ALTER TABLE tickets ADD COLUMN place_note VARCHAR(200)")
    op.execute("CREATE INDEX ix_tickets_room_code_updated_at_id ON tickets (room_code, updated_at, id)")
    op.execute(
        "CREATE INDEX ix_tickets_placed_opened_at ON tickets (opened_at, room_code, category) "
        "WHERE room_code IS NOT NULL"
    )

    op.create_table(
        "photos",
        sa.Column("id", _BIG_ID, autoincrement=False, nullable=False),
        sa.Column("ticket_id", _BIG_ID, nullable=True),
        sa.Column("message_id", _BIG_ID, nullable=True),
        sa.Column("position", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("content_type", sa.String(length=16), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("thumbnail", sa.LargeBinary(), nullable=False),
        sa.Column("thumbnail_width", sa.Integer(), nullable=False),
        sa.Column("thumbnail_height", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "message_id IS NULL OR ticket_id IS NOT NULL", name=op.f("ck_photos_message_photo_has_ticket")
        ),
        sa.CheckConstraint(
            "content_type IN ('image/jpeg', 'image/png', 'image/webp')", name=op.f("ck_photos_content_type_valid")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_photos_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_photos_message_id_messages"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_photos")),
    )
    op.create_index("ix_photos_ticket_id_message_id", "photos", ["ticket_id", "message_id"], unique=False)
    op.create_index("ix_photos_message_id", "photos", ["message_id"], unique=False)
    op.execute("CREATE INDEX ix_photos_unattached_created_at ON photos (created_at) WHERE ticket_id IS NULL")


def downgrade() -> None:
    op.drop_table("photos")
    op.execute("DROP INDEX ix_tickets_placed_opened_at")
    op.execute("DROP INDEX ix_tickets_room_code_updated_at_id")
    op.execute("ALTER TABLE tickets DROP COLUMN place_note")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops no column that carries a foreign key: Alembic rebuilds the table without
        # it (copying the rows, the checks and the partial indexes of revision 0001).
        with op.batch_alter_table("tickets", recreate="always") as batch:
            batch.drop_column("room_code")
    else:
        op.execute("ALTER TABLE tickets DROP COLUMN room_code")
    op.drop_index("ix_rooms_building_code", table_name="rooms")
    op.drop_table("rooms")
    op.drop_table("buildings")
