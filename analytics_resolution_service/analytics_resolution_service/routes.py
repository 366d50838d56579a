"""HTTP routes of analytics_resolution_service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from analytics_resolution_service import metric
from analytics_resolution_service.schemas import ResolutionTime, UpstreamResolutionMonthly
from campusdesk_common.answers import CSV_OR_JSON_RESPONSE, csv_answer, fetch_json, json_answer, wants_csv
from campusdesk_common.problems import problem_responses

router = APIRouter(tags=["analytics"])
_MONTH_SCHEMA = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "examples": ["2026-03"]}


@router.get(
    "/resolution-time",
    response_model=ResolutionTime,
    responses={**CSV_OR_JSON_RESPONSE, **problem_responses(422, 502, 503)},
    description="Average and median resolution time (`closed_at - opened_at`, in hours) of closed tickets, "
    "by the UTC month they were opened in. Every month from `from` to `to` is present (default: the last "
    "12 months including the current one); months with no closed ticket have null figures. The average is "
    "exact; the median comes from a histogram with log-spaced buckets (ratio 1.1) and is within 5% of the "
    "exact median. `category` (repeatable) restricts the tickets counted. Send `Accept: text/csv` or "
    "`?format=csv` for a CSV download. When the ticket service is slow or down the answer is a 503 problem "
    "with Retry-After.",
)
async def resolution_time(
    request: Request,
    first: Annotated[str | None, Query(alias="from", json_schema_extra=_MONTH_SCHEMA)] = None,
    last: Annotated[str | None, Query(alias="to", json_schema_extra=_MONTH_SCHEMA)] = None,
    category: Annotated[
        list[str] | None,
        Query(json_schema_extra={"items": {"type": "string", "enum": list(metric.CATEGORIES)}}),
    ] = None,
    response_format: Annotated[
        Literal["json", "csv"] | None, Query(alias="format", description="`csv` for a download.")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Average and median resolution time of closed tickets by opening month."""
    months = metric.parse_range(first, last, request.app.state.clock())
    categories = metric.parse_categories(category)
    totals = await _resolution_totals(request, months, categories)
    rows = metric.build_months(
        months,
        (
            metric.MonthTotals(m.month, m.closed_count, m.total_resolution_seconds, m.median_resolution_seconds)
            for m in totals.months
        ),
    )
    if wants_csv(response_format, accept):
        filename = metric.csv_filename(months, categories)
        return csv_answer(metric.render_csv(rows), filename)
    return json_answer({"months": [asdict(row) for row in rows]})


async def _resolution_totals(request: Request, months: list[str], categories: list[str]) -> UpstreamResolutionMonthly:
    params: list[tuple[str, str]] = [("from", months[0]), ("to", months[-1])]
    params += [("category", c) for c in categories]
    return await fetch_json(
        request.app.state.tickets,
        "/stats/resolution-monthly",
        UpstreamResolutionMonthly,
        what="monthly resolution totals",
        params=params,
    )
