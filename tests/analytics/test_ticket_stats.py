"""The ticket service's `/stats` aggregates on PostgreSQL and SQLite, against hand-computed answers."""

from __future__ import annotations

import math
from datetime import timedelta

import httpx
import pytest

from tests.analytics.data import Row, insert_tickets, utc

FM, IT, SC = "facility_management", "technical_it", "services_complaints"
H = timedelta(hours=1)

SINCE = utc(2026, 3, 10, 10, 30)
UNTIL = utc(2026, 3, 11, 10, 30)


async def test_open_ticket_cells_count_not_closed_tickets_in_the_window(
    database_url: str, ticket_client: httpx.AsyncClient
) -> None:
    await insert_tickets(
        database_url,
        [
            Row(FM, "open", SINCE),  # exactly at `since`: counts
            Row(FM, "active", SINCE + timedelta(minutes=10)),  # same hour 10:00
            Row(IT, "open", SINCE - timedelta(microseconds=1)),  # just before: does not count
            Row(IT, "open", UNTIL),  # exactly at `until`: does not count
            Row(SC, "closed", SINCE + H, SINCE + 2 * H),  # closed: never counts
            Row(SC, "open", utc(2026, 3, 11, 0, 0)),  # midnight, its own hour
            Row(IT, "active", UNTIL - timedelta(seconds=1)),  # last, running hour 10:00
        ],
    )
    hourly = await ticket_client.get(
        "/stats/open-tickets", params={"since": SINCE.isoformat(), "until": UNTIL.isoformat(), "bucket": "hour"}
    )
    assert hourly.status_code == 200, hourly.text
    assert hourly.json()["cells"] == [
        {"start": "2026-03-10T10:00:00Z", "category": FM, "count": 2},
        {"start": "2026-03-11T00:00:00Z", "category": SC, "count": 1},
        {"start": "2026-03-11T10:00:00Z", "category": IT, "count": 1},
    ]
    daily = await ticket_client.get(
        "/stats/open-tickets", params={"since": SINCE.isoformat(), "until": UNTIL.isoformat(), "bucket": "day"}
    )
    assert daily.json()["cells"] == [
        {"start": "2026-03-10T00:00:00Z", "category": FM, "count": 2},
        {"start": "2026-03-11T00:00:00Z", "category": SC, "count": 1},
        {"start": "2026-03-11T00:00:00Z", "category": IT, "count": 1},
    ]


async def test_open_ticket_window_must_be_valid(ticket_client: httpx.AsyncClient) -> None:
    for params in (
        {"since": UNTIL.isoformat(), "until": SINCE.isoformat()},
        {"since": "2026-03-10T10:00:00", "until": UNTIL.isoformat()},  # no offset
        {"since": SINCE.isoformat(), "until": UNTIL.isoformat(), "bucket": "week"},
        {"until": UNTIL.isoformat()},
        {"since": "8", "until": UNTIL.isoformat()},  # a number is not ISO 8601, even if pydantic reads it
        {"since": SINCE.isoformat(), "until": "1700000000"},
    ):
        response = await ticket_client.get("/stats/open-tickets", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"


async def test_active_by_category_counts_active_tickets_only(
    database_url: str, ticket_client: httpx.AsyncClient
) -> None:
    assert (await ticket_client.get("/stats/active-by-category")).json() == {"active": {FM: 0, IT: 0, SC: 0}}
    t = utc(2026, 1, 5, 9)
    await insert_tickets(
        database_url,
        [
            Row(FM, "active", t),
            Row(FM, "active", t),
            Row(FM, "open", t),
            Row(SC, "active", t),
            Row(IT, "closed", t, t + H),
        ],
    )
    assert (await ticket_client.get("/stats/active-by-category")).json() == {"active": {FM: 2, IT: 0, SC: 1}}


def _hours_midpoint(seconds: float) -> float:
    """The histogram estimate of one resolution time (bucket ratio 1.1)."""
    bucket = math.floor(math.log(seconds + 1) / math.log(1.1))
    return math.exp((bucket + 0.5) * math.log(1.1)) - 1


async def test_resolution_monthly_reads_the_rollups(database_url: str, ticket_client: httpx.AsyncClient) -> None:
    # UTC month boundaries: 2026-01-31T23:59:59 counts in January, 2026-02-01T00:00 in February.
    await insert_tickets(
        database_url,
        [
            Row(FM, "closed", utc(2026, 1, 31, 23, 59, 59), utc(2026, 2, 1, 1, 59, 59)),  # 2 h, January
            Row(IT, "closed", utc(2026, 1, 10), utc(2026, 1, 10, 10)),  # 10 h, January
            Row(IT, "closed", utc(2026, 1, 11), utc(2026, 1, 11, 4)),  # 4 h, January
            Row(SC, "closed", utc(2026, 2, 1), utc(2026, 2, 2)),  # 24 h, February
            Row(SC, "open", utc(2026, 2, 3)),  # not closed: not in the roll-ups
            Row(FM, "closed", utc(2026, 4, 1), utc(2026, 4, 1, 1)),  # April, outside the range
        ],
    )
    answer = (await ticket_client.get("/stats/resolution-monthly", params={"from": "2026-01", "to": "2026-03"})).json()
    assert answer["first"] == "2026-01" and answer["last"] == "2026-03"
    assert answer["categories"] == [FM, IT, SC]
    january, february = answer["months"]
    assert january["month"] == "2026-01" and january["closed_count"] == 3
    assert january["total_resolution_seconds"] == pytest.approx(16 * 3600)
    assert january["median_resolution_seconds"] == pytest.approx(_hours_midpoint(4 * 3600))
    assert february == {
        "month": "2026-02",
        "closed_count": 1,
        "total_resolution_seconds": pytest.approx(86400),
        "median_resolution_seconds": pytest.approx(_hours_midpoint(86400)),
    }
    # Even count: the median is the mean of the two middle values' estimates.
    only_it = await ticket_client.get(
        "/stats/resolution-monthly", params={"from": "2026-01", "to": "2026-01", "category": IT}
    )
    (it_january,) = only_it.json()["months"]
    assert it_january["closed_count"] == 2
    assert it_january["median_resolution_seconds"] == pytest.approx(
        (_hours_midpoint(4 * 3600) + _hours_midpoint(10 * 3600)) / 2
    )
    assert abs(it_january["median_resolution_seconds"] / (7 * 3600) - 1) <= 0.05


async def test_resolution_monthly_validates_months(ticket_client: httpx.AsyncClient) -> None:
    for params in (
        {"from": "2026-13", "to": "2026-12"},
        {"from": "2026-1", "to": "2026-12"},
        {"from": "2026-05", "to": "2026-04"},
        {"from": "2026-01", "to": "2026-02", "category": "plumbing"},
        {"from": "2026-01"},
    ):
        response = await ticket_client.get("/stats/resolution-monthly", params=params)
        assert response.status_code == 422, params
        assert response.json()["detail"]


async def test_stats_are_documented_in_the_ticket_service_openapi(ticket_client: httpx.AsyncClient) -> None:
    paths = (await ticket_client.get("/openapi.json")).json()["paths"]
    for path in ("/stats/open-tickets", "/stats/resolution-monthly", "/stats/active-by-category"):
        operation = paths[path]["get"]
        assert operation["summary"] and "X-Role" in operation["description"]
        assert "503" in operation["responses"]
