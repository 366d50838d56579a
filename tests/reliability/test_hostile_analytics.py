"""Bad analytics parameters: negative, zero, huge, non-numeric and contradictory periods and
months are 422 problems saying what is allowed, answered before the ticket service is asked."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from analytics_category_service.main import create_app as create_category_app
from analytics_open_service.main import create_app as create_open_app
from analytics_resolution_service.main import create_app as create_resolution_app
from tests.reliability.harness import assert_problem

# Nothing listens here: a request that reached the upstream would be a 503, not the 422 expected.
NOWHERE = "http://127.0.0.1:9"


async def _client(factory: Callable[..., Any], settings_module: str) -> AsyncIterator[httpx.AsyncClient]:
    import importlib

    settings = importlib.import_module(settings_module).Settings(ticket_service_url=NOWHERE)
    app = factory(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://analytics") as client:
            yield client


@pytest.fixture
async def open_client() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(create_open_app, "analytics_open_service.settings"):
        yield client


@pytest.fixture
async def resolution_client() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(create_resolution_app, "analytics_resolution_service.settings"):
        yield client


@pytest.fixture
async def category_client() -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(create_category_app, "analytics_category_service.settings"):
        yield client


BAD_PERIODS = [
    "hours=-1",
    "hours=0",
    "hours=8761",
    "hours=99999999999999999999999999999",
    "hours=abc",
    "hours=1.5",
    "hours=",
    "hours=1e3",
    "hours=%00",
    "hours=24;DROP TABLE tickets",
    "hours=NaN",
    "hours=Infinity",
    "hours=٣",  # an Arabic-Indic digit: a digit to Python's str.isdigit, not an integer in this API
    "hours=²",  # a superscript two: str.isdigit() is True but int() raises
    "days=¹⁰",
    "days=0",
    "days=-30",
    "days=3651",
    "days=10000000000",
    "days=seven",
    "days=" + "9" * 5000,  # more digits than int() accepts
    "hours=24&days=7",
    "",
    "weeks=2",
]


@pytest.mark.parametrize("query", BAD_PERIODS)
async def test_bad_open_ticket_periods_are_422(open_client: httpx.AsyncClient, query: str) -> None:
    response = await open_client.get(f"/open-tickets?{query}")
    problem = assert_problem(response, 422)
    # The detail names the parameter and the range it allows.
    assert re.search(r"\b(hours|days)\b", problem["detail"]), problem
    assert re.search(r"\b1 (and|to) \d+", problem["detail"]), problem


@pytest.mark.parametrize(
    "query",
    [
        "from=2024-13",
        "from=2024-00",
        "from=24-01",
        "from=2024-1",
        "from=abc",
        "from=-2024-01",
        "from=99999-01",
        "to=2024-02-30",
        "from=2025-06&to=2025-01",
        "from=0000-01",
        "category=weapons",
        "category=facility_management&category=%27%20OR%201%3D1",
        "from=2024-01%00",
    ],
)
async def test_bad_resolution_ranges_are_422(resolution_client: httpx.AsyncClient, query: str) -> None:
    response = await resolution_client.get(f"/resolution-time?{query}")
    assert_problem(response, 422)


@pytest.mark.parametrize("query", ["format=xml", "format=", "format=csv%00"])
async def test_bad_formats_are_422(
    open_client: httpx.AsyncClient,
    resolution_client: httpx.AsyncClient,
    category_client: httpx.AsyncClient,
    query: str,
) -> None:
    assert_problem(await open_client.get(f"/open-tickets?hours=24&{query}"), 422)
    assert_problem(await resolution_client.get(f"/resolution-time?{query}"), 422)
    assert_problem(await category_client.get(f"/active-by-category?{query}"), 422)


async def test_a_valid_request_reaches_the_upstream_and_gets_a_503_when_it_is_away(
    open_client: httpx.AsyncClient, category_client: httpx.AsyncClient
) -> None:
    # The counterpart of the tests above: with valid parameters the service does ask the (absent) upstream.
    response = await open_client.get("/open-tickets?hours=24")
    assert_problem(response, 503)
    assert response.headers["retry-after"]
    assert_problem(await category_client.get("/active-by-category"), 503)
