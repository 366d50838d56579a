"""The backlog counters stay exactly equal to a recomputation from the tickets, on both databases.

`open_backlog_hourly` and `active_counts` are kept by `counters` inside each mutation's
transaction; these tests drive the ticket API (randomised, and concurrently), the
migration backfill and the seeder, and compare the tables with a count made in Python
from the tickets themselves. They also check that `/stats/open-tickets`, which reads
whole hours from the counters and only the partial edge hours from the tickets, answers
exactly what a brute-force count gives, at the edges of the window.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from campusdesk_common.contracts.stats import OpenTicketCounts
from campusdesk_common.vocabulary import CATEGORIES
from tests.ticket_service.conftest import HELPDESK, Api
from ticket_service import counters, service
from ticket_service.database import alembic_config, migrate, sync_database_url
from ticket_service.models import Ticket
from ticket_service_tools.seed import seed_database

# The stub classifier of conftest: these words pick the category of a description.
DESCRIPTIONS = {
    "technical_it": "The wifi in the library drops every few minutes",
    "services_complaints": "The canteen served cold food again today",
    "facility_management": "The elevator in building B is stuck",
}
START = datetime(2026, 3, 1, 22, 10, 5, 250_000, tzinfo=UTC)


class Clock:
    """Replaces `service.utcnow`: time moves forward by the steps the test chooses."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def at(self, moment: datetime) -> None:
        self.now = moment


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock(START)
    monkeypatch.setattr(service, "utcnow", clock)
    yield clock


async def _ticket_rows(engine: AsyncEngine) -> list[tuple[Any, ...]]:
    tickets = Ticket.__table__
    async with engine.connect() as connection:
        result = await connection.execute(select(tickets.c.status, tickets.c.category, tickets.c.opened_at))
        return [tuple(row) for row in result]


async def assert_counters_exact(engine: AsyncEngine) -> tuple[dict[tuple[int, str], int], dict[str, int]]:
    """The counter tables equal a recomputation from the tickets (and hold no zero rows)."""
    expected_hourly, expected_active = counters.expected_counters(await _ticket_rows(engine))
    async with engine.connect() as connection:
        hourly = {
            (int(h), str(c)): int(n)
            for h, c, n in await connection.execute(text("SELECT hour, category, count FROM open_backlog_hourly"))
        }
        active = {
            str(c): int(n) for c, n in await connection.execute(text("SELECT category, count FROM active_counts"))
        }
    assert hourly == expected_hourly
    assert active == {category: expected_active.get(category, 0) for category in CATEGORIES}
    return hourly, active


def _brute_force_cells(tickets: list[dict[str, Any]], since: datetime, until: datetime) -> list[Any]:
    counts: Counter[tuple[datetime, str]] = Counter()
    for ticket in tickets:
        opened = datetime.fromisoformat(ticket["opened_at"])
        if ticket["status"] != "closed" and since <= opened < until:
            counts[(opened.replace(minute=0, second=0, microsecond=0), ticket["category"])] += 1
    return [{"hour": hour, "category": c, "count": n} for (hour, c), n in sorted(counts.items())]


async def _all_tickets(api: Api) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = await api.client.get("/tickets", params=params, headers=HELPDESK)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def assert_open_tickets_exact(api: Api, since: datetime, until: datetime) -> None:
    tickets = await _all_tickets(api)
    params = {"since": since.isoformat(), "until": until.isoformat()}
    response = await api.client.get("/stats/open-tickets", params=params)
    assert response.status_code == 200, response.text
    answer = OpenTicketCounts.model_validate_json(response.content)
    cells = [cell.model_dump() for cell in answer.cells]
    assert cells == _brute_force_cells(tickets, since, until), (since, until)


async def _active_endpoint(api: Api) -> dict[str, int]:
    response = await api.client.get("/stats/active-by-category")
    assert response.status_code == 200, response.text
    answer: dict[str, int] = response.json()["active"]
    return answer


async def test_random_api_operations_keep_counters_exact(api: Api, clock: Clock) -> None:
    rng = random.Random(20261124)
    engine = api.app.state.engine
    ids: list[int] = []
    outcomes: Counter[str] = Counter()
    for step in range(160):
        clock.at(clock.now + timedelta(seconds=rng.randint(0, 2400), microseconds=rng.randint(0, 999_999)))
        action = rng.choice(["create", "create", "start", "close", "describe", "correct", "correct_and_move"])
        if action == "create" or not ids:
            ticket = await api.create(DESCRIPTIONS[rng.choice(CATEGORIES)])
            ids.append(ticket["id"])
            outcomes["created"] += 1
            continue
        ticket_id = rng.choice(ids)
        if action == "start":
            response = await api.patch(ticket_id, {"status": "active"})
        elif action == "close":
            response = await api.patch(ticket_id, {"status": "closed"})
        elif action == "describe":  # re-classified unless the helpdesk set the category
            description = DESCRIPTIONS[rng.choice(CATEGORIES)] + f" (update {step})"
            response = await api.patch(ticket_id, {"description": description}, role="user")
        elif action == "correct":
            response = await api.patch(ticket_id, {"category": rng.choice(CATEGORIES)})
        else:
            current = (await api.client.get(f"/tickets/{ticket_id}", headers=HELPDESK)).json()["status"]
            target = {"open": "active", "active": "closed"}.get(current, "closed")
            response = await api.patch(ticket_id, {"category": rng.choice(CATEGORIES), "status": target})
        assert response.status_code in (200, 409, 404), response.text
        outcomes[f"{action}:{response.status_code}"] += 1
        if step % 40 == 0:
            await assert_counters_exact(engine)
    hourly, active = await assert_counters_exact(engine)
    assert await _active_endpoint(api) == active
    # The run exercised every kind of change, over several hours.
    assert {"start:200", "close:200", "describe:200", "correct:200", "correct_and_move:200"} <= set(outcomes)
    assert len({hour for hour, _category in hourly}) > 5
    await assert_open_tickets_exact(api, START - timedelta(hours=1), clock.now + timedelta(hours=1))
    await assert_open_tickets_exact(api, START + timedelta(minutes=17), clock.now - timedelta(minutes=29))


async def test_concurrent_starts_closes_and_corrections_keep_counters_exact(api: Api, clock: Clock) -> None:
    engine = api.app.state.engine
    opened = []
    for i in range(20):
        clock.at(START + timedelta(minutes=13 * i))
        opened.append(await api.create(DESCRIPTIONS[CATEGORIES[i % 3]]))
    active = []
    for i in range(20):
        clock.at(START + timedelta(hours=6, minutes=9 * i))
        active.append(await api.ticket_in("active", DESCRIPTIONS[CATEGORIES[(i + 1) % 3]]))
    await assert_counters_exact(engine)

    # 20 starts, 20 closes, and racing duplicates and corrections of the same tickets.
    requests = [api.patch(t["id"], {"status": "active"}) for t in opened]
    requests += [api.patch(t["id"], {"status": "closed"}) for t in active]
    requests += [api.patch(t["id"], {"status": "closed"}) for t in active[:10]]  # twice: one must lose
    requests += [api.patch(t["id"], {"category": CATEGORIES[i % 3]}) for i, t in enumerate(opened + active)]
    responses = await asyncio.gather(*requests)
    statuses = Counter(r.status_code for r in responses)
    assert set(statuses) <= {200, 409}, [r.text for r in responses if r.status_code not in (200, 409)]
    # Each active ticket is closed exactly once; every opened ticket was started.
    closes = responses[20:50]
    assert sum(r.status_code == 200 for r in closes) + sum(r.status_code == 409 for r in closes) == 30
    _hourly, counts = await assert_counters_exact(engine)
    assert sum(counts.values()) == 20
    assert await _active_endpoint(api) == counts


async def test_open_tickets_is_exact_at_the_edges_of_the_window(api: Api, clock: Clock) -> None:
    since = datetime(2026, 3, 1, 10, 20, 0, tzinfo=UTC)
    until = datetime(2026, 3, 2, 14, 45, 30, 500_000, tzinfo=UTC)
    us = timedelta(microseconds=1)
    moments = [
        since - us,  # just outside
        since,  # exactly at `since`: counted
        since + us,
        datetime(2026, 3, 1, 10, 59, 59, 999_999, tzinfo=UTC),  # end of the first, partial hour
        datetime(2026, 3, 1, 11, 0, tzinfo=UTC),  # the first whole hour starts
        datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=UTC),  # day boundary
        datetime(2026, 3, 2, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 2, 13, 59, 59, 999_999, tzinfo=UTC),  # end of the last whole hour
        datetime(2026, 3, 2, 14, 0, tzinfo=UTC),  # the last, partial hour starts
        until - us,  # just before `until`: counted
        until,  # exactly at `until`: not counted
        until + timedelta(minutes=5),  # same hour as `until`, after it
    ]
    tickets = []
    for i, moment in enumerate(moments):
        for j, category in enumerate(CATEGORIES):
            clock.at(moment)
            ticket = await api.create(DESCRIPTIONS[category])
            tickets.append(ticket)
            clock.at(moment + timedelta(seconds=1))
            if (i + j) % 4 == 1:
                assert (await api.patch(ticket["id"], {"status": "active"})).status_code == 200
            if (i + j) % 4 == 2:
                for status in ("active", "closed"):
                    assert (await api.patch(ticket["id"], {"status": status})).status_code == 200
            if (i + j) % 5 == 3:
                assert (await api.patch(ticket["id"], {"category": CATEGORIES[(j + 1) % 3]})).status_code == 200
    await assert_counters_exact(api.app.state.engine)
    windows = [
        (since, until),
        (since, since + timedelta(minutes=10)),  # inside one hour
        (datetime(2026, 3, 1, 11, tzinfo=UTC), datetime(2026, 3, 2, 14, tzinfo=UTC)),  # aligned to hours
        (datetime(2026, 3, 1, 10, 59, 59, 999_999, tzinfo=UTC), datetime(2026, 3, 1, 11, 0, 0, 1, tzinfo=UTC)),
        (datetime(2026, 3, 1, 10, tzinfo=UTC), until),  # aligned start, partial end
        (since, datetime(2026, 3, 2, tzinfo=UTC)),  # partial start, aligned end (midnight)
        (since - timedelta(days=3), until + timedelta(days=3)),
        (datetime(2026, 3, 1, 12, 30, tzinfo=UTC), datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),  # no whole hour
    ]
    for window_since, window_until in windows:
        await assert_open_tickets_exact(api, window_since, window_until)
    # An offset other than UTC means the same instant.
    local = since.astimezone(timezone(timedelta(hours=2)))
    answers = []
    for start in (local, since):
        params = {"since": start.isoformat(), "until": until.isoformat()}
        answers.append((await api.client.get("/stats/open-tickets", params=params)).json()["cells"])
    assert answers[0] == answers[1] != []


def test_migration_backfills_counters_from_existing_tickets(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "0001")
    engine = sa.create_engine(sync_database_url(database_url))
    rng = random.Random(7)
    base = datetime(2025, 12, 31, 20, 0, tzinfo=UTC)
    rows = []
    for _ in range(400):
        opened = base + timedelta(seconds=rng.randint(0, 3 * 86400), microseconds=rng.randint(0, 999_999))
        status = rng.choice(["open", "active", "closed"])
        rows.append(
            {
                "description": "migrated ticket",
                "category": rng.choice(CATEGORIES),
                "status": status,
                "opened_at": opened,
                "updated_at": opened,
                "closed_at": opened + timedelta(hours=2) if status == "closed" else None,
            }
        )
    rows.append({**rows[0], "opened_at": base, "updated_at": base, "status": "open", "closed_at": None})  # on the hour
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(Ticket.__table__), rows)
        migrate(database_url)
        with engine.connect() as connection:
            hourly = {
                (int(h), str(c)): int(n)
                for h, c, n in connection.execute(text("SELECT hour, category, count FROM open_backlog_hourly"))
            }
            active = {str(c): int(n) for c, n in connection.execute(text("SELECT category, count FROM active_counts"))}
    finally:
        engine.dispose()
    expected_hourly, expected_active = counters.expected_counters(
        (r["status"], r["category"], r["opened_at"]) for r in rows
    )
    assert hourly == expected_hourly
    assert active == {category: expected_active.get(category, 0) for category in CATEGORIES}
    assert counters.hour_of(base) in {hour for hour, _c in hourly}


def test_migration_on_an_empty_database_seeds_three_zero_rows(database_url: str) -> None:
    engine = sa.create_engine(sync_database_url(database_url))
    try:
        with engine.connect() as connection:
            assert dict(connection.execute(text("SELECT category, count FROM active_counts")).all()) == dict.fromkeys(
                CATEGORIES, 0
            )
            assert connection.execute(text("SELECT count(*) FROM open_backlog_hourly")).scalar() == 0
    finally:
        engine.dispose()


async def test_seeder_leaves_counters_exact(api: Api) -> None:
    await asyncio.to_thread(
        seed_database, _database_url(api), tickets=3000, seed=5, now=datetime(2026, 3, 1, tzinfo=UTC), progress=False
    )
    hourly, active = await assert_counters_exact(api.app.state.engine)
    assert sum(hourly.values()) > 0 and sum(active.values()) > 0
    # Mutations after the load keep them exact.
    ticket = await api.create(DESCRIPTIONS["technical_it"])
    assert (await api.patch(ticket["id"], {"status": "active"})).status_code == 200
    assert (await api.patch(ticket["id"], {"description": DESCRIPTIONS["services_complaints"]}, role="user")).json()[
        "category"
    ] == "services_complaints"
    await assert_counters_exact(api.app.state.engine)


def _database_url(api: Api) -> str:
    url: str = api.app.state.engine.url.render_as_string(hide_password=False)
    return url
