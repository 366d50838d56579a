"""Aggregate queries behind `/stats`: what the analytics services need, computed in the database.

Each query reads only a small, indexed part of the data, so its cost does not grow
with the number of closed tickets:
- not-closed tickets come from the partial index `ix_tickets_not_closed_opened_at`,
- active tickets from the partial index `ix_tickets_active_category`,
- resolution times from the roll-up tables kept by `rollups.record_resolution`.
The status predicates are literal SQL written exactly as the partial indexes'
predicates: a bound parameter (`status <> :status`) would not let SQLite (nor a
generic PostgreSQL plan) prove that the partial index applies.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import BigInteger, Integer, bindparam, cast, func, literal_column, select, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from campusdesk_common.problems import ServiceUnavailable
from ticket_service.models import CATEGORIES, Ticket
from ticket_service.rollups import bucket_midpoint

Bucket = Literal["hour", "day"]
BUCKET_SECONDS: dict[str, int] = {"hour": 3600, "day": 86400}

# Written exactly as the partial indexes' WHERE clauses in models.py.
NOT_CLOSED = text("status <> 'closed'")
ACTIVE = text("status = 'active'")

_tickets = Ticket.__table__


@dataclass(frozen=True, slots=True)
class OpenCell:
    """Not-closed tickets of one category opened in one UTC-aligned bucket."""

    start: datetime
    category: str
    count: int


@dataclass(frozen=True, slots=True)
class MonthTotals:
    """Closed tickets opened in one month: exact sum and count, histogram median."""

    month: str
    closed_count: int
    total_resolution_seconds: float
    median_resolution_seconds: float


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for one read; an unreachable or overloaded database becomes a 503 problem."""
    try:
        async with engine.connect() as connection:
            yield connection
    except (OperationalError, PoolTimeoutError, OSError) as exc:
        raise ServiceUnavailable("The ticket database is not reachable right now; try again shortly.") from exc
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise ServiceUnavailable("The ticket database connection was lost; try again shortly.") from exc
        raise


def _bucket_index(dialect: str, column: Any, width: int) -> ColumnElement[Any]:
    """Whole UTC hours (days) since the Unix epoch: the same bucket on both databases.

    The width is rendered inline (it is one of two constants) so the SELECT and GROUP BY
    expressions are textually identical.
    """
    divisor: ColumnElement[Any] = literal_column(str(int(width)))
    if dialect == "postgresql":
        # date_part() is double precision; EXTRACT() is numeric, several times slower per row.
        return cast(func.floor(func.date_part(literal_column("'epoch'"), column) / divisor), BigInteger)
    # SQLite stores naive UTC text; strftime('%s') reads it as UTC. `//` is integer division.
    return cast(func.strftime(literal_column("'%s'"), column), Integer) // divisor


async def open_ticket_cells(
    connection: AsyncConnection, *, since: datetime, until: datetime, bucket: Bucket
) -> list[OpenCell]:
    """Not-closed tickets with since <= opened_at < until, counted per bucket and category.

    Only non-empty cells are returned; an index range scan of the (small) open backlog.
    """
    width = BUCKET_SECONDS[bucket]
    index = _bucket_index(connection.dialect.name, _tickets.c.opened_at, width).label("bucket")
    query = (
        select(index, _tickets.c.category, func.count().label("n"))
        .where(NOT_CLOSED, _tickets.c.opened_at >= since, _tickets.c.opened_at < until)
        .group_by(index, _tickets.c.category)
    )
    # No ORDER BY: it makes PostgreSQL sort every scanned row before grouping; the
    # few resulting cells are sorted here instead.
    rows = sorted((int(b), category, int(n)) for b, category, n in await connection.execute(query))
    return [OpenCell(datetime.fromtimestamp(b * width, UTC), category, n) for b, category, n in rows]


async def active_by_category(connection: AsyncConnection) -> dict[str, int]:
    """Active tickets per category, every category present; an index-only count of the active set."""
    query = select(_tickets.c.category, func.count()).where(ACTIVE).group_by(_tickets.c.category)
    counts = dict.fromkeys(CATEGORIES, 0)
    for category, n in await connection.execute(query):
        counts[category] = int(n)
    return counts


# One statement over the roll-ups: per month the exact totals, and the histogram buckets of
# the lower and upper middle values (ranks ceil(n/2) and floor(n/2)+1; equal when n is odd).
# A bucket holds the rank-k value when the running count first reaches k:
# cum >= ceil(n/2) <=> 2*cum >= n, and cum >= floor(n/2)+1 <=> 2*cum > n.
# Counts are summed as integers: SUM(BIGINT) is NUMERIC in PostgreSQL, which is slower.
_RESOLUTION_MONTHLY = text(
    """
    WITH totals AS (
        SELECT month, CAST(SUM(closed_count) AS BIGINT) AS closed_count, SUM(total_seconds) AS total_seconds
        FROM resolution_monthly
        WHERE month >= :first AND month <= :last AND category IN :categories
        GROUP BY month
    ),
    histogram AS (
        SELECT month, bucket, CAST(SUM(CAST(count AS INTEGER)) AS INTEGER) AS n
        FROM resolution_histogram
        WHERE month >= :first AND month <= :last AND category IN :categories
        GROUP BY month, bucket
    ),
    running AS (
        SELECT month, bucket,
               SUM(n) OVER (PARTITION BY month ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS cum,
               SUM(n) OVER (PARTITION BY month) AS total
        FROM histogram
    ),
    medians AS (
        SELECT month,
               MIN(CASE WHEN 2 * cum >= total THEN bucket END) AS lower_bucket,
               MIN(CASE WHEN 2 * cum > total THEN bucket END) AS upper_bucket
        FROM running
        GROUP BY month
    )
    SELECT totals.month, totals.closed_count, totals.total_seconds, medians.lower_bucket, medians.upper_bucket
    FROM totals JOIN medians ON medians.month = totals.month
    WHERE totals.closed_count > 0
    ORDER BY totals.month
    """
).bindparams(bindparam("categories", expanding=True))


async def resolution_monthly(
    connection: AsyncConnection, *, first: str, last: str, categories: Sequence[str]
) -> list[MonthTotals]:
    """Months ("YYYY-MM", first..last inclusive) with closed tickets in `categories`, oldest first.

    The median is the midpoint of log-spaced histogram buckets (ratio 1.1): within 4.9%
    of the exact median resolution time (plus 0.05 s for times under a second).
    """
    rows = await connection.execute(_RESOLUTION_MONTHLY, {"first": first, "last": last, "categories": list(categories)})
    return [
        MonthTotals(
            month=month,
            closed_count=int(count),
            total_resolution_seconds=float(total),
            median_resolution_seconds=(bucket_midpoint(int(lower)) + bucket_midpoint(int(upper))) / 2,
        )
        for month, count, total, lower, upper in rows
    ]
