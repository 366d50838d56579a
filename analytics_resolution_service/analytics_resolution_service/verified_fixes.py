"""`/verified-fixes`: the share of answered tickets confirmed fixed, and follow-ups, by month of closure."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from analytics_resolution_service import metric, verified_fixes_metric
from campusdesk_common.answers import (
    CSV_OR_JSON_RESPONSE,
    AcceptHeader,
    FormatQuery,
    csv_answer,
    fetch_json,
    json_answer,
    wants_csv,
)
from campusdesk_common.contracts.analytics_resolution import VerifiedFixes
from campusdesk_common.contracts.stats import VerifiedFixFacts
from campusdesk_common.problems import BadGateway, problem_responses

router = APIRouter(tags=["analytics"])


@router.get(
    "/verified-fixes",
    response_model=VerifiedFixes,
    responses={**CSV_OR_JSON_RESPONSE, **problem_responses(422, 502, 503)},
    description="Verified fixes, by the UTC month tickets were closed in and by category: how many closed "
    'tickets the people holding their private links answered "Is it fixed?" for, how many of those every '
    "answer confirmed fixed (`share_fixed` = confirmed_fixed / answered, null when none was answered), and "
    "how many were followed up by a ticket filed within `follow_up_days` of closure. Every month from `from` "
    "to `to` (default: the last 12 months including the current one) and every category asked is present, "
    "zeros included, with a `total` per month. Recent months can still change: answers come in after "
    f"closure. {metric.MONTH_RULE} A bad parameter is a 422 problem whose `detail` can be shown as it is. "
    "Send `Accept: text/csv` or `?format=csv` for a CSV download (one row per month and category, then the "
    "month's `all` row). When the ticket service is slow or down the answer is a 503 problem with Retry-After.",
)
async def verified_fixes_by_month(
    request: Request,
    first: metric.FirstMonthQuery = None,
    last: metric.LastMonthQuery = None,
    category: metric.CategoriesQuery = None,
    response_format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Share of answered tickets confirmed fixed, and follow-ups, by month of closure and category."""
    months = metric.parse_range(first, last, request.app.state.clock())
    categories = metric.parse_categories(category)
    facts = await fetch_json(
        request.app.state.tickets,
        "/stats/verified-fixes",
        VerifiedFixFacts,
        what="verified-fix facts",
        params=[("from", months[0]), ("to", months[-1])],
    )
    try:
        answer = verified_fixes_metric.build_answer(months, categories, facts.follow_up_days, facts.cells)
    except ValueError as exc:
        raise BadGateway(f"The ticket service answered verified-fix facts that do not add up: {exc}.") from exc
    if wants_csv(response_format, accept):
        return csv_answer(
            verified_fixes_metric.render_csv(answer), verified_fixes_metric.csv_filename(months, categories)
        )
    return json_answer(answer.model_dump(mode="json"))
