"""HTTP routes of analytics_category_service."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from analytics_category_service import metric
from campusdesk_common.answers import CSV_OR_JSON_RESPONSE, csv_answer, fetch_json, json_answer, wants_csv
from campusdesk_common.contracts.analytics_category import ActiveByCategory
from campusdesk_common.contracts.stats import ActiveCounts
from campusdesk_common.problems import problem_responses

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
    counts = await fetch_json(
        request.app.state.tickets, "/stats/active-by-category", ActiveCounts, what="active counts"
    )
    answer = metric.build_answer(counts.active)
    if wants_csv(response_format, accept):
        return csv_answer(metric.render_csv(answer), metric.CSV_FILENAME)
    return json_answer(answer.model_dump(mode="json"))
