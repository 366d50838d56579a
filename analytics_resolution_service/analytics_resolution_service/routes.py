"""HTTP routes of analytics_resolution_service."""

from __future__ import annotations

from collections import OrderedDict
from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import Response

from analytics_resolution_service import metric
from analytics_resolution_service.median import MEDIAN_MAX_ERROR, middle_bins
from campusdesk_common.answers import (
    CSV_OR_JSON_RESPONSE,
    AcceptHeader,
    FormatQuery,
    csv_answer,
    fetch_json,
    json_answer,
    wants_csv,
)
from campusdesk_common.contracts.analytics_resolution import ResolutionTime
from campusdesk_common.contracts.stats import COARSE_BUCKET_GROUP, ResolutionMonthly, bin_width
from campusdesk_common.problems import BadGateway, problem_responses
from campusdesk_common.vocabulary import Category

router = APIRouter(tags=["analytics"])


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
    first: metric.FirstMonthQuery = None,
    last: metric.LastMonthQuery = None,
    category: metric.CategoriesQuery = None,
    response_format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Average and median resolution time of closed tickets by opening month."""
    months = metric.parse_range(first, last, request.app.state.clock())
    categories = metric.parse_categories(category)
    answer = await _resolution_answer(request, months, categories)
    if wants_csv(response_format, accept):
        return csv_answer(metric.render_csv(answer.months), metric.csv_filename(months, categories))
    return json_answer(answer.model_dump(mode="json"))


# Buckets per bin when reading the shape of a month: the group the ticket service keeps summed
# (1.005^32 ~ 1.17, some 70 bins a month instead of ~1,500); only the buckets around the medians
# are then read one by one.
COARSE_GROUP = COARSE_BUCKET_GROUP


# One bin a month: the ticket service answers it from its kept coarse bins, so it is a cheap way
# to read each month's closed count and exact total alone.
TOTALS_GROUP = 4096
# Answers kept per process (distinct ranges and category sets asked), the least recently used dropped.
CACHED_ANSWERS = 64
Totals = tuple[tuple[str, int, float], ...]


def _totals(facts: ResolutionMonthly) -> Totals:
    return tuple((m.month, m.closed_count, m.total_resolution_seconds) for m in facts.months)


async def _resolution_answer(request: Request, months: list[str], categories: list[Category]) -> ResolutionTime:
    """The last answer for these months and categories while every month's closed count and exact total
    are unchanged, else one built from the facts read again (`_histogram_facts`).

    A closed ticket never changes again and every closure adds to its month's count, so equal
    totals mean the same closed tickets, hence the same histogram: the check is exact, and costs
    one small answer instead of thousands of histogram bins.
    """
    base: list[tuple[str, str]] = [("from", months[0]), ("to", months[-1])]
    base += [("category", c) for c in categories]
    cache: OrderedDict[tuple[tuple[str, str], ...], tuple[Totals, ResolutionTime]] | None = getattr(
        request.app.state, "resolution_facts", None
    )
    if cache is None:
        cache = request.app.state.resolution_facts = OrderedDict()
    key = tuple(base)
    totals = _totals(await _fetch(request, [*base, ("bucket_group", str(TOTALS_GROUP))]))
    kept = cache.get(key)
    if kept is not None and kept[0] == totals:
        cache.move_to_end(key)
        return kept[1]
    facts = await _histogram_facts(request, base)
    width = partial(bin_width, group=facts.bucket_group, fine=facts.fine_buckets)
    try:
        answer = metric.build_answer(months, categories, facts.months, width)
    except ValueError as exc:
        raise BadGateway(f"The ticket service answered resolution facts that do not add up: {exc}.") from exc
    # Kept with its facts' own totals: a closure between the two reads makes the next request read again.
    cache[key] = (_totals(facts), answer)
    cache.move_to_end(key)
    while len(cache) > CACHED_ANSWERS:
        cache.popitem(last=False)
    return answer


async def _histogram_facts(request: Request, base: list[tuple[str, str]]) -> ResolutionMonthly:
    """The facts with single buckets wherever a month's middle ranks fall (so the bound holds), coarse elsewhere.

    The first answer (coarse bins) shows where each month's median lies; the next asks those
    groups one bucket at a time. A closure in between can move a median into a coarse bin:
    then the window grows; after three tries every bucket is asked for.
    """
    fine: tuple[int, int] | None = None
    for _attempt in range(3):
        params = [*base, ("bucket_group", str(COARSE_GROUP))]
        if fine is not None:
            params += [("fine_from", str(fine[0])), ("fine_to", str(fine[1]))]
        facts = await _fetch(request, params)
        window = _window_needed(facts)
        if window is None:
            return facts
        fine = window if fine is None else (min(fine[0], window[0]), max(fine[1], window[1]))
    return await _fetch(request, base)


def _window_needed(facts: ResolutionMonthly) -> tuple[int, int] | None:
    """The aligned bucket range to ask one by one, or None when every middle rank already is in a single bucket."""
    starts = [
        bucket
        for month in facts.months
        if month.histogram
        for bucket in set(middle_bins(month.histogram))
        if bin_width(bucket, facts.bucket_group, facts.fine_buckets) > 1
    ]
    if not starts:
        return None
    return min(starts), max(starts) + facts.bucket_group - 1


async def _fetch(request: Request, params: list[tuple[str, str]]) -> ResolutionMonthly:
    return await fetch_json(
        request.app.state.tickets,
        "/stats/resolution-monthly",
        ResolutionMonthly,
        what="monthly resolution facts",
        params=params,
    )
