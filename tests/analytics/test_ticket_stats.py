"""The ticket service's `/stats` raw facts on PostgreSQL and SQLite, against hand-computed answers."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import httpx

from campusdesk_common.contracts.stats import (
    MonthResolutionFacts,
    OpenTicketCounts,
    ResolutionMonthly,
    histogram_bounds,
    histogram_bucket,
)
from tests.analytics.data import Row, insert_tickets, utc

FM, IT, SC = "facility_management", "technical_it", "services_complaints"
H = timedelta(hours=1)

SINCE = utc(2026, 3, 10, 10, 30)
UNTIL = utc(2026, 3, 11, 10, 30)


async def _open_counts(client: httpx.AsyncClient, since: datetime, until: datetime) -> OpenTicketCounts:
    response = await client.get("/stats/open-tickets", params={"since": since.isoformat(), "until": until.isoformat()})
    assert response.status_code == 200, response.text
    return OpenTicketCounts.model_validate_json(response.content)


def _cells(answer: OpenTicketCounts) -> list[tuple[datetime, str, int]]:
    return [(cell.hour, cell.category, cell.count) for cell in answer.cells]


async def test_open_ticket_cells_count_not_closed_tickets_per_hour(
    database_url: str, ticket_client: httpx.AsyncClient
) -> None:
    await insert_tickets(
        database_url,
        [
            Row(FM, "open", SINCE),  # exactly at `since`: counts
            Row(FM, "active", SINCE + timedelta(minutes=10)),  # same hour 10:00
            Row(FM, "open", SINCE + timedelta(minutes=40)),  # 11:10: the next hour, its own cell
            Row(IT, "open", SINCE - timedelta(microseconds=1)),  # just before: does not count
            Row(IT, "open", UNTIL),  # exactly at `until`: does not count
            Row(SC, "closed", SINCE + H, SINCE + 2 * H),  # closed: never counts
            Row(SC, "open", utc(2026, 3, 11, 0, 0)),  # midnight, its own hour
            Row(IT, "active", UNTIL - timedelta(seconds=1)),  # last, running hour 10:00
        ],
    )
    answer = await _open_counts(ticket_client, SINCE, UNTIL)
    assert (answer.since, answer.until) == (SINCE, UNTIL)
    assert _cells(answer) == [
        (utc(2026, 3, 10, 10), FM, 2),
        (utc(2026, 3, 10, 11), FM, 1),
        (utc(2026, 3, 11, 0), SC, 1),
        (utc(2026, 3, 11, 10), IT, 1),
    ]
    # Hourly cells even over a whole day: the analytics service, not this one, chooses wider buckets.
    day = await _open_counts(ticket_client, utc(2026, 3, 10), utc(2026, 3, 11))
    assert _cells(day) == [(utc(2026, 3, 10, 10), FM, 2), (utc(2026, 3, 10, 10), IT, 1), (utc(2026, 3, 10, 11), FM, 1)]
    raw = (
        await ticket_client.get("/stats/open-tickets", params={"since": SINCE.isoformat(), "until": UNTIL.isoformat()})
    ).json()
    assert set(raw) == {"since", "until", "cells"}
    assert raw["cells"][0] == {"hour": "2026-03-10T10:00:00+00:00", "category": FM, "count": 2}


async def test_open_tickets_takes_no_bucket_width(ticket_client: httpx.AsyncClient) -> None:
    paths = (await ticket_client.get("/openapi.json")).json()["paths"]
    names = {parameter["name"] for parameter in paths["/stats/open-tickets"]["get"]["parameters"]}
    assert names == {"since", "until"}


async def test_open_ticket_window_must_be_valid(ticket_client: httpx.AsyncClient) -> None:
    for params in (
        {"since": UNTIL.isoformat(), "until": SINCE.isoformat()},
        {"since": SINCE.isoformat(), "until": SINCE.isoformat()},  # empty window
        {"since": "2026-03-10T10:00:00", "until": UNTIL.isoformat()},  # no offset
        {"until": UNTIL.isoformat()},
        {"since": "8", "until": UNTIL.isoformat()},  # a number is not ISO 8601, even if pydantic reads it
        {"since": SINCE.isoformat(), "until": "1700000000"},
        {"since": "0001-01-01T00:00:00+05:00", "until": UNTIL.isoformat()},  # before year 1 in UTC
        {"since": SINCE.isoformat(), "until": "9999-12-31T23:00:00-05:00"},  # after year 9999 in UTC
    ):
        response = await ticket_client.get("/stats/open-tickets", params=params)
        assert response.status_code == 422, params
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


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


async def _resolution(client: httpx.AsyncClient, **params: str) -> ResolutionMonthly:
    response = await client.get("/stats/resolution-monthly", params=params)
    assert response.status_code == 200, response.text
    return ResolutionMonthly.model_validate_json(response.content)


def _histogram(month: MonthResolutionFacts) -> dict[int, int]:
    return {b.bucket: b.count for b in month.histogram}


async def test_resolution_monthly_gives_count_total_and_histogram(
    database_url: str, ticket_client: httpx.AsyncClient
) -> None:
    # UTC month boundaries: 2026-01-31T23:59:59 counts in January, 2026-02-01T00:00 in February.
    await insert_tickets(
        database_url,
        [
            Row(FM, "closed", utc(2026, 1, 31, 23, 59, 59), utc(2026, 2, 1, 1, 59, 59)),  # 2 h, January
            Row(IT, "closed", utc(2026, 1, 10), utc(2026, 1, 10, 10)),  # 10 h, January
            Row(IT, "closed", utc(2026, 1, 11), utc(2026, 1, 11, 4)),  # 4 h, January
            Row(IT, "closed", utc(2026, 1, 12), utc(2026, 1, 12, 4, 0, 0, 250_000)),  # 4 h 0.25 s, same bucket
            Row(SC, "closed", utc(2026, 2, 1), utc(2026, 2, 2)),  # 24 h, February
            Row(SC, "open", utc(2026, 2, 3)),  # not closed: not in the roll-ups
            Row(FM, "closed", utc(2026, 4, 1), utc(2026, 4, 1, 1)),  # April, outside the range
        ],
    )
    answer = await _resolution(ticket_client, **{"from": "2026-01", "to": "2026-03"})
    assert (answer.first, answer.last, answer.categories) == ("2026-01", "2026-03", [FM, IT, SC])
    january, february = answer.months
    assert (january.month, january.closed_count) == ("2026-01", 4)
    assert january.total_resolution_seconds == 20 * 3600 + 0.25  # exact, not an estimate
    assert _histogram(january) == {
        histogram_bucket(2 * 3600): 1,
        histogram_bucket(4 * 3600): 2,
        histogram_bucket(10 * 3600): 1,
    }
    assert [b.bucket for b in january.histogram] == sorted(_histogram(january))
    assert (february.month, february.closed_count, february.total_resolution_seconds) == ("2026-02", 1, 86400)
    assert _histogram(february) == {histogram_bucket(86400): 1}
    for month in answer.months:
        assert sum(b.count for b in month.histogram) == month.closed_count
    raw = (await ticket_client.get("/stats/resolution-monthly", params={"from": "2026-02", "to": "2026-02"})).json()
    assert set(raw["months"][0]) == {"month", "closed_count", "total_resolution_seconds", "histogram"}

    only_it = await _resolution(ticket_client, **{"from": "2026-01", "to": "2026-01", "category": IT})
    (it_january,) = only_it.months
    assert only_it.categories == [IT]
    assert (it_january.closed_count, it_january.total_resolution_seconds) == (3, 18 * 3600 + 0.25)
    assert _histogram(it_january) == {histogram_bucket(4 * 3600): 2, histogram_bucket(10 * 3600): 1}
    assert (await _resolution(ticket_client, **{"from": "2025-01", "to": "2025-12"})).months == []


async def test_resolution_histogram_bucket_edges_follow_the_contract(
    database_url: str, ticket_client: httpx.AsyncClient
) -> None:
    """Times on either side of a bucket's lower edge land in the bucket `histogram_bounds` names."""
    opened = utc(2026, 5, 1)
    lower, _upper = histogram_bounds(2000)  # about 21,000 s; the bucket is about 105 s wide
    times = [0.0, 0.004, math.ceil(lower) + 1.0, math.floor(lower) - 1.0]  # 0 and 0.004 s: bucket 0
    await insert_tickets(database_url, [Row(FM, "closed", opened, opened + timedelta(seconds=t)) for t in times])
    (may,) = (await _resolution(ticket_client, **{"from": "2026-05", "to": "2026-05"})).months
    assert _histogram(may) == {0: 2, 2000: 1, 1999: 1}
    for b in may.histogram:
        low, high = histogram_bounds(b.bucket)
        assert any(low <= t < high for t in times)


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


async def test_resolution_monthly_groups_buckets_outside_the_fine_window(
    database_url: str, ticket_client: httpx.AsyncClient
) -> None:
    """bucket_group=k answers k buckets per bin, except fine_from..fine_to, one bucket per bin; counts still add up."""
    opened = utc(2026, 6, 1)
    times = [3600.0 * h for h in (0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89)]
    await insert_tickets(database_url, [Row(IT, "closed", opened, opened + timedelta(seconds=t)) for t in times])
    buckets = sorted(histogram_bucket(t) for t in times)
    fine_from = buckets[5] // 32 * 32
    params = {"from": "2026-06", "to": "2026-06", "bucket_group": 32, "fine_from": fine_from, "fine_to": fine_from + 31}
    response = await ticket_client.get("/stats/resolution-monthly", params=params)
    answer = ResolutionMonthly.model_validate_json(response.content)
    assert (answer.bucket_group, answer.fine_buckets) == (32, [fine_from, fine_from + 31])
    (june,) = answer.months
    expected: dict[int, int] = {}
    for b in buckets:
        key = b if fine_from <= b <= fine_from + 31 else b // 32 * 32
        expected[key] = expected.get(key, 0) + 1
    assert _histogram(june) == expected and sum(expected.values()) == june.closed_count == len(times)
    for bad in ({"fine_from": 5, "fine_to": 36}, {"fine_from": 32}, {"fine_from": 64, "fine_to": 31}):
        refused = await ticket_client.get(
            "/stats/resolution-monthly", params={"from": "2026-06", "to": "2026-06", "bucket_group": 32, **bad}
        )
        assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"


async def test_a_group_wider_than_the_kept_one_is_read_from_the_kept_bins(
    database_url: str, ticket_client: httpx.AsyncClient
) -> None:
    """A multiple of COARSE_BUCKET_GROUP is served from the coarse table; the bins are those of the single buckets."""
    opened = utc(2026, 7, 1)
    times = [3600.0 * h for h in (0.5, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 400)]
    await insert_tickets(database_url, [Row(FM, "closed", opened, opened + timedelta(seconds=t)) for t in times])
    buckets = sorted(histogram_bucket(t) for t in times)
    fine_from = buckets[6] // 128 * 128
    for group, fine in ((4096, None), (128, (fine_from, fine_from + 127))):
        params: dict[str, str | int] = {"from": "2026-07", "to": "2026-07", "bucket_group": group}
        if fine is not None:
            params |= {"fine_from": fine[0], "fine_to": fine[1]}
        (july,) = ResolutionMonthly.model_validate_json(
            (await ticket_client.get("/stats/resolution-monthly", params=params)).content
        ).months
        expected: dict[int, int] = {}
        for b in buckets:
            key = b if fine is not None and fine[0] <= b <= fine[1] else b // group * group
            expected[key] = expected.get(key, 0) + 1
        assert _histogram(july) == expected and july.closed_count == len(times), group
