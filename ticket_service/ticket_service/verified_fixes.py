"""The facts behind "Verified fixes": per closing month and category, closed tickets, fix answers, follow-ups.

They are read from `verified_fixes_monthly`, kept in the transactions that change them by
`rollups` (closing a ticket, answering "Is it fixed?", filing a follow-up): a few rows per
month, whatever the number of tickets and links. `rebuild` recomputes the table from the
tickets and links (after a bulk load, in tests that write rows with SQL), with the query
this endpoint ran before the roll-up existed:
- closed tickets per UTC closing month,
- the tickets answered, and those whose every answer is "fixed",
- the tickets followed up: a follow-up counts when opened at most FOLLOW_UP_DAYS after the
  closure, to the microsecond.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.stats import MonthCategoryFixFacts
from campusdesk_common.vocabulary import CATEGORIES, FOLLOW_UP_DAYS, Category
from ticket_service.database import sync_database_url
from ticket_service.rollups import closing_month

# The months are "YYYY-MM" text with four year digits, so they compare as text in both databases.
_CELLS = text(
    "SELECT month, category, closed, answered, confirmed_fixed, followed_up FROM verified_fixes_monthly "
    "WHERE month >= :first AND month <= :last AND closed > 0"
)


async def verified_fix_cells(
    connection: AsyncConnection, *, since: datetime, until: datetime
) -> list[MonthCategoryFixFacts]:
    """Cells (UTC closing month, category) of the tickets closed in [since, until) with at least one closed ticket.

    `since` and `until` are whole UTC months (`closing_window`). Ordered by month, then in the
    categories' fixed order.
    """
    first = closing_month(since)
    last = closing_month(until - timedelta(microseconds=1))
    rows = await connection.execute(_CELLS, {"first": first, "last": last})
    order: dict[str, int] = {category: index for index, category in enumerate(CATEGORIES)}
    cells = [
        MonthCategoryFixFacts(
            month=str(month),
            category=cast(Category, category),
            closed=int(closed),
            answered=int(answered),
            confirmed_fixed=int(confirmed),
            followed_up=int(followed),
        )
        for month, category, closed, answered, confirmed, followed in rows
    ]
    return sorted(cells, key=lambda cell: (cell.month, order[cell.category]))


# ------------------------------------------------------------------ rebuild

# Per dialect: the UTC closing month as "YYYY-MM", and "opened within the window after closed".
# SQLite keeps times as naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff": adding days to the whole
# seconds and keeping the six fraction digits as they are is exact, and the text sorts as time.
_MONTH = {
    "postgresql": "to_char({} AT TIME ZONE 'UTC', 'YYYY-MM')",
    "sqlite": "substr({}, 1, 7)",
}
_WITHIN_WINDOW = {
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


def rebuild_statements(dialect: str) -> list[str]:
    """The SQL that recomputes `verified_fixes_monthly` from the tickets and links (in one transaction).

    On PostgreSQL it first share-locks both tables: closures and answers in flight commit
    first, new ones wait for the rebuild, so none is lost or counted twice.
    """
    month = _MONTH[dialect]
    fill = _FILL.format(
        closed_month=month.format("closed_at"),
        answered_month=month.format("t.closed_at"),
        followed_month=month.format("followed.closed_at"),
        within=_WITHIN_WINDOW[dialect],
    )
    lock = ["LOCK TABLE tickets, private_links IN SHARE MODE"] if dialect == "postgresql" else []
    return [*lock, "DELETE FROM verified_fixes_monthly", fill]


async def rebuild(connection: AsyncConnection) -> None:
    """Recompute the verified-fix facts from the tickets and links, in the caller's transaction."""
    for statement in rebuild_statements(connection.dialect.name):
        await connection.execute(text(statement))


def rebuild_sync(connection: Connection) -> None:
    """`rebuild` on a synchronous SQLAlchemy connection."""
    for statement in rebuild_statements(connection.dialect.name):
        connection.execute(text(statement))


def rebuild_at(url: str) -> None:
    """Recompute the verified-fix facts of the database at `url` in a transaction of its own (after a bulk load)."""
    engine = create_engine(sync_database_url(url), poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            rebuild_sync(connection)
    finally:
        engine.dispose()


def _month_index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def months_between(first: str, last: str) -> int:
    """How many months "YYYY-MM" first..last covers, both included."""
    return _month_index(last) - _month_index(first) + 1


def closing_window(first: str, last: str) -> tuple[datetime, datetime]:
    """[since, until): from the start of `first` to the start of the month after `last` (UTC).

    After 9999-12 there is no month: the window then ends at the last representable moment.
    """
    since = datetime(int(first[:4]), int(first[5:]), 1, tzinfo=UTC)
    after = _month_index(last) + 1
    if after // 12 > 9999:
        return since, datetime.max.replace(tzinfo=UTC)
    return since, datetime(after // 12, after % 12 + 1, 1, tzinfo=UTC)
