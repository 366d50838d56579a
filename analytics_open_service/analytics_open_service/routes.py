"""HTTP routes of analytics_open_service."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import Response

from analytics_open_service import metric
from analytics_open_service.schemas import OpenTickets, UpstreamOpenCounts
from campusdesk_common.answers import CSV_OR_JSON_RESPONSE, csv_answer, fetch_json, json_answer, wants_csv
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
    "by category and as a chart-ready series. " + metric.PERIOD_RULE + " "
    "Send `Accept: text/csv` or `?format=csv` for a CSV download (one row per bucket: start, count and the "
    "split by category). When the ticket service is slow or down the answer is a 503 problem with Retry-After.",
)
async def open_tickets(
    request: Request,
    hours: Annotated[str | None, Query(json_schema_extra=_period_schema(metric.MAX_HOURS))] = None,
    days: Annotated[str | None, Query(json_schema_extra=_period_schema(metric.MAX_DAYS))] = None,
    response_format: Annotated[
        Literal["json", "csv"] | None, Query(alias="format", description="`csv` for a download.")
    ] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Tickets opened in the last X hours or days that are not yet closed."""
    period = metric.parse_period(hours, days)
    since, until = period.window(request.app.state.clock())
    counts = await _open_ticket_counts(request, since, until, period.bucket)
    try:
        report = metric.build_report(period, since, until, ((c.start, c.category, c.count) for c in counts.cells))
    except ValueError as exc:
        raise BadGateway(f"The ticket service answered counts this service cannot place: {exc}.") from exc
    if wants_csv(response_format, accept):
        return csv_answer(metric.render_csv(report), metric.csv_filename(period))
    return json_answer(
        {
            "period": {"unit": period.unit, "value": period.value},
            "since": report.since,
            "until": report.until,
            "count": report.count,
            "by_category": report.by_category,
            "series": [{"start": start, "count": count} for start, count in metric.series(report)],
        }
    )


async def _open_ticket_counts(request: Request, since: datetime, until: datetime, bucket: str) -> UpstreamOpenCounts:
    params = {"since": since.isoformat(), "until": until.isoformat(), "bucket": bucket}
    return await fetch_json(
        request.app.state.tickets, "/stats/open-tickets", UpstreamOpenCounts, what="open-ticket counts", params=params
    )
