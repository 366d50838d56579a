"""HTTP routes of analytics_category_service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from analytics_category_service import metric, recurring
from campusdesk_common.answers import (
    CSV_OR_JSON_RESPONSE,
    AcceptHeader,
    FormatQuery,
    csv_answer,
    fetch_json,
    json_answer,
    wants_csv,
)
from campusdesk_common.contracts.analytics_category import ActiveByCategory, RecurringProblems
from campusdesk_common.contracts.places import PlaceTicketCounts
from campusdesk_common.contracts.stats import ActiveCounts
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
    response_format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Active tickets per category."""
    counts = await fetch_json(
        request.app.state.tickets, "/stats/active-by-category", ActiveCounts, what="active counts"
    )
    answer = metric.build_answer(counts.active)
    if wants_csv(response_format, accept):
        return csv_answer(metric.render_csv(answer), metric.CSV_FILENAME)
    return json_answer(answer.model_dump(mode="json"))


def _count_schema(maximum: int) -> dict[str, Any]:
    # Documented as the integer it must be (the value is parsed by hand to word the 422 itself).
    return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": maximum}, {"type": "null"}]}


@router.get(
    "/recurring-problems",
    response_model=RecurringProblems,
    responses={**CSV_OR_JSON_RESPONSE, **problem_responses(422, 502, 503)},
    description="Places where a problem keeps coming back: rooms with at least `min_tickets` tickets of the "
    "same category opened in the last `days` days (whatever their status now), with the ids of those "
    "tickets, most tickets first, then by building code, room code and category. "
    + recurring.PARAMETER_RULE
    + " A bad parameter is a 422 problem whose `detail` can be shown as it is. Send `Accept: text/csv` or "
    "`?format=csv` for a CSV download (one row per place and category). When the ticket service is slow or "
    "down the answer is a 503 problem with Retry-After.",
)
async def recurring_problems(
    request: Request,
    min_tickets: Annotated[
        str | None,
        Query(
            description=f"Default {recurring.DEFAULT_MIN_TICKETS}.",
            json_schema_extra=_count_schema(recurring.MAX_MIN_TICKETS),
        ),
    ] = None,
    days: Annotated[
        str | None,
        Query(description=f"Default {recurring.DEFAULT_DAYS}.", json_schema_extra=_count_schema(recurring.MAX_DAYS)),
    ] = None,
    response_format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Rooms with at least N tickets of one category in the last D days."""
    threshold = recurring.parse_count(
        "min_tickets", min_tickets, recurring.DEFAULT_MIN_TICKETS, recurring.MAX_MIN_TICKETS
    )
    period = recurring.parse_count("days", days, recurring.DEFAULT_DAYS, recurring.MAX_DAYS)
    since, until = recurring.window(period, request.app.state.clock())
    params = {"since": since.isoformat(), "until": until.isoformat(), "min_count": str(threshold)}
    counts = await fetch_json(
        request.app.state.tickets, "/stats/place-tickets", PlaceTicketCounts, what="tickets per place", params=params
    )
    try:
        answer = recurring.build_answer(threshold, period, counts)
    except ValueError as exc:
        raise BadGateway(f"The ticket service answered tickets per place this service cannot read: {exc}.") from exc
    if wants_csv(response_format, accept):
        return csv_answer(recurring.render_csv(answer), recurring.csv_filename(threshold, period))
    return json_answer(answer.model_dump(mode="json"))
