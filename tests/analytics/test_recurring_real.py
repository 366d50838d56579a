"""Recurring problems from the real ticket service (in-process, PostgreSQL and SQLite): the analysis
matches a direct SQL count over seeded tickets at rooms, window edges and retired rooms included."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy import insert, text

from campusdesk_common.contracts.analytics_category import RecurringProblems
from campusdesk_common.contracts.places import MAX_TICKET_IDS_PER_PLACE
from campusdesk_common.vocabulary import CATEGORIES, STATUSES
from tests.analytics.test_services import NOW, analytics_client
from ticket_service.database import create_engine
from ticket_service.main import create_app as create_ticket_app
from ticket_service.models import Ticket
from ticket_service.settings import Settings as TicketSettings

HELPDESK = {"X-Role": "helpdesk"}
DIRECTORY = (
    "building_code,building_name,floor,room_code,room_name\n"
    "MAIN,Main building,0,MAIN-L0,Lift lobby\n"
    "MAIN,Main building,1,MAIN-101,Lecture hall 101\n"
    "MAIN,Main building,2,MAIN-201,Library reading room\n"
    "LAB,Laboratory building,G,LAB-G01,Chemistry lab\n"
    "LAB,Laboratory building,1,LAB-102,Physics lab\n"
)
ROOMS = ["MAIN-L0", "MAIN-101", "MAIN-201", "LAB-G01", "LAB-102"]
# The window of the analysis with its defaults: [NOW - 30 days, NOW).
SINCE = NOW - timedelta(days=30)


@pytest.fixture
async def ticket_transport(database_url: str) -> AsyncIterator[httpx.AsyncBaseTransport]:
    """The real ticket service in-process, its directory loaded through its API."""
    app = create_ticket_app(TicketSettings(database_url=database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        await _load_directory(transport, DIRECTORY)
        yield transport


async def _load_directory(transport: httpx.AsyncBaseTransport, csv: str) -> None:
    async with httpx.AsyncClient(transport=transport, base_url="http://tickets") as client:
        loaded = await client.put("/places", json={"csv": csv}, headers=HELPDESK)
    assert loaded.status_code == 200, loaded.text


async def _seed(database_url: str, rows: list[tuple[str | None, str, str, datetime]]) -> None:
    """Tickets (room, category, status, opened_at) written straight into the database, at controlled times."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for room_code, category, status, opened_at in rows:
                closed_at = opened_at + timedelta(hours=5) if status == "closed" else None
                await connection.execute(
                    insert(Ticket),
                    {
                        "description": f"{category} at {room_code}",
                        "category": category,
                        "status": status,
                        "opened_at": opened_at,
                        "updated_at": closed_at or opened_at,
                        "closed_at": closed_at,
                        "room_code": room_code,
                    },
                )
    finally:
        await engine.dispose()


async def _sql_count(
    database_url: str, since: datetime, until: datetime, at_least: int
) -> dict[tuple[str, str], list[int]]:
    """The same question asked of the database directly: every id of each pair, newest first."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            result = await connection.execute(
                text(
                    "SELECT room_code, category, id FROM tickets WHERE room_code IS NOT NULL "
                    "AND opened_at >= :since AND opened_at < :until ORDER BY opened_at DESC, id DESC"
                ),
                {"since": _db_time(database_url, since), "until": _db_time(database_url, until)},
            )
            cells: dict[tuple[str, str], list[int]] = {}
            for room_code, category, ticket_id in result:
                cells.setdefault((room_code, category), []).append(ticket_id)
    finally:
        await engine.dispose()
    return {key: ids for key, ids in cells.items() if len(ids) >= at_least}


def _db_time(database_url: str, moment: datetime) -> datetime | str:
    # SQLite keeps naive UTC text (see models.UTCDateTime); PostgreSQL compares timestamptz.
    if database_url.startswith("sqlite"):
        return moment.replace(tzinfo=None).isoformat(sep=" ")
    return moment


async def _recurring(transport: httpx.AsyncBaseTransport, **params: int) -> RecurringProblems:
    async with analytics_client("analytics_category_service", transport) as client:
        response = await client.get("/recurring-problems", params=params)
    assert response.status_code == 200, response.text
    return RecurringProblems.model_validate_json(response.content)


async def test_window_edges_statuses_and_threshold(
    database_url: str, ticket_transport: httpx.AsyncBaseTransport
) -> None:
    fm, it, _ = CATEGORIES
    await _seed(
        database_url,
        [
            ("MAIN-L0", fm, "open", SINCE),  # exactly at the start: counts
            ("MAIN-L0", fm, "closed", SINCE + timedelta(days=3)),  # closed: still happened there
            ("MAIN-L0", fm, "active", NOW - timedelta(microseconds=1)),
            ("MAIN-L0", fm, "open", SINCE - timedelta(microseconds=1)),  # before the window
            ("MAIN-L0", fm, "open", NOW),  # the end is exclusive
            ("MAIN-L0", it, "open", NOW - timedelta(days=1)),  # another category: its own count
            ("MAIN-101", it, "open", NOW - timedelta(days=2)),
            ("MAIN-101", it, "open", NOW - timedelta(days=3)),
            (None, fm, "open", NOW - timedelta(days=1)),  # no place: never counted
            (None, fm, "open", NOW - timedelta(days=1)),
            (None, fm, "open", NOW - timedelta(days=1)),
        ],
    )
    transport = ticket_transport
    answer = await _recurring(transport)
    assert (answer.min_tickets, answer.days, answer.since, answer.until) == (3, 30, SINCE, NOW)
    assert [(p.room.room_code, p.category, p.count) for p in answer.places] == [("MAIN-L0", fm, 3)]
    assert answer.places[0].ticket_ids == [3, 2, 1]  # newest first
    assert answer.places[0].room.room_name == "Lift lobby" and not answer.places[0].room.retired
    two = await _recurring(transport, min_tickets=2)
    assert [(p.room.room_code, p.category, p.count) for p in two.places] == [("MAIN-L0", fm, 3), ("MAIN-101", it, 2)]


async def test_the_analysis_matches_a_sql_count_on_seeded_tickets(
    database_url: str, ticket_transport: httpx.AsyncBaseTransport
) -> None:
    rng = random.Random(15)
    rows = [
        (
            rng.choice([*ROOMS, None]),
            rng.choice(CATEGORIES),
            rng.choice(STATUSES),
            NOW - timedelta(days=rng.uniform(0, 45)),
        )
        for _ in range(400)
    ]
    await _seed(database_url, rows)
    # Retire a room with tickets: its problems still count, marked retired.
    await _load_directory(ticket_transport, DIRECTORY.replace("LAB,Laboratory building,1,LAB-102,Physics lab\n", ""))
    transport = ticket_transport
    for min_tickets, days in ((3, 30), (8, 30), (1, 7), (12, 45)):
        answer = await _recurring(transport, min_tickets=min_tickets, days=days)
        expected = await _sql_count(database_url, NOW - timedelta(days=days), NOW, min_tickets)
        # The exact count, and the newest MAX_TICKET_IDS_PER_PLACE ids of it.
        got = {(p.room.room_code, p.category): (p.count, p.ticket_ids) for p in answer.places}
        assert got == {pair: (len(ids), ids[:MAX_TICKET_IDS_PER_PLACE]) for pair, ids in expected.items()}, (
            min_tickets,
            days,
        )
        assert [p.count for p in answer.places] == sorted((p.count for p in answer.places), reverse=True)
        assert all(p.room.retired == (p.room.room_code == "LAB-102") for p in answer.places)
    assert any(p.room.room_code == "LAB-102" for p in (await _recurring(transport, min_tickets=1)).places)
