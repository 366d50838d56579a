"""HTTP routes of analytics_resolution_service."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from analytics_resolution_service import metric
from analytics_resolution_service.median import MEDIAN_MAX_ERROR
from campusdesk_common.answers import CSV_OR_JSON_RESPONSE, csv_answer, fetch_json, json_answer, wants_csv
from campusdesk_common.contracts.analytics_resolution import ResolutionTime
from campusdesk_common.contracts.stats import ResolutionMonthly
from campusdesk_common.problems import BadGateway, problem_responses
from campusdesk_common.vocabulary import CATEGORIES, Category

router = APIRouter(tags=["analytics"])
_MONTH_SCHEMA = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "examples": ["2026-03"]}


@router.get(
    "/resolution-time",
    response_model=ResolutionTime,
    responses={**CSV_OR_JSON_RESPONSE, **problem_responses(422, 502, 503)},
    description="Average and median resolution time (`closed_at - opened_at`, in hours) of closed tickets, "
    "by the UTC month they were opened in. Every month from `from` to `to` is present (default: the last "
    "12 months including the current one); months with no closed ticket have null figures. The average is "
    "exact; the median is estimated from a histogram with log-spaced buckets, within "
    f"{MEDIAN_MAX_ERROR:.1%} of the exact median (`median_max_error`). `category` (repeatable) restricts the "
    f"tickets counted. {metric.MONTH_RULE} A bad parameter is a 422 problem whose `detail` can be shown as "
    "it is. Send `Accept: text/csv` or `?format=csv` for a CSV download. When the ticket service is slow or "
    "down the answer is a 503 problem with Retry-After.",
)
async def resolution_time(
    request: Request,
    first: Annotated[str | None, Query(alias="from", json_schema_extra=_MONTH_SCHEMA)] = None,
    last: Annotated[str | None, Query(alias="to", json_schema_extra=_MONTH_SCHEMA)] = None,
    category: Annotated[
        list[str] | None,
        Query(json_schema_extra={"items": {"type": "string", "enum": list(CATEGORIES)}}),
    ] = None,
    response_format: Annotated[
        Literal["json", "csv"] | None, Query(alias="format", description="`csv` for a download.")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Average and median resolution time of closed tickets by opening month."""
    months = metric.parse_range(first, last, request.app.state.clock())
    categories = metric.parse_categories(category)
    facts = await _monthly_facts(request, months, categories)
    try:
        answer = metric.build_answer(months, categories, facts.months)
    except ValueError as exc:
        raise BadGateway(f"The ticket service answered resolution facts that do not add up: {exc}.") from exc
    if wants_csv(response_format, accept):
        return csv_answer(metric.render_csv(answer.months), metric.csv_filename(months, categories))
    return json_answer(answer.model_dump(mode="json"))


async def _monthly_facts(request: Request, months: list[str], categories: list[Category]) -> ResolutionMonthly:
    params: list[tuple[str, str]] = [("from", months[0]), ("to", months[-1])]
    params += [("category", c) for c in categories]
    return await fetch_json(
        request.app.state.tickets,
        "/stats/resolution-monthly",
        ResolutionMonthly,
        what="monthly resolution facts",
        params=params,
    )
