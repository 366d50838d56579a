"""`verified_fixes_monthly` (revision 0008) against the facts it sums, on PostgreSQL and SQLite.

The expected figures are counted here in plain Python from the tickets and links as stored, by the
definitions of `MonthCategoryFixFacts`; the roll-up must equal them after random histories through
the API (on top of past closures loaded with SQL and rebuilt), after the migration's backfill of
rows written with SQL (month edges, the follow-up window to the microsecond), and, on PostgreSQL,
when two links of one ticket answer at the same time.
"""

from __future__ import annotations

import asyncio
import random
import secrets
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from campusdesk_common.vocabulary import CATEGORIES, FOLLOW_UP_DAYS
from tests.ticket_service.conftest import Api, RecordingRetrainer, StubClassifier
from ticket_service import links, tokens, verified_fixes
from ticket_service.database import alembic_config, migrate
from ticket_service.main import create_app
from ticket_service.models import PrivateLink, Ticket
from ticket_service.settings import Settings

LINK = "X-Private-Link"
WINDOW = timedelta(days=FOLLOW_UP_DAYS)
MICROSECOND = timedelta(microseconds=1)
DESCRIPTIONS = ("The wifi drops in the library", "The printer jams", "The canteen food was cold", "Door is stuck")
Facts = dict[tuple[str, str], tuple[int, int, int, int]]


def expected_facts(tickets: list[tuple[Any, ...]], answers: list[tuple[Any, ...]]) -> Facts:
    """(closing month, category) -> closed, answered, confirmed fixed, followed up, from (id, category, status,
    opened_at, closed_at, follows_up) ticket rows and (ticket_id, fix_answer) link rows."""
    by_ticket: dict[int, list[str]] = defaultdict(list)
    for ticket_id, answer in answers:
        if answer is not None:
            by_ticket[ticket_id].append(answer)
    follow_ups: dict[int, list[datetime]] = defaultdict(list)
    for _id, _category, _status, opened_at, _closed_at, follows_up in tickets:
        if follows_up is not None:
            follow_ups[follows_up].append(opened_at)
    facts: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for ticket_id, category, status, _opened_at, closed_at, _follows_up in tickets:
        if status != "closed":
            continue
        cell = facts[(closed_at.astimezone(UTC).strftime("%Y-%m"), category)]
        given = by_ticket[ticket_id]
        cell["closed"] += 1
        cell["answered"] += bool(given)
        cell["confirmed"] += bool(given) and all(answer == "fixed" for answer in given)
        cell["followed"] += any(opened <= closed_at + WINDOW for opened in follow_ups[ticket_id])
    return {key: (c["closed"], c["answered"], c["confirmed"], c["followed"]) for key, c in facts.items()}


async def stored_rows(api: Api) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    async with api.app.state.engine.connect() as connection:
        tickets = (await connection.execute(sa.select(*_TICKET_COLUMNS))).all()
        answers = (await connection.execute(sa.select(PrivateLink.ticket_id, PrivateLink.fix_answer))).all()
    return [tuple(row) for row in tickets], [tuple(row) for row in answers]


_TICKET_COLUMNS = (Ticket.id, Ticket.category, Ticket.status, Ticket.opened_at, Ticket.closed_at, Ticket.follows_up)


async def rollup(api: Api) -> Facts:
    rows = await api.rows(
        "SELECT month, category, closed, answered, confirmed_fixed, followed_up FROM verified_fixes_monthly"
    )
    return {(month, category): tuple(counts) for month, category, *counts in rows}


async def served(api: Api, first: str, last: str) -> Facts:
    response = await api.client.get("/stats/verified-fixes", params={"from": first, "to": last})
    assert response.status_code == 200, response.text
    return {
        (c["month"], c["category"]): (c["closed"], c["answered"], c["confirmed_fixed"], c["followed_up"])
        for c in response.json()["cells"]
    }


async def assert_rollup_is_exact(api: Api) -> Facts:
    """The table, the endpoint and a rebuild from the rows all equal the facts counted in Python."""
    expected = expected_facts(*await stored_rows(api))
    assert await rollup(api) == expected
    months = sorted(month for month, _ in expected)
    if months:
        assert await served(api, months[0], months[-1]) == expected
    async with api.app.state.engine.connect() as connection:  # the rebuild's scan, rolled back
        await verified_fixes.rebuild(connection)
        rebuilt = await connection.execute(
            text("SELECT month, category, closed, answered, confirmed_fixed, followed_up FROM verified_fixes_monthly")
        )
        assert {(m, c): tuple(n) for m, c, *n in rebuilt} == expected
        await connection.rollback()
    return expected


async def _raw_ticket(
    connection: AsyncConnection, category: str, opened: datetime, closed: datetime | None, follows_up: int | None = None
) -> int:
    values = {
        "description": "seeded",
        "category": category,
        "status": "closed" if closed else "open",
        "opened_at": opened,
        "updated_at": closed or opened,
        "closed_at": closed,
        "follows_up": follows_up,
    }
    return int((await connection.execute(insert(Ticket).returning(Ticket.id), values)).scalar_one())


def _random_moment(rng: random.Random, now: datetime) -> datetime:
    """Mostly month edges (first and last microsecond), sometimes anywhere in the last 400 days."""
    if rng.random() < 0.5:
        return now - timedelta(days=rng.uniform(20, 400))
    month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0) - timedelta(days=31 * rng.randint(1, 12))
    start = month.replace(day=1)
    return start if rng.random() < 0.5 else start - MICROSECOND


@pytest.mark.parametrize("seed", [1, 2])
async def test_rollup_equals_the_facts_after_random_histories(api: Api, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    secret = tokens.app_secret(api.app.state)
    # Past closures written with SQL (the roll-up rebuilt from them), each with two live links.
    past_tokens: list[str] = []
    async with api.app.state.engine.begin() as connection:
        for _ in range(12):
            closed = _random_moment(rng, now)
            ticket_id = await _raw_ticket(connection, rng.choice(CATEGORIES), closed - timedelta(hours=5), closed)
            for kind in ("reporter", "follower"):
                issued = await links.issue(connection, secret, ticket_id=ticket_id, kind=kind, now=closed)
                past_tokens.append(issued.link.token)
        await verified_fixes.rebuild(connection)
    await assert_rollup_is_exact(api)

    # Histories through the API: reports, followers, corrections, closures, answers, follow-ups.
    live_tokens: list[str] = list(past_tokens)
    for _ in range(25):
        ticket = await api.create(rng.choice(DESCRIPTIONS))
        live_tokens.append(api.tokens[ticket["id"]])
        if rng.random() < 0.4:
            followed = await api.client.post(f"/tickets/{ticket['id']}/followers", headers={"X-Role": "user"})
            assert followed.status_code == 201, followed.text
            live_tokens.append(followed.json()["token"])
        if rng.random() < 0.3:
            corrected = await api.patch(ticket["id"], {"category": rng.choice(CATEGORIES)})
            assert corrected.status_code == 200, corrected.text
        for step in ("active", "closed")[: rng.choice((0, 1, 2, 2, 2))]:
            assert (await api.patch(ticket["id"], {"status": step})).status_code == 200
    for _ in range(60):
        token = rng.choice(live_tokens)
        response = await api.client.post(
            "/links/self/fix-answer", json={"answer": rng.choice(("fixed", "broken"))}, headers={LINK: token}
        )
        assert response.status_code in (200, 201, 409), response.text
        follow_up = response.json().get("follow_up") if response.status_code == 201 else None
        if follow_up is not None:
            live_tokens.append(follow_up["token"])
            if rng.random() < 0.5:  # the follow-up closes too, and its own link may answer later
                for step in ("active", "closed"):
                    assert (await api.patch(follow_up["ticket_id"], {"status": step})).status_code == 200
    expected = await assert_rollup_is_exact(api)
    totals = [sum(counts[i] for counts in expected.values()) for i in range(4)]
    assert totals[1] > 0 and totals[3] > 0, totals  # the history did answer and follow up


async def test_the_migration_backfills_the_rollup_from_existing_rows(database_url: str, api: Api) -> None:
    """Rows written with SQL before revision 0008: downgraded to 0007 and upgraded again, the fill counts them."""
    rng = random.Random(7)
    now = datetime(2026, 11, 20, 9, tzinfo=UTC)
    async with api.app.state.engine.begin() as connection:
        for number in range(40):
            closed = _random_moment(rng, now) if number % 5 else None
            category = rng.choice(CATEGORIES)
            ticket_id = await _raw_ticket(connection, category, (closed or now) - timedelta(days=2), closed)
            for kind in ("reporter", *["follower"] * rng.randint(0, 3)):
                answer = rng.choice((None, "fixed", "broken", "fixed")) if closed else None
                await connection.execute(
                    insert(PrivateLink),
                    {
                        "ticket_id": ticket_id,
                        "kind": kind,
                        "token_hash": secrets.token_hex(32),
                        "created_at": now,
                        "fix_answer": answer,
                        "fix_answered_at": None if answer is None or closed is None else closed + timedelta(hours=1),
                    },
                )
            if closed is not None:
                for after in rng.sample(
                    [MICROSECOND, timedelta(days=3), WINDOW, WINDOW + MICROSECOND], rng.randint(0, 2)
                ):
                    await _raw_ticket(connection, category, closed + after, None, follows_up=ticket_id)
    expected = expected_facts(*await stored_rows(api))
    command.downgrade(alembic_config(database_url), "0007")
    migrate(database_url)
    assert await rollup(api) == expected
    assert sum(counts[3] for counts in expected.values()) > 0


async def _until(condition: Callable[[], Awaitable[bool]], give_up_after: float = 20) -> None:
    """Poll an async condition until it holds (the deadline only bounds a hang)."""
    deadline = time.monotonic() + give_up_after
    while not await condition():
        assert time.monotonic() < deadline, "the condition never held"
        await asyncio.sleep(0.02)


@pytest.fixture
async def postgres_api(postgres_url: str) -> AsyncIterator[Api]:
    app = create_app(Settings(database_url=postgres_url))
    async with app.router.lifespan_context(app):
        retrainer = RecordingRetrainer()
        app.state.classifier, app.state.retrainer = StubClassifier(), retrainer
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ticket-service") as client:
            yield Api(client, app, retrainer)


async def _waiting_on_locks(engine: AsyncEngine, sessions: int) -> bool:
    # A connection of its own per look: pg_stat_activity is a snapshot for a whole transaction.
    async with engine.connect() as connection:
        waiting = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
        )
    return int(waiting or 0) >= sessions


@pytest.mark.parametrize(
    "answers", [("fixed", "fixed"), ("fixed", "broken"), ("broken", "fixed"), ("broken", "broken")]
)
async def test_two_links_answering_at_once_count_exactly(postgres_api: Api, answers: tuple[str, str]) -> None:
    """Both links of one ticket answer while another transaction holds the roll-up rows: both claims are in
    flight together, and each answer must still be counted knowing the other (PostgreSQL)."""
    api = postgres_api
    ticket = await api.create()
    follower = await api.client.post(f"/tickets/{ticket['id']}/followers", headers={"X-Role": "user"})
    assert follower.status_code == 201, follower.text
    for step in ("active", "closed"):
        assert (await api.patch(ticket["id"], {"status": step})).status_code == 200
    holders = [api.tokens[ticket["id"]], follower.json()["token"]]
    async with api.app.state.engine.connect() as holder:
        await holder.execute(text("UPDATE verified_fixes_monthly SET closed = closed"))
        racing = [
            asyncio.ensure_future(
                api.client.post("/links/self/fix-answer", json={"answer": answer}, headers={LINK: token})
            )
            for answer, token in zip(answers, holders, strict=True)
        ]
        await _until(lambda: _waiting_on_locks(api.app.state.engine, 2))
        await holder.rollback()
        responses = await asyncio.gather(*racing)
    assert [r.status_code for r in responses] == [201, 201], [r.text for r in responses]
    expected = await assert_rollup_is_exact(api)
    confirmed = int(answers == ("fixed", "fixed"))
    assert list(expected.values()) == [(1, 1, confirmed, int("broken" in answers))]
