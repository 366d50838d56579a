"""HTTP routes of analytics_open_service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from analytics_open_service import metric
from campusdesk_common.answers import (
    CSV_OR_JSON_RESPONSE,
    AcceptHeader,
    FormatQuery,
    csv_answer,
    fetch_json,
    json_answer,
    wants_csv,
)
from campusdesk_common.contracts.analytics_open import OpenTickets
from campusdesk_common.contracts.stats import OpenTicketCounts
from campusdesk_common.problems import BadGateway, problem_responses

router = APIRouter(tags=["analytics"])


def _period_schema(maximum: int) -> dict[str, Any]:
    # Documented as the integer it must be (the value is parsed by hand to word the 422 itself).
    return {"anyOf": [{"type": "integer", "minimum": 1, "maximum": maximum}, {"type": "null"}]}


@router.get(
    "/open-tickets",
    response_model=OpenTickets,
    responses={**CSV_OR_JSON_RESPONSE, **problem_responses(422, 502, 503)},
    description="Tickets opened in the last `hours` or `days` whose status is open or active now, in total, "
    "by category and as a chart-ready series of UTC hours (periods up to 48 hours) or UTC days (longer "
    "periods); `bucket` says which. " + metric.PERIOD_RULE + " A bad period is a 422 problem whose `detail` "
    "can be shown as it is. Send `Accept: text/csv` or `?format=csv` for a CSV download (one row per bucket: "
    "start, count and the split by category). When the ticket service is slow or down the answer is a 503 "
    "problem with Retry-After.",
)
async def open_tickets(
    request: Request,
    hours: Annotated[str | None, Query(json_schema_extra=_period_schema(metric.MAX_VALUE["hours"]))] = None,
    days: Annotated[str | None, Query(json_schema_extra=_period_schema(metric.MAX_VALUE["days"]))] = None,
    response_format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Tickets opened in the last X hours or days that are not yet closed."""
    period = metric.parse_period(hours, days)
    since, until = metric.window(period, request.app.state.clock())
    counts = await _hourly_counts(request, since, until)
    try:
        report = metric.build_report(period, since, until, counts.cells)
    except ValueError as exc:
        raise BadGateway(f"The ticket service answered counts this service cannot place: {exc}.") from exc
    if wants_csv(response_format, accept):
        return csv_answer(metric.render_csv(report), metric.csv_filename(period))
    return json_answer(metric.answer(report).model_dump(mode="json"))


async def _hourly_counts(request: Request, since: datetime, until: datetime) -> OpenTicketCounts:
    params = {"since": since.isoformat(), "until": until.isoformat()}
    return await fetch_json(
        request.app.state.tickets, "/stats/open-tickets", OpenTicketCounts, what="open-ticket counts", params=params
    )
