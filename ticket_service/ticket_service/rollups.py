"""Monthly resolution roll-ups, kept up to date in the transaction that closes a ticket.

A closed ticket never reopens, so adding each closure once keeps the facts exact: per
opening month and category, the count, the total seconds, and the histogram of resolution
times in the log-spaced buckets of `campusdesk_common.contracts.stats.histogram_bucket`
(the analytics service that reads them owns the average and the median), and the same
histogram summed over groups of COARSE_BUCKET_GROUP buckets (`resolution_histogram_coarse`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.stats import COARSE_BUCKET_GROUP, histogram_bucket


def opening_month(opened_at: datetime) -> str:
    """The "YYYY-MM" (UTC) a ticket counts in."""
    return opened_at.astimezone(UTC).strftime("%Y-%m")


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
_ADD_COARSE = text(
    "INSERT INTO resolution_histogram_coarse (month, category, bucket, count) "
    "VALUES (:month, :category, :bucket, 1) "
    "ON CONFLICT (month, category, bucket) DO UPDATE SET count = resolution_histogram_coarse.count + 1"
)


async def record_resolution(
    connection: AsyncConnection, *, category: str, opened_at: datetime, closed_at: datetime
) -> None:
    """Add one closed ticket to the roll-ups; call it inside the closing transaction."""
    seconds = max((closed_at - opened_at).total_seconds(), 0.0)
    month = opening_month(opened_at)
    await connection.execute(_ADD_MONTHLY, {"month": month, "category": category, "seconds": seconds})
    bucket = histogram_bucket(seconds)
    await connection.execute(_ADD_HISTOGRAM, {"month": month, "category": category, "bucket": bucket})
    coarse = bucket // COARSE_BUCKET_GROUP * COARSE_BUCKET_GROUP
    await connection.execute(_ADD_COARSE, {"month": month, "category": category, "bucket": coarse})
