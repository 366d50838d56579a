"""The three analytics services and the ticket service as real processes over real HTTP, on
PostgreSQL: every figure checked against a computation from the full ticket list.

Tickets are written with SQL (and the roll-ups with `rollups.record_resolution`, as the
closing transaction does) because the test needs controlled `opened_at`/`closed_at` times,
including ones exactly on month boundaries. A few tickets are also created and closed through
the ticket API, so the real closing transaction feeds the roll-ups too.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest

from campusdesk_common.contracts.analytics_category import ActiveByCategory
from campusdesk_common.contracts.analytics_open import OpenTickets
from campusdesk_common.contracts.analytics_resolution import ResolutionTime
from campusdesk_common.vocabulary import CATEGORIES, STATUSES
from tests.analytics.data import Row, insert_tickets
from tests.support.services import ServiceProcess, free_port

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

Ticket = tuple[str, str, datetime, datetime | None]
ANALYTICS = ("analytics_open_service", "analytics_resolution_service", "analytics_category_service")


def _random_tickets(now: datetime, count: int, seed: int = 7) -> list[Row]:
    rng = random.Random(seed)
    rows = []
    for _ in range(count):
        opened = now - timedelta(seconds=rng.uniform(60, 400 * 86400))
        category = rng.choice(CATEGORIES)
        status = rng.choices(STATUSES, weights=(1, 1, 4))[0]
        closed = opened + timedelta(seconds=rng.lognormvariate(10, 1.5)) if status == "closed" else None
        if closed is not None and closed > now:
            closed = now
        rows.append(Row(category, status, opened, closed))
    # Month boundaries in UTC, and tickets opened in the last hours (the open-tickets window).
    this_month = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    last_second = this_month - timedelta(seconds=1)
    rows += [
        Row("technical_it", "closed", last_second, last_second + timedelta(hours=5)),
        Row("technical_it", "closed", this_month, this_month + timedelta(hours=1)),
        Row("facility_management", "open", now - timedelta(minutes=5)),
        Row("services_complaints", "active", now - timedelta(hours=23, minutes=59)),
        Row("services_complaints", "closed", now - timedelta(hours=2), now - timedelta(hours=1)),
    ]
    return rows


def _all_tickets(database_url: str) -> list[Ticket]:
    dsn = "postgresql://" + database_url.split("://", 1)[1]
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT category, status, opened_at, closed_at FROM tickets").fetchall()


def _create_and_close_through_the_api(ticket_url: str) -> None:
    """Create two tickets and close one through the ticket API."""
    with httpx.Client(base_url=ticket_url, timeout=10) as client:
        created = client.post(
            "/tickets", json={"description": "The projector in room 2.14 is broken"}, headers={"X-Role": "user"}
        )
        assert created.status_code == 201, created.text
        client.post(
            "/tickets", json={"description": "Heating in the library does not work"}, headers={"X-Role": "user"}
        )
        ticket = created.json()["id"]
        helpdesk = {"X-Role": "helpdesk"}
        assert client.patch(f"/tickets/{ticket}", json={"status": "active"}, headers=helpdesk).status_code == 200
        assert client.patch(f"/tickets/{ticket}", json={"status": "closed"}, headers=helpdesk).status_code == 200


@pytest.fixture
def stack(postgres_url: str) -> Iterator[dict[str, ServiceProcess]]:
    ticket_port = free_port()
    env = {"DATABASE_URL": postgres_url, "TICKET_SERVICE_URL": f"http://127.0.0.1:{ticket_port}"}
    services = {"ticket_service": ServiceProcess("ticket_service", env, port=ticket_port)}
    services |= {name: ServiceProcess(name, env) for name in ANALYTICS}
    try:
        # Started side by side: each takes about a second to import and bind.
        with ThreadPoolExecutor(len(services)) as pool:
            list(pool.map(ServiceProcess.start, services.values()))
        yield services
    finally:
        for service in services.values():
            service.stop()


def _month(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m")


def _floor(moment: datetime, bucket: str) -> datetime:
    hour = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return hour if bucket == "hour" else hour.replace(hour=0)


def _check_open_tickets(url: str, tickets: list[Ticket]) -> None:
    """Hours up to 48 hours, days beyond; every bucket against the full ticket list."""
    for params, bucket in (
        ({"hours": 24}, "hour"),
        ({"days": 1}, "hour"),
        ({"hours": 48}, "hour"),
        ({"days": 3}, "day"),
        ({"days": 30}, "day"),
        ({"days": 400}, "day"),
    ):
        answer = OpenTickets.model_validate_json(httpx.get(f"{url}/open-tickets", params=params).content)
        assert answer.bucket == bucket, params
        counted = [t for t in tickets if t[1] != "closed" and answer.since <= t[2] < answer.until]
        assert answer.count == len(counted) > 0
        assert answer.by_category == {c: sum(t[0] == c for t in counted) for c in CATEGORIES}
        width = timedelta(hours=1) if bucket == "hour" else timedelta(days=1)
        starts = [point.start for point in answer.series]
        assert all(b - a == width for a, b in itertools.pairwise(starts))
        assert starts[0] <= answer.since < starts[0] + width and starts[-1] <= answer.until < starts[-1] + width
        per_bucket = Counter(_floor(t[2], bucket) for t in counted)
        assert [point.count for point in answer.series] == [per_bucket.get(s, 0) for s in starts]
        if params == {"days": 1}:
            assert len(starts) in (24, 25)
        if params == {"days": 3}:
            assert len(starts) in (3, 4)


def _check_resolution_time(url: str, tickets: list[Ticket]) -> None:
    """Every month the data covers, in total and for one category: exact averages, bounded medians."""
    closed = [t for t in tickets if t[1] == "closed"]
    first, last = _month(min(t[2] for t in tickets)), _month(datetime.now(UTC))
    for categories in (list(CATEGORIES), ["technical_it"]):
        params: list[tuple[str, str | int | float | bool | None]] = [("from", first), ("to", last)]
        response = httpx.get(f"{url}/resolution-time", params=params + [("category", c) for c in categories])
        answer = ResolutionTime.model_validate_json(response.content)
        assert answer.categories == categories
        hours_by_month: dict[str, list[float]] = defaultdict(list)
        for category, _, opened, closed_at in closed:
            if category in categories:
                assert closed_at is not None
                hours_by_month[_month(opened)].append((closed_at - opened).total_seconds() / 3600)
        assert answer.months[0].month == first and answer.months[-1].month == last
        for month in answer.months:
            times = hours_by_month.get(month.month, [])
            assert month.closed_tickets == len(times)
            if not times:
                assert month.average_hours is None and month.median_hours is None
                continue
            assert month.average_hours == round(sum(times) / len(times), 2)
            exact = statistics.median(times)
            assert month.median_hours is not None
            # The stated bound is on (time + 1 s), before rounding to 0.01 h.
            error = abs(month.median_hours - exact)
            assert error <= answer.median_max_error * (exact + 1 / 3600) + 0.005, (month, exact)


def test_every_figure_matches_the_full_ticket_list(postgres_url: str, stack: dict[str, ServiceProcess]) -> None:
    asyncio.run(insert_tickets(postgres_url, _random_tickets(datetime.now(UTC), 600)))
    _create_and_close_through_the_api(stack["ticket_service"].url)
    tickets = _all_tickets(postgres_url)
    assert len(tickets) == 605 + 2

    _check_open_tickets(stack["analytics_open_service"].url, tickets)
    _check_resolution_time(stack["analytics_resolution_service"].url, tickets)

    # Active tickets per category.
    response = httpx.get(f"{stack['analytics_category_service'].url}/active-by-category")
    answer = ActiveByCategory.model_validate_json(response.content)
    active = Counter(t[0] for t in tickets if t[1] == "active")
    assert [(c.category, c.active) for c in answer.categories] == [(c, active[c]) for c in CATEGORIES]
    assert answer.total_active == sum(active.values())

    # CSV over HTTP.
    csv = httpx.get(f"{stack['analytics_category_service'].url}/active-by-category", headers={"Accept": "text/csv"})
    assert csv.text.splitlines()[0] == "category,label,active"


PATHS = {
    "analytics_open_service": "/open-tickets?hours=24",
    "analytics_resolution_service": "/resolution-time",
    "analytics_category_service": "/active-by-category",
}


def test_analytics_answer_503_while_the_ticket_service_is_down_and_recover(stack: dict[str, ServiceProcess]) -> None:
    ticket_service = stack["ticket_service"]
    for name, path in PATHS.items():
        assert httpx.get(stack[name].url + path).status_code == 200
    ticket_service.kill()
    for name, path in PATHS.items():
        response = httpx.get(stack[name].url + path, timeout=5)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["retry-after"]) > 0
        assert httpx.get(stack[name].url + "/ready", timeout=5).status_code == 503
    ticket_service.start()  # same port: the analytics services find it again by themselves
    for name, path in PATHS.items():
        assert httpx.get(stack[name].url + path).status_code == 200
        assert httpx.get(stack[name].url + "/ready").status_code == 200
