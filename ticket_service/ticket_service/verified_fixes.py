"""The facts behind "Verified fixes": per closing month and category, closed tickets, fix answers, follow-ups.

One statement (one snapshot), three parts, each read through an index and bounded by the range:
- closed tickets per UTC closing month, from the partial index of closed tickets by `closed_at`,
- the tickets answered, and those whose every answer is "fixed", driven from the answered links
  (partial index by `fix_answered_at`): a link answers only once its ticket is closed, so the
  answers about tickets closed since `since` were all given since `since`,
- the tickets followed up, driven from the follow-up tickets (partial index on `follows_up`,
  a small set), each joined to the closed ticket it follows by primary key.
A follow-up counts when opened at most FOLLOW_UP_DAYS after the closure, to the microsecond.
The status predicates are literal SQL, written exactly as the partial indexes' predicates.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.stats import MonthCategoryFixFacts
from campusdesk_common.vocabulary import CATEGORIES, FOLLOW_UP_DAYS, Category
from ticket_service.models import UTCDateTime

# Per dialect: the UTC month of a time column to group by (cheap per row), written "YYYY-MM" once per group,
# and "opened within the window after closed". SQLite keeps times as naive UTC text
# "YYYY-MM-DD HH:MM:SS.ffffff": adding days to the whole seconds and keeping the six fraction
# digits as they are is exact, and the text sorts as time.
_MONTH_KEY = {
    "postgresql": "date_trunc('month', {} AT TIME ZONE 'UTC')",
    "sqlite": "substr({}, 1, 7)",
}
_MONTH_TEXT = {"postgresql": "to_char({}, 'YYYY-MM')", "sqlite": "{}"}
_WITHIN_WINDOW = {
    "postgresql": "f.opened_at <= c.closed_at + make_interval(days => :days)",
    "sqlite": "f.opened_at <= strftime('%Y-%m-%d %H:%M:%S', c.closed_at, '+' || :days || ' days') "
    "|| substr(c.closed_at, 20)",
}

# Follow-ups open after the closure they follow, so only those opened since `since` can count.
_STATEMENT = """
    SELECT {closed_month} AS month, category, count(*) AS closed, 0 AS answered, 0 AS fixed, 0 AS followed_up
    FROM tickets
    WHERE status = 'closed' AND closed_at >= :since AND closed_at < :until
    GROUP BY {closed_key}, category
    UNION ALL
    SELECT {answered_month}, t.category, 0, count(*), sum(1 - a.broken), 0
    FROM (
        SELECT ticket_id, max(CASE WHEN fix_answer = 'broken' THEN 1 ELSE 0 END) AS broken
        FROM private_links
        WHERE fix_answer IS NOT NULL AND fix_answered_at >= :since
        GROUP BY ticket_id
    ) AS a
    JOIN tickets AS t ON t.id = a.ticket_id
    WHERE t.status = 'closed' AND t.closed_at >= :since AND t.closed_at < :until
    GROUP BY {answered_key}, t.category
    UNION ALL
    SELECT {followed_month}, followed.category, 0, 0, 0, count(*)
    FROM (
        SELECT DISTINCT c.id, c.category, c.closed_at
        FROM tickets AS f
        JOIN tickets AS c ON c.id = f.follows_up
        WHERE f.follows_up IS NOT NULL AND f.opened_at >= :since
          AND c.status = 'closed' AND c.closed_at >= :since AND c.closed_at < :until
          AND {within}
    ) AS followed
    GROUP BY {followed_key}, followed.category
"""


def _statement(dialect: str) -> str:
    parts = {}
    for part, column in (("closed", "closed_at"), ("answered", "t.closed_at"), ("followed", "followed.closed_at")):
        key = _MONTH_KEY[dialect].format(column)
        parts[f"{part}_key"], parts[f"{part}_month"] = key, _MONTH_TEXT[dialect].format(key)
    return _STATEMENT.format(within=_WITHIN_WINDOW[dialect], **parts)


_STATEMENTS = {
    dialect: text(_statement(dialect)).bindparams(
        bindparam("since", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime())
    )
    for dialect in _MONTH_KEY
}

_FACTS = ("closed", "answered", "confirmed_fixed", "followed_up")


async def verified_fix_cells(
    connection: AsyncConnection, *, since: datetime, until: datetime
) -> list[MonthCategoryFixFacts]:
    """Cells (UTC closing month, category) of the tickets closed in [since, until) with at least one closed ticket.

    Ordered by month, then in the categories' fixed order.
    """
    params = {"since": since.astimezone(UTC), "until": until.astimezone(UTC), "days": FOLLOW_UP_DAYS}
    totals: dict[tuple[str, str], Counter[str]] = {}
    rows = await connection.execute(_STATEMENTS[connection.dialect.name], params)
    for month, category, *counts in rows:
        cell = totals.setdefault((str(month), str(category)), Counter())
        cell.update({name: int(n or 0) for name, n in zip(_FACTS, counts, strict=True)})
    order: dict[str, int] = {category: index for index, category in enumerate(CATEGORIES)}
    return [
        MonthCategoryFixFacts(month=month, category=cast(Category, category), **{name: cell[name] for name in _FACTS})
        for (month, category), cell in sorted(totals.items(), key=lambda item: (item[0][0], order[item[0][1]]))
        if cell["closed"] > 0
    ]


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
