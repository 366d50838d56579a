"""Verified fixes: the ticket service and analytics_resolution_service as real processes over real HTTP on
PostgreSQL and SQLite (exact figures from the hand-made set of `test_verified_fixes_stats`), the metric on
plain data, and the service's answers when the ticket service is down or answers facts that do not add up."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Iterator

import httpx
import pytest

from analytics_resolution_service import verified_fixes_metric
from campusdesk_common.contracts.analytics_resolution import CategoryFixes, FixFigures, VerifiedFixes
from campusdesk_common.contracts.stats import MonthCategoryFixFacts, VerifiedFixFacts
from campusdesk_common.vocabulary import CATEGORIES, FOLLOW_UP_DAYS, Category
from tests.analytics.test_services import FAILING, analytics_client, fake_ticket_service
from tests.analytics.test_verified_fixes_stats import seed
from tests.support.services import ServiceProcess, free_port

FM, IT, SC = CATEGORIES
PROBLEM = "application/problem+json"
RESOLUTION = "analytics_resolution_service"


@pytest.fixture
def analytics_url(database_url: str) -> Iterator[str]:
    """The ticket service and analytics_resolution_service as processes, on the seeded database."""
    asyncio.run(seed(database_url))
    ticket_port = free_port()
    env = {"DATABASE_URL": database_url, "TICKET_SERVICE_URL": f"http://127.0.0.1:{ticket_port}"}
    with ServiceProcess("ticket_service", env, port=ticket_port), ServiceProcess(RESOLUTION, env) as analytics:
        yield analytics.url


def _figures(closed: int, answered: int, confirmed: int, followed: int, share: float | None) -> FixFigures:
    return FixFigures(
        closed=closed, answered=answered, confirmed_fixed=confirmed, share_fixed=share, followed_up=followed
    )


def _category(category: Category, *counts: int, share: float | None) -> CategoryFixes:
    closed, answered, confirmed, followed = counts
    return CategoryFixes(category=category, **_figures(closed, answered, confirmed, followed, share).model_dump())


@pytest.mark.slow
def test_verified_fixes_over_real_http(analytics_url: str) -> None:
    response = httpx.get(f"{analytics_url}/verified-fixes", params={"from": "2026-01", "to": "2026-03"}, timeout=30)
    assert response.status_code == 200, response.text
    answer = VerifiedFixes.model_validate_json(response.content)
    assert (answer.categories, answer.follow_up_days) == ([FM, IT, SC], FOLLOW_UP_DAYS)
    january, february, march = answer.months
    assert january.month == "2026-01"
    assert january.categories == [
        _category(FM, 3, 2, 1, 1, share=0.5),
        _category(IT, 3, 1, 0, 1, share=0.0),
        _category(SC, 0, 0, 0, 0, share=None),
    ]
    assert january.total == _figures(6, 3, 1, 2, share=0.333)
    assert february.categories == [
        _category(FM, 1, 1, 1, 0, share=1.0),
        _category(IT, 0, 0, 0, 0, share=None),
        _category(SC, 1, 0, 0, 0, share=None),
    ]
    assert february.total == _figures(2, 1, 1, 0, share=1.0)
    assert (march.month, march.total) == ("2026-03", _figures(0, 0, 0, 0, share=None))

    only_it = VerifiedFixes.model_validate_json(
        httpx.get(
            f"{analytics_url}/verified-fixes", params={"from": "2026-01", "to": "2026-01", "category": IT}, timeout=30
        ).content
    )
    assert only_it.categories == [IT]
    assert only_it.months[0].total == _figures(3, 1, 0, 1, share=0.0)

    download = httpx.get(
        f"{analytics_url}/verified-fixes", params={"from": "2026-02", "to": "2026-02", "format": "csv"}, timeout=30
    )
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/csv; charset=utf-8"
    assert 'filename="verified-fixes-2026-02-to-2026-02.csv"' in download.headers["content-disposition"]
    assert list(csv.reader(io.StringIO(download.text))) == [
        list(verified_fixes_metric.CSV_COLUMNS),
        ["2026-02", FM, "1", "1", "1", "1.000", "0"],
        ["2026-02", IT, "0", "0", "0", "", "0"],
        ["2026-02", SC, "1", "0", "0", "", "0"],
        ["2026-02", "all", "2", "1", "1", "1.000", "0"],
    ]

    refused = httpx.get(f"{analytics_url}/verified-fixes", params={"from": "2026-13"}, timeout=30)
    assert (refused.status_code, refused.headers["content-type"]) == (422, PROBLEM)
    assert "YYYY-MM" in refused.json()["detail"]


def _cell(month: str, category: Category, *counts: int) -> MonthCategoryFixFacts:
    closed, answered, confirmed, followed = counts
    return MonthCategoryFixFacts(
        month=month, category=category, closed=closed, answered=answered, confirmed_fixed=confirmed,
        followed_up=followed,
    )  # fmt: skip


def test_the_metric_fills_gaps_and_sums_the_categories_asked() -> None:
    cells = [_cell("2026-01", FM, 4, 3, 2, 1), _cell("2026-01", SC, 2, 1, 1, 0), _cell("2026-03", IT, 1, 0, 0, 1)]
    answer = verified_fixes_metric.build_answer(["2026-01", "2026-02", "2026-03"], [FM, SC], 14, cells)
    assert [m.month for m in answer.months] == ["2026-01", "2026-02", "2026-03"]
    january, february, march = answer.months
    assert [c.share_fixed for c in january.categories] == [0.667, 1.0]
    assert january.total == _figures(6, 4, 3, 1, share=0.75)  # 3 of 4, not the mean of 66.7% and 100%
    assert february.total == march.total == _figures(0, 0, 0, 0, share=None)  # IT was not asked


def test_facts_that_do_not_add_up_are_refused() -> None:
    with pytest.raises(ValueError, match="confirmed"):
        verified_fixes_metric.build_answer(["2026-01"], [FM], 14, [_cell("2026-01", FM, 1, 1, 2, 0)])
    with pytest.raises(ValueError, match="followed up"):
        verified_fixes_metric.build_answer(["2026-01"], [FM], 14, [_cell("2026-01", FM, 1, 0, 0, 2)])


async def test_contradictory_facts_are_a_502_and_a_down_ticket_service_a_503() -> None:
    wrong = VerifiedFixFacts(
        first="2026-01", last="2026-01", follow_up_days=14, cells=[_cell("2026-01", FM, 1, 1, 0, 3)]
    )
    transport = fake_ticket_service({"/stats/verified-fixes": wrong})
    async with analytics_client(RESOLUTION, transport) as client:
        response = await client.get("/verified-fixes", params={"from": "2026-01", "to": "2026-01"})
    assert (response.status_code, response.headers["content-type"]) == (502, PROBLEM)
    assert "do not add up" in response.json()["detail"]
    async with analytics_client(RESOLUTION, FAILING) as client:
        response = await client.get("/verified-fixes")
    assert (response.status_code, response.headers["content-type"]) == (503, PROBLEM)
    assert response.headers["retry-after"]


async def test_bad_parameters_are_422_problems_without_asking_the_ticket_service() -> None:
    async with analytics_client(RESOLUTION, FAILING) as client:
        for params in (
            {"from": "2026-1"},
            {"from": "2026-05", "to": "2026-04"},
            {"to": "9999-13"},
            {"from": "0001-01", "to": "9999-12"},
            {"category": "plumbing"},
            {"format": "xml"},
            {"from": "2026-01" * 1000},
        ):
            response = await client.get("/verified-fixes", params=params)
            assert (response.status_code, response.headers["content-type"]) == (422, PROBLEM), params
            assert response.json()["detail"]


async def test_default_range_is_the_last_twelve_months() -> None:
    empty = VerifiedFixFacts(first="2025-04", last="2026-03", follow_up_days=14, cells=[])
    asked: list[httpx.QueryParams] = []
    inner = fake_ticket_service({"/stats/verified-fixes": empty})

    async def record(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.params)
        return await inner.handle_async_request(request)

    async with analytics_client(RESOLUTION, httpx.MockTransport(record)) as client:
        answer = VerifiedFixes.model_validate_json((await client.get("/verified-fixes")).content)
    assert [m.month for m in answer.months][::11] == ["2025-04", "2026-03"] and len(answer.months) == 12
    assert dict(asked[0]) == {"from": "2025-04", "to": "2026-03"}


async def test_the_openapi_document_describes_verified_fixes() -> None:
    async with analytics_client(RESOLUTION, FAILING) as client:
        operation = (await client.get("/openapi.json")).json()["paths"]["/verified-fixes"]["get"]
    assert operation["summary"] and "Is it fixed?" in operation["description"]
    assert {"200", "422", "502", "503"} <= set(operation["responses"])
    assert "text/csv" in operation["responses"]["200"]["content"]
