"""Monthly resolution roll-ups, kept up to date in the transaction that closes a ticket.

A closed ticket never reopens, so adding each closure once keeps the totals exact:
average resolution = total_seconds / closed_count, and the median comes from
log-spaced histogram buckets (ratio 1.1, so a bucket's geometric midpoint is
within 5% of every time in it).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

BUCKET_RATIO = 1.1
_LOG_RATIO = math.log(BUCKET_RATIO)


def opening_month(opened_at: datetime) -> str:
    """The "YYYY-MM" (UTC) a ticket counts in."""
    return opened_at.astimezone(UTC).strftime("%Y-%m")


def bucket_of(seconds: float) -> int:
    """The histogram bucket of a resolution time: floor(log(seconds + 1) / log(1.1))."""
    return math.floor(math.log(max(seconds, 0.0) + 1.0) / _LOG_RATIO)


def bucket_midpoint(bucket: int) -> float:
    """Geometric midpoint (seconds) of a bucket's range [1.1^b - 1, 1.1^(b+1) - 1)."""
    return math.exp((bucket + 0.5) * _LOG_RATIO) - 1.0


# ON CONFLICT ... DO UPDATE is the same on PostgreSQL and SQLite (3.24+).
_ADD_MONTHLY = text(
    "INSERT INTO resolution_monthly (month, category, closed_count, total_seconds) "
    "VALUES (:month, :category, 1, :seconds) "
    "ON CONFLICT (month, category) DO UPDATE SET "
    "closed_count = resolution_monthly.closed_count + 1, "
    "total_seconds = resolution_monthly.total_seconds + excluded.total_seconds"
)
_ADD_HISTOGRAM = text(
    "INSERT INTO resolution_histogram (month, category, bucket, count) "
    "VALUES (:month, :category, :bucket, 1) "
    "ON CONFLICT (month, category, bucket) DO UPDATE SET count = resolution_histogram.count + 1"
)


async def record_resolution(
    connection: AsyncConnection, *, category: str, opened_at: datetime, closed_at: datetime
) -> None:
    """Add one closed ticket to the roll-ups; call it inside the closing transaction."""
    seconds = max((closed_at - opened_at).total_seconds(), 0.0)
    month = opening_month(opened_at)
    await connection.execute(_ADD_MONTHLY, {"month": month, "category": category, "seconds": seconds})
    await connection.execute(_ADD_HISTOGRAM, {"month": month, "category": category, "bucket": bucket_of(seconds)})
