"""`/stats/verified-fixes` on PostgreSQL and SQLite: closed tickets, fix answers and follow-ups per closing
month and category, against a hand-made set with month edges and the follow-up window's edge to the microsecond.

Tickets, links and answers are written with SQL (the answers' own HTTP path is the private links'),
at controlled times; a link answers only after its ticket closed, as the private page allows.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.stats import MonthCategoryFixFacts, VerifiedFixFacts
from campusdesk_common.vocabulary import CATEGORIES, FOLLOW_UP_DAYS
from tests.analytics.data import utc
from ticket_service import verified_fixes
from ticket_service.database import create_engine
from ticket_service.models import PrivateLink, Ticket

FM, IT, SC = CATEGORIES
DAY = timedelta(days=1)
WINDOW = timedelta(days=FOLLOW_UP_DAYS)
MICROSECOND = timedelta(microseconds=1)
PROBLEM = "application/problem+json"


@dataclass(frozen=True)
class Seeded:
    """A closed ticket, the answers its links gave (None: a link that never answered) and its follow-ups."""

    category: str
    closed_at: datetime
    answers: tuple[str | None, ...] = ()
    follow_ups_after: tuple[timedelta, ...] = ()  # each follow-up's opened_at - closed_at
    first_follow_up_closed_at: datetime | None = None  # follow-ups stay open unless given


# The set every verified-fixes test seeds; EXPECTED below is counted by hand from it.
JAN_LAST = utc(2026, 1, 31, 23, 59, 59, 999_999)
SEEDED = [
    Seeded(FM, utc(2026, 1, 10, 10), ("fixed", "fixed")),  # answered, confirmed
    Seeded(FM, JAN_LAST, ("broken", "fixed"), (WINDOW,)),  # one "broken": not confirmed; follow-up at exactly 14 days
    Seeded(FM, utc(2026, 1, 15), (), (WINDOW + MICROSECOND,)),  # follow-up 1 µs too late: not followed up
    Seeded(IT, utc(2026, 1, 20), (None,)),  # a link that never answered: not answered
    Seeded(IT, utc(2026, 1, 5, 8), ("broken",), (DAY, 13 * DAY), utc(2026, 1, 25)),  # two follow-ups: counts once
    Seeded(FM, utc(2026, 2, 1), ("fixed",)),  # the first moment of February
    Seeded(SC, utc(2026, 2, 3, 12)),  # closed, nothing else
    Seeded(SC, utc(2025, 12, 31, 23, 59, 59), ("fixed",), (DAY,)),  # closed in December: outside 2026-01..03
    Seeded(IT, utc(2026, 4, 1), ("fixed",)),  # closed in April: outside
]
# (month, category): closed, answered, confirmed fixed, followed up. January IT's third closed ticket
# is the first follow-up of the IT ticket closed on 5 January (closed itself on 25 January).
EXPECTED = {
    ("2026-01", FM): (3, 2, 1, 1),
    ("2026-01", IT): (3, 1, 0, 1),
    ("2026-02", FM): (1, 1, 1, 0),
    ("2026-02", SC): (1, 0, 0, 0),
}


async def seed(database_url: str, tickets: list[Seeded] = SEEDED) -> None:
    """Write the tickets, their links' answers (a day after closure) and their follow-ups."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            for ticket in tickets:
                opened = ticket.closed_at - 3 * DAY
                closed_id = await _ticket(connection, ticket.category, opened, ticket.closed_at)
                for kind, answer in zip(("reporter", *["follower"] * 9), ticket.answers, strict=False):
                    await connection.execute(
                        insert(PrivateLink),
                        {
                            "ticket_id": closed_id,
                            "kind": kind,
                            "token_hash": secrets.token_hex(32),
                            "created_at": opened,
                            "fix_answer": answer,
                            "fix_answered_at": None if answer is None else ticket.closed_at + DAY,
                        },
                    )
                for number, after in enumerate(ticket.follow_ups_after):
                    closed = ticket.first_follow_up_closed_at if number == 0 else None
                    await _ticket(connection, ticket.category, ticket.closed_at + after, closed, follows_up=closed_id)
            await verified_fixes.rebuild(connection)  # the roll-up the endpoint reads, from these rows
    finally:
        await engine.dispose()


async def _ticket(
    connection: AsyncConnection, category: str, opened: datetime, closed: datetime | None, follows_up: int | None = None
) -> int:
    row = await connection.execute(
        insert(Ticket).returning(Ticket.id),
        {
            "description": f"{category} ticket",
            "category": category,
            "status": "closed" if closed else "open",
            "opened_at": opened,
            "updated_at": closed or opened,
            "closed_at": closed,
            "follows_up": follows_up,
        },
    )
    return int(row.scalar_one())


async def _facts(client: httpx.AsyncClient, first: str, last: str) -> VerifiedFixFacts:
    response = await client.get("/stats/verified-fixes", params={"from": first, "to": last})
    assert response.status_code == 200, response.text
    return VerifiedFixFacts.model_validate_json(response.content)


def _cells(answer: VerifiedFixFacts) -> dict[tuple[str, str], tuple[int, int, int, int]]:
    return {(c.month, c.category): (c.closed, c.answered, c.confirmed_fixed, c.followed_up) for c in answer.cells}


async def test_verified_fix_facts_count_closures_answers_and_follow_ups(
    database_url: str, ticket_client: httpx.AsyncClient
) -> None:
    await seed(database_url)
    answer = await _facts(ticket_client, "2026-01", "2026-03")
    assert (answer.first, answer.last, answer.follow_up_days) == ("2026-01", "2026-03", FOLLOW_UP_DAYS)
    assert _cells(answer) == EXPECTED
    assert [(c.month, c.category) for c in answer.cells] == list(EXPECTED)  # month, then the categories' order
    raw = (await ticket_client.get("/stats/verified-fixes", params={"from": "2026-02", "to": "2026-02"})).json()
    assert raw == {
        "first": "2026-02",
        "last": "2026-02",
        "follow_up_days": FOLLOW_UP_DAYS,
        "cells": [
            {"month": "2026-02", "category": FM, "closed": 1, "answered": 1, "confirmed_fixed": 1, "followed_up": 0},
            {"month": "2026-02", "category": SC, "closed": 1, "answered": 0, "confirmed_fixed": 0, "followed_up": 0},
        ],
    }
    december = await _facts(ticket_client, "2025-12", "2025-12")
    assert december.cells == [
        MonthCategoryFixFacts(month="2025-12", category=SC, closed=1, answered=1, confirmed_fixed=1, followed_up=1)
    ]
    assert (await _facts(ticket_client, "2026-03", "2026-03")).cells == []
    assert _cells(await _facts(ticket_client, "0001-01", "0100-12")) == {}
    everything = _cells(await _facts(ticket_client, "2025-01", "2026-12"))
    assert everything == {**EXPECTED, ("2025-12", SC): (1, 1, 1, 1), ("2026-04", IT): (1, 1, 1, 0)}


async def test_the_last_month_9999_12_is_a_range_like_any_other(ticket_client: httpx.AsyncClient) -> None:
    assert (await _facts(ticket_client, "9901-01", "9999-12")).cells == []


async def test_verified_fix_facts_refuse_bad_months(ticket_client: httpx.AsyncClient) -> None:
    for params in (
        {"from": "2026-13", "to": "2026-12"},
        {"from": "2026-1", "to": "2026-12"},
        {"from": "0000-12", "to": "2026-12"},
        {"from": "2026-05", "to": "2026-04"},
        {"from": "1900-01", "to": "2026-12"},  # 1,524 months: more than 1,200
        {"from": "2026-01"},
        {"from": "2026-01", "to": "2026-02" + "9" * 5000},
        {"from": "２０２６-01", "to": "2026-02"},
    ):
        response = await ticket_client.get("/stats/verified-fixes", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["detail"]


async def test_verified_fixes_is_documented(ticket_client: httpx.AsyncClient) -> None:
    operation = (await ticket_client.get("/openapi.json")).json()["paths"]["/stats/verified-fixes"]["get"]
    assert operation["summary"] and "X-Role" in operation["description"]
    assert {"200", "422", "503"} <= set(operation["responses"])
    assert {p["name"] for p in operation["parameters"]} == {"from", "to"}
