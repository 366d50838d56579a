"""Hostile parameters for verified fixes: `/stats/verified-fixes` on both databases and the analytics
service's `/verified-fixes` (answered before the ticket service is asked) are short 422 problems, never a 500."""

from __future__ import annotations

import httpx
import pytest

from tests.reliability.harness import assert_problem
from tests.reliability.test_hostile_analytics import resolution_client  # noqa: F401 (the fixture)

HOSTILE_MONTHS = [
    "from=2024-13&to=2024-12",
    "from=2024-00&to=2024-12",
    "from=24-01&to=2024-12",
    "from=-2024-01&to=2024-12",
    "from=99999-01&to=99999-02",
    "from=0000-01&to=0000-12",
    "from=２０２４-01&to=2024-02",  # full-width digits: digits to Python, not to this API
    "from=٢٠٢٤-01&to=2024-02",
    "from=2024-01%00&to=2024-02",
    "from=2024-01';DROP TABLE tickets;--&to=2024-02",
    "from=2025-06&to=2025-01",
    "from=0001-01&to=9999-12",  # far more months than allowed
    "from=2024-01&to=" + "9" * 5000,
    "from=2024-01",
    "to=2024-01",
    "",
]


@pytest.mark.parametrize("query", HOSTILE_MONTHS)
async def test_hostile_months_are_short_422s_from_the_ticket_service(
    ticket_client: httpx.AsyncClient, query: str
) -> None:
    problem = assert_problem(await ticket_client.get(f"/stats/verified-fixes?{query}"), 422)
    assert len(problem["detail"]) < 400


@pytest.mark.parametrize(
    "query",
    [q for q in HOSTILE_MONTHS if q.count("=") == 2]
    + ["category=weapons", "category=facility_management&category=%27%20OR%201%3D1", "format=xml", "format=csv%00"],
)
async def test_hostile_parameters_are_422s_from_the_analytics_service(
    resolution_client: httpx.AsyncClient,  # noqa: F811 (the fixture)
    query: str,
) -> None:
    for suffix in ("", "&format=csv") if "format" not in query else ("",):
        problem = assert_problem(await resolution_client.get(f"/verified-fixes?{query}{suffix}"), 422)
        assert len(problem["detail"]) < 400


async def test_a_valid_range_reaches_the_absent_ticket_service_as_a_503(
    resolution_client: httpx.AsyncClient,  # noqa: F811 (the fixture)
) -> None:
    assert_problem(await resolution_client.get("/verified-fixes?from=2026-01&to=2026-03"), 503)
