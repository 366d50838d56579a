"""The three analytics services in-process, each calling an in-process ticket service on a real
database (PostgreSQL and SQLite) filled with hand-made tickets; plus their behaviour when the
ticket service is down or slow."""

from __future__ import annotations

import asyncio
import importlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI

from campusdesk_common.http_client import UpstreamClient
from tests.analytics.data import Row, insert_tickets, utc
from ticket_service.main import create_app as create_ticket_app
from ticket_service.settings import Settings as TicketSettings

FM, IT, SC = "facility_management", "technical_it", "services_complaints"
NOW = utc(2026, 3, 11, 10, 30)
ServiceFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@asynccontextmanager
async def analytics_client(
    service: str, ticket_transport: httpx.AsyncBaseTransport, now: datetime = NOW
) -> AsyncIterator[httpx.AsyncClient]:
    """`service` in-process, its ticket service client going through `ticket_transport`."""
    main = importlib.import_module(f"{service}.main")
    settings = importlib.import_module(f"{service}.settings").Settings()
    app: FastAPI = main.create_app(settings)
    async with app.router.lifespan_context(app):
        await app.state.tickets.aclose()
        app.state.tickets = UpstreamClient("ticket service", "http://ticket-service", transport=ticket_transport)
        app.state.clock = lambda: now
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://analytics") as client:
            yield client


@pytest.fixture
async def ticket_transport(database_url: str) -> AsyncIterator[httpx.AsyncBaseTransport]:
    app = create_ticket_app(TicketSettings(database_url=database_url))
    async with app.router.lifespan_context(app):
        yield httpx.ASGITransport(app=app)


async def test_open_tickets_over_a_day(database_url: str, ticket_transport: httpx.AsyncBaseTransport) -> None:
    since = NOW - timedelta(hours=24)  # 2026-03-10T10:30Z
    await insert_tickets(
        database_url,
        [
            Row(FM, "open", since),  # exactly at the start of the period: counts
            Row(IT, "active", since + timedelta(minutes=29, seconds=59)),  # still the 10:00 bucket
            Row(IT, "open", since - timedelta(seconds=1)),  # before the period
            Row(SC, "closed", since + timedelta(hours=1), since + timedelta(hours=2)),  # closed: excluded
            Row(SC, "open", utc(2026, 3, 11, 0)),
            Row(SC, "active", NOW - timedelta(microseconds=1)),  # the running hour
            Row(FM, "open", NOW),  # exactly now: the end is exclusive
        ],
    )
    async with analytics_client("analytics_open_service", ticket_transport) as client:
        response = await client.get("/open-tickets", params={"hours": 24})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["period"] == {"unit": "hours", "value": 24}
    assert answer["since"] == "2026-03-10T10:30:00Z" and answer["until"] == "2026-03-11T10:30:00Z"
    assert answer["count"] == 4
    assert answer["by_category"] == {FM: 1, IT: 1, SC: 2}
    series = answer["series"]
    assert len(series) == 25  # 10:00 on the 10th (partial) .. 10:00 on the 11th (running)
    assert series[0] == {"start": "2026-03-10T10:00:00Z", "count": 2}
    assert series[14] == {"start": "2026-03-11T00:00:00Z", "count": 1}
    assert series[24] == {"start": "2026-03-11T10:00:00Z", "count": 1}
    assert sum(point["count"] for point in series) == 4


async def test_open_tickets_in_days_and_as_csv(database_url: str, ticket_transport: httpx.AsyncBaseTransport) -> None:
    await insert_tickets(
        database_url,
        [Row(FM, "open", utc(2026, 3, 5, 12)), Row(IT, "open", utc(2026, 3, 11, 9)), Row(IT, "closed", NOW, NOW)],
    )
    async with analytics_client("analytics_open_service", ticket_transport) as client:
        answer = (await client.get("/open-tickets", params={"days": 7})).json()
        assert answer["period"] == {"unit": "days", "value": 7}
        assert [p["start"][:10] for p in answer["series"]] == [f"2026-03-{d:02d}" for d in range(4, 12)]
        assert [p["count"] for p in answer["series"]] == [0, 1, 0, 0, 0, 0, 0, 1]
        for request in (
            {"params": {"days": 7, "format": "csv"}},
            {"params": {"days": 7}, "headers": {"Accept": "text/csv"}},
        ):
            csv = await client.get("/open-tickets", **request)  # type: ignore[arg-type]
            assert csv.status_code == 200
            assert csv.headers["content-type"].startswith("text/csv")
            assert csv.headers["content-disposition"] == 'attachment; filename="open-tickets-last-7-days.csv"'
            lines = csv.text.splitlines()
            assert lines[0] == "start,count,facility_management,technical_it,services_complaints"
            assert lines[2] == "2026-03-05T00:00:00+00:00,1,1,0,0"
            assert len(lines) == 1 + 8


@pytest.mark.parametrize(
    "params",
    [{}, {"hours": 0}, {"hours": 8761}, {"days": 3651}, {"hours": 1, "days": 1}, {"hours": "abc"}, {"days": -2}],
)
async def test_open_tickets_rejects_bad_periods(params: dict[str, object]) -> None:
    async with analytics_client("analytics_open_service", httpx.MockTransport(lambda _: httpx.Response(500))) as client:
        response = await client.get("/open-tickets", params=params)  # type: ignore[arg-type]
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "exactly one of hours (1..8760) or days (1..3650)" in response.json()["detail"]


async def test_resolution_time_by_opening_month(database_url: str, ticket_transport: httpx.AsyncBaseTransport) -> None:
    await insert_tickets(
        database_url,
        [
            # Opened on the last second of January (UTC), closed in February: counts in January.
            Row(FM, "closed", utc(2026, 1, 31, 23, 59, 59), utc(2026, 2, 1, 1, 59, 59)),  # 2 h
            Row(IT, "closed", utc(2026, 1, 1, 0, 0, 0), utc(2026, 1, 1, 3)),  # 3 h
            Row(IT, "closed", utc(2026, 1, 15), utc(2026, 1, 15, 10)),  # 10 h
            Row(SC, "closed", utc(2026, 3, 1), utc(2026, 3, 1, 1, 30)),  # 1.5 h, March
            Row(SC, "open", utc(2026, 2, 10)),  # February: nothing closed -> null
            Row(FM, "active", utc(2026, 2, 11)),
            Row(FM, "closed", utc(2025, 12, 31, 23, 59, 59), utc(2026, 1, 1, 0, 59, 59)),  # December 2025, 1 h
        ],
    )
    async with analytics_client("analytics_resolution_service", ticket_transport) as client:
        answer = (await client.get("/resolution-time", params={"from": "2026-01", "to": "2026-04"})).json()
        months = {m["month"]: m for m in answer["months"]}
        assert list(months) == ["2026-01", "2026-02", "2026-03", "2026-04"]
        assert months["2026-01"]["closed_tickets"] == 3
        assert months["2026-01"]["average_hours"] == 5.0
        assert abs(months["2026-01"]["median_hours"] - 3.0) <= 0.05 * 3.0  # the histogram bound
        assert months["2026-02"] == {
            "month": "2026-02",
            "closed_tickets": 0,
            "average_hours": None,
            "median_hours": None,
        }
        assert months["2026-03"]["closed_tickets"] == 1 and months["2026-03"]["average_hours"] == 1.5
        assert months["2026-04"]["average_hours"] is None

        only_it = (
            await client.get("/resolution-time", params={"from": "2026-01", "to": "2026-01", "category": IT})
        ).json()
        assert only_it["months"][0]["closed_tickets"] == 2 and only_it["months"][0]["average_hours"] == 6.5
        two = await client.get(
            "/resolution-time", params=[("from", "2026-01"), ("to", "2026-01"), ("category", FM), ("category", IT)]
        )
        assert two.json()["months"][0]["closed_tickets"] == 3

        default = (await client.get("/resolution-time")).json()["months"]
        assert default[0]["month"] == "2025-04" and default[-1]["month"] == "2026-03"
        assert {m["month"]: m["closed_tickets"] for m in default}["2025-12"] == 1

        csv = await client.get("/resolution-time", params={"from": "2026-01", "to": "2026-02", "format": "csv"})
        assert csv.headers["content-disposition"] == 'attachment; filename="resolution-time-2026-01-to-2026-02.csv"'
        lines = csv.text.splitlines()
        assert lines[0] == "month,closed_tickets,average_hours,median_hours"
        assert lines[1].startswith("2026-01,3,5.00,") and lines[2] == "2026-02,0,,"


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-13"},
        {"to": "2026-1"},
        {"from": "2026-05", "to": "2026-01"},
        {"category": "plumbing"},
        {"format": "xml"},
    ],
)
async def test_resolution_time_rejects_bad_parameters(params: dict[str, str]) -> None:
    async with analytics_client(
        "analytics_resolution_service", httpx.MockTransport(lambda _: httpx.Response(500))
    ) as client:
        response = await client.get("/resolution-time", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"]


async def test_active_by_category(database_url: str, ticket_transport: httpx.AsyncBaseTransport) -> None:
    t = utc(2026, 3, 1)
    await insert_tickets(
        database_url,
        [Row(IT, "active", t), Row(IT, "active", t), Row(FM, "open", t), Row(SC, "closed", t, t + timedelta(hours=1))],
    )
    async with analytics_client("analytics_category_service", ticket_transport) as client:
        assert (await client.get("/active-by-category")).json() == {
            "categories": [
                {"category": FM, "label": "Facility management", "active": 0},
                {"category": IT, "label": "Technical IT", "active": 2},
                {"category": SC, "label": "Services and complaints", "active": 0},
            ],
            "total_active": 2,
        }
        csv = await client.get("/active-by-category", headers={"Accept": "text/csv"})
        assert csv.text.splitlines()[2] == "technical_it,Technical IT,2"
        assert 'filename="active-tickets-by-category.csv"' in csv.headers["content-disposition"]
        assert (await client.get("/active-by-category", params={"format": "pdf"})).status_code == 422


SERVICES = [
    ("analytics_open_service", "/open-tickets?hours=24"),
    ("analytics_resolution_service", "/resolution-time"),
    ("analytics_category_service", "/active-by-category"),
]


@pytest.mark.parametrize(("service", "path"), SERVICES)
async def test_ticket_service_down_then_back(service: str, path: str) -> None:
    up = False

    def handler(request: httpx.Request) -> httpx.Response:
        if not up:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(500)  # reachable but failing: still a 503 problem here

    async with analytics_client(service, httpx.MockTransport(handler)) as client:
        started = time.monotonic()
        response = await client.get(path)
        assert time.monotonic() - started < 2
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) > 0
        assert "ticket service" in response.json()["detail"]
        up = True
        assert (await client.get(path)).status_code == 503
    # Recovery with the real ticket service is in tests/integration/test_analytics_over_http.py.


@pytest.mark.parametrize(("service", "path"), SERVICES)
async def test_slow_ticket_service_gives_503_within_2_seconds(service: str, path: str) -> None:
    async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)

    server = await asyncio.start_server(never_answers, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        main = importlib.import_module(f"{service}.main")
        settings = importlib.import_module(f"{service}.settings").Settings(
            ticket_service_url=f"http://127.0.0.1:{port}"
        )
        app = main.create_app(settings)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://a") as client:
                started = time.monotonic()
                response = await client.get(path)
                elapsed = time.monotonic() - started
                assert response.status_code == 503 and elapsed < 2, elapsed
                assert response.headers["retry-after"]
                ready = await client.get("/ready")
                assert ready.status_code == 503 and ready.headers["retry-after"]
    finally:
        server.close()


@pytest.mark.parametrize(("service", "path"), SERVICES)
async def test_openapi_documents_the_endpoint(service: str, path: str) -> None:
    async with analytics_client(service, httpx.MockTransport(lambda _: httpx.Response(500))) as client:
        operation = (await client.get("/openapi.json")).json()["paths"][path.split("?")[0]]["get"]
    assert operation["summary"]
    assert "text/csv" in operation["responses"]["200"]["content"]
    assert {"422", "503"} <= set(operation["responses"])
