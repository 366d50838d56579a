"""HTTP routes of analytics_category_service."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError

from analytics_category_service import metric
from analytics_category_service.schemas import ActiveByCategory, UpstreamActiveByCategory
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


@router.get(
    "/active-by-category",
    response_model=ActiveByCategory,
    responses={**_CSV_RESPONSE, **problem_responses(422, 502, 503)},
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
    if metric.wants_csv(response_format, accept):
        return Response(
            metric.render_csv(counts),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{metric.CSV_FILENAME}"', **_VARY},
        )
    return _json({"categories": [asdict(c) for c in counts], "total_active": metric.total(counts)})


async def _active_counts(request: Request) -> UpstreamActiveByCategory:
    response = await request.app.state.tickets.get("/stats/active-by-category")
    if response.status_code >= 500:
        raise ServiceUnavailable(f"The ticket service could not answer right now ({response.status_code}).")
    if not response.is_success:
        raise BadGateway(f"The ticket service refused the aggregate query ({response.status_code}).")
    try:
        return UpstreamActiveByCategory.model_validate_json(response.content)
    except ValidationError as exc:
        raise BadGateway("The ticket service answered something that is not active counts per category.") from exc
