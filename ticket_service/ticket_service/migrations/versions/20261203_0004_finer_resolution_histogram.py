"""finer resolution histogram

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

The resolution-time histogram's buckets go from ratio 1.1 to ratio 1.005
(`campusdesk_common.contracts.stats.HISTOGRAM_RATIO`), so a median read from it is within 0.5%
instead of 10%. Bucket numbers mean something else at the new ratio, so the upgrade rebuilds
`resolution_histogram` from the closed tickets; the downgrade rebuilds it at 1.1.
`resolution_monthly` (counts and exact sums) does not depend on the ratio and stays.
A new table, `resolution_histogram_coarse`, holds the same histogram summed over groups of 32
buckets (bucket = the group's first), so a month's shape reads in ~70 rows instead of ~1,500.

The bucket of a time t (seconds) is floor(ln(max(t, 0) + 1) / ln(ratio)) in double precision,
as `histogram_bucket` computes it in Python: the time is the exact microsecond difference
divided by 10^6 (one rounding, as `timedelta.total_seconds()`), so a time on a bucket edge
lands where the application would file it. The SQL is frozen here, never imported.

Run it with the application that files at 1.005: a closure filed by older code after the
rebuild would land in a bucket of the old ratio.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW_RATIO = "1.005"
OLD_RATIO = "1.1"

# Resolution seconds of a closed ticket, as a double. PostgreSQL 14+: EXTRACT(EPOCH ...) is an
# exact numeric, cast once. SQLite stores naive UTC text 'YYYY-MM-DD HH:MM:SS.ffffff': whole
# seconds from strftime('%s'), microseconds from the six digits after the point.
_POSTGRESQL_SECONDS = "CAST(EXTRACT(EPOCH FROM closed_at) - EXTRACT(EPOCH FROM opened_at) AS DOUBLE PRECISION)"
_SQLITE_SECONDS = (
    "((CAST(strftime('%s', closed_at) AS INTEGER) - CAST(strftime('%s', opened_at) AS INTEGER)) * 1000000"
    " + CAST(substr(closed_at, 21, 6) AS INTEGER) - CAST(substr(opened_at, 21, 6) AS INTEGER)) / 1000000.0"
)
_POSTGRESQL_MONTH = "to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM')"
_SQLITE_MONTH = "strftime('%Y-%m', opened_at)"


def _rebuild_statements(dialect: str, ratio: str) -> list[str]:
    """Refill `resolution_histogram` from the closed tickets at `ratio`; on PostgreSQL, closers wait."""
    if dialect == "postgresql":
        seconds, month, log_ratio = _POSTGRESQL_SECONDS, _POSTGRESQL_MONTH, f"ln(CAST({ratio} AS DOUBLE PRECISION))"
        greatest, lock = "GREATEST", ["LOCK TABLE tickets IN SHARE MODE"]
    else:
        seconds, month, log_ratio = _SQLITE_SECONDS, _SQLITE_MONTH, f"ln({ratio})"
        greatest, lock = "max", []
    bucket = f"CAST(floor(ln({greatest}({seconds}, 0) + 1) / {log_ratio}) AS INTEGER)"
    return [
        *lock,
        "DELETE FROM resolution_histogram",
        "INSERT INTO resolution_histogram (month, category, bucket, count) "  # noqa: S608 (constant SQL)
        f"SELECT {month}, category, {bucket}, count(*) FROM tickets WHERE status = 'closed' GROUP BY 1, 2, 3",
    ]


def _rebuild(ratio: str) -> None:
    bind = op.get_bind()
    for statement in _rebuild_statements(bind.dialect.name, ratio):
        bind.execute(sa.text(statement))


COARSE_GROUP = 32
_FILL_COARSE = (
    "INSERT INTO resolution_histogram_coarse (month, category, bucket, count) "  # noqa: S608 (constant SQL)
    f"SELECT month, category, (bucket / {COARSE_GROUP}) * {COARSE_GROUP}, SUM(count) FROM resolution_histogram "
    "GROUP BY 1, 2, 3"
)


def upgrade() -> None:
    _rebuild(NEW_RATIO)
    op.create_table(
        "resolution_histogram_coarse",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("count", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("month", "category", "bucket", name=op.f("pk_resolution_histogram_coarse")),
    )
    op.get_bind().execute(sa.text(_FILL_COARSE))


def downgrade() -> None:
    op.drop_table("resolution_histogram_coarse")
    _rebuild(OLD_RATIO)
