"""verified fixes roll-up and newest tickets per place

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

`verified_fixes_monthly` holds the facts of `/stats/verified-fixes` per closing month ("YYYY-MM",
UTC) and category, kept in the transactions that change them (closing a ticket, answering
"Is it fixed?", filing a follow-up), so the endpoint reads a few rows instead of scanning the
closed tickets and their links. A closed ticket's category and closing month never change and
answers come only after closure, so each ticket stays in one row. The upgrade fills it from the
existing rows with the SQL the endpoint ran until now (frozen here): closed tickets; those with
an answer, and those all of whose answers are "fixed"; those with a follow-up opened at most 14
days after closure, to the microsecond. On PostgreSQL the tables it reads are share-locked, so
no closure or answer commits between the fill and the application that keeps it.

`ix_tickets_placed_room_category_opened_at` serves "the newest tickets of each (room, category)
in a window" (`/stats/place-tickets`): each pair's newest ids are the first entries of its range.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FOLLOW_UP_DAYS = 14
_MONTH = {
    "postgresql": "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM')",
    "sqlite": "substr({}, 1, 7)",  # naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff'
}
# A follow-up opened at most FOLLOW_UP_DAYS after the closure. SQLite: whole seconds moved by
# strftime, the six fraction digits kept as they are (exact, and the text sorts as time).
_WITHIN = {
    "postgresql": f"f.opened_at <= c.closed_at + make_interval(days => {FOLLOW_UP_DAYS})",
    "sqlite": f"f.opened_at <= strftime('%Y-%m-%d %H:%M:%S', c.closed_at, '+{FOLLOW_UP_DAYS} days') "
    "|| substr(c.closed_at, 20)",
}
_FILL = """
    INSERT INTO verified_fixes_monthly (month, category, closed, answered, confirmed_fixed, followed_up)
    SELECT month, category, sum(closed), sum(answered), sum(fixed), sum(followed_up)
    FROM (
        SELECT {closed_month} AS month, category, count(*) AS closed, 0 AS answered, 0 AS fixed, 0 AS followed_up
        FROM tickets
        WHERE status = 'closed'
        GROUP BY 1, 2
        UNION ALL
        SELECT {answered_month}, t.category, 0, count(*), sum(1 - a.broken), 0
        FROM (
            SELECT ticket_id, max(CASE WHEN fix_answer = 'broken' THEN 1 ELSE 0 END) AS broken
            FROM private_links
            WHERE fix_answer IS NOT NULL
            GROUP BY ticket_id
        ) AS a
        JOIN tickets AS t ON t.id = a.ticket_id
        WHERE t.status = 'closed'
        GROUP BY 1, 2
        UNION ALL
        SELECT {followed_month}, followed.category, 0, 0, 0, count(*)
        FROM (
            SELECT DISTINCT c.id, c.category, c.closed_at
            FROM tickets AS f
            JOIN tickets AS c ON c.id = f.follows_up
            WHERE f.follows_up IS NOT NULL AND c.status = 'closed' AND {within}
        ) AS followed
        GROUP BY 1, 2
    ) AS facts
    GROUP BY month, category
"""


def _fill_statement(dialect: str) -> str:
    month = _MONTH[dialect]
    return _FILL.format(
        closed_month=month.format("closed_at"),
        answered_month=month.format("t.closed_at"),
        followed_month=month.format("followed.closed_at"),
        within=_WITHIN[dialect],
    )


def upgrade() -> None:
    counts = [
        sa.Column(name, sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        for name in ("closed", "answered", "confirmed_fixed", "followed_up")
    ]
    op.create_table(
        "verified_fixes_monthly",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        *counts,
        sa.CheckConstraint(
            "category IN ('facility_management', 'technical_it', 'services_complaints')",
            name=op.f("ck_verified_fixes_monthly_category_valid"),
        ),
        sa.PrimaryKeyConstraint("month", "category", name=op.f("pk_verified_fixes_monthly")),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        bind.execute(sa.text("LOCK TABLE tickets, private_links IN SHARE MODE"))
    bind.execute(sa.text(_fill_statement(bind.dialect.name)))
    op.execute(
        "CREATE INDEX ix_tickets_placed_room_category_opened_at "
        "ON tickets (room_code, category, opened_at DESC, id DESC) WHERE room_code IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_tickets_placed_room_category_opened_at")
    op.drop_table("verified_fixes_monthly")
