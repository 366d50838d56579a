"""HTTP routes of analytics_resolution_service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from analytics_resolution_service import metric
from analytics_resolution_service.schemas import ResolutionTime, UpstreamResolutionMonthly
from campusdesk_common.problems import BadGateway, ServiceUnavailable, problem_responses

router = APIRouter(tags=["analytics"])
_VARY = {"Vary": "Accept"}


def _json(content: object) -> Response:
    """JSON of an answer built here; `response_model` documents its shape.

    Serialising with orjson, without FastAPI re-validating our own output, keeps the
    per-request Python time small (the answer must come back in milliseconds).
    """
    return Response(orjson.dumps(content, option=orjson.OPT_UTC_Z), media_type="application/json", headers=_VARY)


_CSV_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The answer, as JSON or CSV."}
}
_MONTH_SCHEMA = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "examples": ["2026-03"]}


@router.get(
    "/resolution-time",
    response_model=ResolutionTime,
    responses={**_CSV_RESPONSE, **problem_responses(422, 502, 503)},
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
    if metric.wants_csv(response_format, accept):
        filename = metric.csv_filename(months, categories)
        return Response(
            metric.render_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{filename}"', **_VARY},
        )
    return _json({"months": [asdict(row) for row in rows]})


async def _resolution_totals(request: Request, months: list[str], categories: list[str]) -> UpstreamResolutionMonthly:
    params: list[tuple[str, str]] = [("from", months[0]), ("to", months[-1])]
    params += [("category", c) for c in categories]
    response = await request.app.state.tickets.get("/stats/resolution-monthly", params=params)
    if response.status_code >= 500:
        raise ServiceUnavailable(f"The ticket service could not answer right now ({response.status_code}).")
    if not response.is_success:
        raise BadGateway(f"The ticket service refused the aggregate query ({response.status_code}).")
    try:
        return UpstreamResolutionMonthly.model_validate_json(response.content)
    except ValidationError as exc:
        raise BadGateway("The ticket service answered something that is not monthly resolution totals.") from exc
