"""Aggregate queries behind `/stats`: raw facts (counts and sums), computed in the database.

The analytics services own every metric (buckets wider than an hour, averages, medians,
gaps, rounding); these queries only count and sum. Each reads counters or roll-ups kept
in the transaction of every mutation, so its cost grows neither with the number of
tickets nor with the open backlog:
- not-closed tickets per opening hour come from `open_backlog_hourly` (`counters`); only
  the partial first and last hour of a window are counted from the partial index
  `ix_tickets_not_closed_opened_at` (at most two hours of tickets),
- active tickets from the three `active_counts` rows (`counters`),
- resolution facts from the roll-up tables kept by `rollups.record_resolution`.
The status predicate is literal SQL written exactly as the partial index's predicate:
a bound parameter (`status <> :status`) would not let SQLite (nor a generic PostgreSQL
plan) prove that the partial index applies.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import TextClause, bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.stats import COARSE_BUCKET_GROUP, HistogramBin, HourCount, MonthResolutionFacts
from campusdesk_common.vocabulary import CATEGORIES, Category
from ticket_service import counters
from ticket_service.models import UTCDateTime


def _edges(since: datetime, until: datetime) -> tuple[int, int, list[tuple[datetime, datetime]]]:
    """Split [since, until) into whole UTC hours [h0, h1) and the partial hours at its edges.

    The edges are at most two ranges, each shorter than an hour.
    """
    first = counters.hour_of(since)
    h0 = first if counters.hour_start(first) == since else first + 1
    h1 = counters.hour_of(until)
    if h0 > h1:
        return h0, h0, [(since, until)]  # within one hour: count the window from the index
    edges = [(since, counters.hour_start(h0)), (counters.hour_start(h1), until)]
    return h0, h1, [(a, b) for a, b in edges if a < b]


def _open_cells_statement(h0: int, h1: int, edges: list[tuple[datetime, datetime]]) -> TextClause:
    """One statement (one snapshot, one round trip): whole hours from the counters, edges from the index.

    Hour numbers of the edges are computed integers, rendered inline; times are typed bind parameters.
    """
    parts = []
    if h0 < h1:
        parts.append("SELECT hour, category, count AS n FROM open_backlog_hourly WHERE hour >= :h0 AND hour < :h1")
    binds = []
    for i, (start, _end) in enumerate(edges):
        hour = int(counters.hour_of(start))
        parts.append(
            f"SELECT {hour} AS hour, category, count(*) AS n FROM tickets "  # noqa: S608 (hour is an int)
            f"WHERE status <> 'closed' AND opened_at >= :since_{i} AND opened_at < :until_{i} GROUP BY category"
        )
        binds += [bindparam(f"since_{i}", type_=UTCDateTime()), bindparam(f"until_{i}", type_=UTCDateTime())]
    return text(" UNION ALL ".join(parts)).bindparams(*binds)


async def open_ticket_cells(connection: AsyncConnection, *, since: datetime, until: datetime) -> list[HourCount]:
    """Not-closed tickets with since <= opened_at < until, counted per UTC opening hour and category.

    Only non-empty cells, ordered by hour then category name. Whole UTC
    hours of the window come from the `open_backlog_hourly` counters (kept exact in each
    mutation's transaction); only the partial first and last hours are counted from the
    not-closed partial index, so the cost depends on the window's length, never on the backlog.
    """
    since, until = since.astimezone(UTC), until.astimezone(UTC)
    h0, h1, edges = _edges(since, until)
    params: dict[str, Any] = {"h0": h0, "h1": h1}
    for i, (start, end) in enumerate(edges):
        params[f"since_{i}"], params[f"until_{i}"] = start, end
    totals: dict[tuple[int, str], int] = {}
    for hour, category, n in await connection.execute(_open_cells_statement(h0, h1, edges), params):
        key = (int(hour), str(category))
        totals[key] = totals.get(key, 0) + int(n)
    return [
        HourCount(hour=counters.hour_start(hour), category=cast(Category, category), count=n)
        for (hour, category), n in sorted(totals.items())
        if n > 0
    ]


_ACTIVE_COUNTS = text("SELECT category, count FROM active_counts")


async def active_by_category(connection: AsyncConnection) -> dict[Category, int]:
    """Active tickets per category, every category present: the three `active_counts` rows."""
    counts: dict[Category, int] = dict.fromkeys(CATEGORIES, 0)
    for category, n in await connection.execute(_ACTIVE_COUNTS):
        if category in counts:
            counts[cast(Category, category)] = int(n)
    return counts


# One statement, so one snapshot (both histogram tables are written in the closing transaction):
# a ticket closed meanwhile is in both the totals and the histogram
# or in neither, and the histogram counts of a month always sum to its closed_count.
# Histogram counts are summed as integers: SUM(BIGINT) is NUMERIC in PostgreSQL, which is slower.
_TOTALS = """
    WITH totals AS (
        SELECT month, CAST(SUM(closed_count) AS BIGINT) AS closed_count, SUM(total_seconds) AS total_seconds
        FROM resolution_monthly
        WHERE month >= :first AND month <= :last AND category IN :categories
        GROUP BY month
    ),
"""
_JOINED = """
    SELECT totals.month, totals.closed_count, totals.total_seconds, histogram.bucket, histogram.n
    FROM totals JOIN histogram ON histogram.month = totals.month
    WHERE totals.closed_count > 0 AND histogram.n > 0
    ORDER BY totals.month, histogram.bucket
"""
# Any group: every single bucket of the range is read and grouped here.
_ANY_GROUP = """
    histogram AS (
        SELECT month,
               CASE WHEN bucket BETWEEN :fine_from AND :fine_to THEN bucket
                    ELSE (bucket / :bucket_group) * :bucket_group END AS bucket,
               CAST(SUM(CAST(count AS INTEGER)) AS BIGINT) AS n
        FROM resolution_histogram
        WHERE month >= :first AND month <= :last AND category IN :categories
        GROUP BY 1, 2
    )
"""
# A multiple of COARSE_BUCKET_GROUP: the kept coarse bins (grouped again when the group is wider) outside
# the (aligned) window, single buckets inside it. A coarse bin never straddles a wider group's edge.
_KEPT_GROUP = """
    histogram AS (
        SELECT month, bucket, CAST(SUM(CAST(count AS INTEGER)) AS BIGINT) AS n
        FROM (
            SELECT month, (bucket / :bucket_group) * :bucket_group AS bucket, count FROM resolution_histogram_coarse
            WHERE month >= :first AND month <= :last AND category IN :categories
              AND (bucket < :fine_from OR bucket > :fine_to)
            UNION ALL
            SELECT fine.month, fine.bucket, fine.count
            FROM resolution_monthly AS cell JOIN resolution_histogram AS fine
              ON fine.month = cell.month AND fine.category = cell.category
             AND fine.bucket BETWEEN :fine_from AND :fine_to
            WHERE cell.month >= :first AND cell.month <= :last AND cell.category IN :categories
        ) AS bins
        GROUP BY month, bucket
    )
"""
# The same without a fine window: the kept bins alone (a few thousand rows for a year of three categories).
_KEPT_GROUP_ONLY = """
    histogram AS (
        SELECT month, (bucket / :bucket_group) * :bucket_group AS bucket,
               CAST(SUM(CAST(count AS INTEGER)) AS BIGINT) AS n
        FROM resolution_histogram_coarse
        WHERE month >= :first AND month <= :last AND category IN :categories
        GROUP BY 1, 2
    )
"""
_RESOLUTION_MONTHLY = text(_TOTALS + _ANY_GROUP + _JOINED).bindparams(bindparam("categories", expanding=True))
# The fine window is read per (month, category) cell of the roll-up, so each cell reads only its window
# from the primary key (month, category, bucket) instead of every bucket of every month in range.
_RESOLUTION_MONTHLY_KEPT = text(_TOTALS + _KEPT_GROUP + _JOINED).bindparams(bindparam("categories", expanding=True))
_RESOLUTION_MONTHLY_KEPT_ONLY = text(_TOTALS + _KEPT_GROUP_ONLY + _JOINED).bindparams(
    bindparam("categories", expanding=True)
)


async def resolution_monthly(
    connection: AsyncConnection,
    *,
    first: str,
    last: str,
    categories: Sequence[Category],
    bucket_group: int = 1,
    fine_buckets: Sequence[int] | None = None,
) -> list[MonthResolutionFacts]:
    """Months ("YYYY-MM", first..last inclusive) with closed tickets in `categories`, oldest first.

    Per month: how many closed, the exact sum of their resolution times, and the non-empty
    bins of the resolution-time histogram (`campusdesk_common.contracts.stats.histogram_bucket`):
    one bucket per bin, or `bucket_group` buckets per bin outside `fine_buckets` (aligned to
    the groups by the caller), so a consumer can read a month's shape in ~100 bins, then the
    buckets it needs one by one. A group that is a multiple of COARSE_BUCKET_GROUP is read from the
    kept coarse bins (a few rows a month): one bin a month is a cheap way to read the totals alone.
    """
    fine_from, fine_to = fine_buckets if fine_buckets is not None else (-1, -1)
    params = {
        "first": first,
        "last": last,
        "categories": list(categories),
        "bucket_group": bucket_group,
        "fine_from": fine_from,
        "fine_to": fine_to,
    }
    query = _RESOLUTION_MONTHLY
    if bucket_group % COARSE_BUCKET_GROUP == 0:
        query = _RESOLUTION_MONTHLY_KEPT if fine_buckets is not None else _RESOLUTION_MONTHLY_KEPT_ONLY
    rows = await connection.execute(query, params)
    totals: dict[str, tuple[int, float]] = {}
    histograms: dict[str, list[HistogramBin]] = {}
    for month, closed_count, total_seconds, bucket, n in rows:  # ordered by month, then bucket
        totals[month] = (int(closed_count), float(total_seconds))
        histograms.setdefault(month, []).append(HistogramBin(bucket=int(bucket), count=int(n)))
    return [
        MonthResolutionFacts(
            month=month, closed_count=count, total_resolution_seconds=seconds, histogram=histograms[month]
        )
        for month, (count, seconds) in totals.items()
    ]
