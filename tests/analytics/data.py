"""Small, hand-made ticket sets written straight into a test database, with controlled times.

Closed tickets also go into the roll-ups via `rollups.record_resolution`, exactly as the
ticket API does when it closes a ticket, and the backlog counters are recomputed from the
tickets (`counters.rebuild_counters`) in the same transaction, as the seeder does after a load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import insert

from ticket_service.counters import rebuild_counters
from ticket_service.database import create_engine
from ticket_service.models import Ticket
from ticket_service.rollups import record_resolution


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, microsecond: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=UTC)


@dataclass(frozen=True)
class Row:
    category: str
    status: str
    opened_at: datetime
    closed_at: datetime | None = None


async def insert_tickets(database_url: str, rows: Iterable[Row]) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for row in rows:
                await connection.execute(
                    insert(Ticket),
                    {
                        "description": f"{row.category} ticket",
                        "category": row.category,
                        "status": row.status,
                        "opened_at": row.opened_at,
                        "updated_at": row.closed_at or row.opened_at,
                        "closed_at": row.closed_at,
                    },
                )
                if row.closed_at is not None:
                    await record_resolution(
                        connection, category=row.category, opened_at=row.opened_at, closed_at=row.closed_at
                    )
            await rebuild_counters(connection)
    finally:
        await engine.dispose()
