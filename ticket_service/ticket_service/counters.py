"""Backlog counters, kept exact in the transaction of every ticket mutation.

Two small tables make the open-ticket and active-ticket statistics cost the same at any
number of tickets:

- `open_backlog_hourly(hour, category, count)`: not-closed tickets opened in one UTC hour
  (`hour` = whole hours since 1970-01-01T00:00Z) per category; rows that reach zero are deleted;
- `active_counts(category, count)`: active tickets per category; always the three rows.

Every function here must run in the same transaction as the ticket write it accounts for,
and only after that write succeeded (the conditional UPDATE returned a row), so a lost race
changes neither the ticket nor the counters. Counter rows are locked in one fixed order
(hourly rows before active rows, each by category), so two transactions that move tickets
in opposite directions cannot deadlock on them.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, create_engine, pool, text
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.vocabulary import CATEGORIES, NOT_CLOSED
from ticket_service.database import sync_database_url

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR = timedelta(hours=1)

# ON CONFLICT ... DO UPDATE is the same on PostgreSQL and SQLite (3.24+).
_ADD_HOURLY = text(
    "INSERT INTO open_backlog_hourly (hour, category, count) VALUES (:hour, :category, :delta) "
    "ON CONFLICT (hour, category) DO UPDATE SET count = open_backlog_hourly.count + excluded.count"
)
_DROP_EMPTY_HOURLY = text("DELETE FROM open_backlog_hourly WHERE hour = :hour AND category = :category AND count = 0")
_ADD_ACTIVE = text(
    "INSERT INTO active_counts (category, count) VALUES (:category, :delta) "
    "ON CONFLICT (category) DO UPDATE SET count = active_counts.count + excluded.count"
)


def hour_of(moment: datetime) -> int:
    """Whole UTC hours since the Unix epoch of an aware datetime (floor, exact)."""
    return (moment.astimezone(UTC) - EPOCH) // HOUR


def hour_start(hour: int) -> datetime:
    """The aware UTC start of an hour index."""
    return EPOCH + hour * HOUR


def _contributions(status: str, category: str, hour: int) -> tuple[Counter[tuple[int, str]], Counter[str]]:
    hourly: Counter[tuple[int, str]] = Counter()
    active: Counter[str] = Counter()
    if status in NOT_CLOSED:
        hourly[(hour, category)] += 1
    if status == "active":
        active[category] += 1
    return hourly, active


async def record_transition(
    connection: AsyncConnection,
    *,
    opened_at: datetime,
    before: tuple[str, str] | None,
    after: tuple[str, str] | None,
) -> None:
    """Account for one ticket going from (status, category) `before` to `after`.

    `before=None` is a ticket being created, `after=None` one being removed. Covers every
    mutation: create, start work, close, and a category change (a user's description edit
    that re-classifies, a helpdesk correction), alone or combined in one PATCH.
    """
    hour = hour_of(opened_at)
    hourly: Counter[tuple[int, str]] = Counter()
    active: Counter[str] = Counter()
    if after is not None:
        add_hourly, add_active = _contributions(after[0], after[1], hour)
        hourly.update(add_hourly)
        active.update(add_active)
    if before is not None:
        old_hourly, old_active = _contributions(before[0], before[1], hour)
        hourly.subtract(old_hourly)
        active.subtract(old_active)
    for (h, category), delta in sorted(hourly.items()):
        if delta == 0:
            continue
        params = {"hour": h, "category": category, "delta": delta}
        await connection.execute(_ADD_HOURLY, params)
        if delta < 0:
            await connection.execute(_DROP_EMPTY_HOURLY, params)
    for category, delta in sorted(active.items()):
        if delta != 0:
            await connection.execute(_ADD_ACTIVE, {"category": category, "delta": delta})


async def record_created(connection: AsyncConnection, *, category: str, opened_at: datetime) -> None:
    """A new open ticket: +1 in its opening hour and category."""
    await record_transition(connection, opened_at=opened_at, before=None, after=("open", category))


# ------------------------------------------------------------------ rebuild


def _hour_expression(dialect: str) -> str:
    if dialect == "postgresql":
        # date_part() is double precision: exact for whole seconds far beyond any opening time.
        return "CAST(floor(date_part('epoch', opened_at) / 3600) AS BIGINT)"
    # SQLite stores naive UTC text; strftime('%s') reads it as UTC and drops the fraction.
    return "CAST(strftime('%s', opened_at) AS INTEGER) / 3600"


def rebuild_statements(dialect: str) -> list[str]:
    """The SQL that recomputes both counter tables from the tickets (in one transaction).

    On PostgreSQL it first takes a SHARE lock on `tickets`: it waits for the writers in
    flight (whose counter updates commit with their ticket writes) and holds new ones
    off until the rebuild commits, so no concurrent change is lost or counted twice.
    Only the not-closed and active partial indexes are read.
    """
    hour = _hour_expression(dialect)
    zero_rows = ", ".join(f"('{category}', 0)" for category in CATEGORIES)
    statements = ["LOCK TABLE tickets IN SHARE MODE"] if dialect == "postgresql" else []
    statements += [
        "DELETE FROM open_backlog_hourly",
        "INSERT INTO open_backlog_hourly (hour, category, count) "  # noqa: S608 (constant SQL)
        f"SELECT {hour}, category, count(*) FROM tickets WHERE status <> 'closed' GROUP BY 1, 2",
        "DELETE FROM active_counts",
        f"INSERT INTO active_counts (category, count) VALUES {zero_rows}",  # noqa: S608 (the vocabulary's words)
        "UPDATE active_counts SET count = (SELECT count(*) FROM tickets "
        "WHERE status = 'active' AND tickets.category = active_counts.category)",
    ]
    return statements


async def rebuild_counters(connection: AsyncConnection) -> None:
    """Recompute both counter tables from the tickets, in the caller's transaction."""
    for statement in rebuild_statements(connection.dialect.name):
        await connection.execute(text(statement))


def rebuild_counters_sync(connection: Connection) -> None:
    """`rebuild_counters` on a synchronous SQLAlchemy connection (migrations, seeder)."""
    for statement in rebuild_statements(connection.dialect.name):
        connection.execute(text(statement))


def rebuild_counters_at(url: str) -> None:
    """Recompute the counters of the database at `url` in a transaction of its own (after a bulk load)."""
    engine = create_engine(sync_database_url(url), poolclass=pool.NullPool)
    try:
        with engine.begin() as connection:
            rebuild_counters_sync(connection)
    finally:
        engine.dispose()


def expected_counters(rows: Any) -> tuple[dict[tuple[int, str], int], dict[str, int]]:
    """The counters computed in Python from (status, category, opened_at) rows: for tests and checks."""
    hourly: Counter[tuple[int, str]] = Counter()
    active: Counter[str] = Counter()
    for status, category, opened_at in rows:
        add_hourly, add_active = _contributions(status, category, hour_of(opened_at))
        hourly.update(add_hourly)
        active.update(add_active)
    return dict(hourly), dict(active)
