"""HTTP routes of analytics_category_service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from analytics_category_service import metric
from analytics_category_service.schemas import ActiveByCategory, UpstreamActiveByCategory
from campusdesk_common.answers import CSV_OR_JSON_RESPONSE, csv_answer, fetch_json, json_answer, wants_csv
from campusdesk_common.problems import BadGateway, problem_responses

router = APIRouter(tags=["analytics"])


@router.get(
    "/active-by-category",
    response_model=ActiveByCategory,
    responses={**CSV_OR_JSON_RESPONSE, **problem_responses(422, 502, 503)},
    description="How many tickets are active (being worked on) in each category, all three categories in a "
    "fixed order, and the total. Send `Accept: text/csv` or `?format=csv` for a CSV download. When the ticket "
    "service is slow or down the answer is a 503 problem with Retry-After.",
)
async def active_by_category(
    request: Request,
    response_format: Annotated[
        Literal["json", "csv"] | None, Query(alias="format", description="`csv` for a download.")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Active tickets per category."""
    upstream = await _active_counts(request)
    try:
        counts = metric.build_counts(upstream.active)
    except ValueError as exc:
        raise BadGateway(f"The ticket service answered {exc}.") from exc
    if wants_csv(response_format, accept):
        return csv_answer(metric.render_csv(counts), metric.CSV_FILENAME)
    return json_answer({"categories": [asdict(c) for c in counts], "total_active": metric.total(counts)})


async def _active_counts(request: Request) -> UpstreamActiveByCategory:
    return await fetch_json(
        request.app.state.tickets, "/stats/active-by-category", UpstreamActiveByCategory, what="active counts"
    )
