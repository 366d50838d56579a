"""`/stats`: the raw facts the analytics services turn into metrics (internal; no `X-Role` header).

Counts and sums only, never a metric: the analytics services own buckets wider than an
hour, averages, medians, gaps and rounding. Every answer is computed in the database from
counters or roll-ups, so it costs about the same at ten thousand and at ten million tickets.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AwareDatetime, BeforeValidator

from campusdesk_common.contracts.places import PlaceTicketCounts
from campusdesk_common.contracts.stats import (
    VERIFIED_FIXES_MAX_MONTHS,
    ActiveCounts,
    OpenTicketCounts,
    ResolutionMonthly,
    VerifiedFixFacts,
)
from campusdesk_common.problems import InvalidInput, problem_responses
from campusdesk_common.vocabulary import CATEGORIES, FOLLOW_UP_DAYS, Category
from ticket_service import places, stats_queries, verified_fixes
from ticket_service.dependencies import ReadConnectionDep
from ticket_service.routes.responses import json_response, many_cells_response


def _iso_text_only(value: object) -> object:
    # pydantic also reads "8" as a Unix timestamp; the contract is ISO 8601 text only.
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("must be an ISO 8601 date-time with an offset, such as 2026-11-24T10:00:00+00:00")
    return value


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text_only)]


def _in_utc(name: str, moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00+05:00 is still year 0 in UTC
        raise InvalidInput(f"`{name}` must lie between the years 1 and 9999 in UTC.") from None


router = APIRouter(prefix="/stats", tags=["stats"])

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_INTERNAL = (
    " Internal API for the analytics services: no `X-Role` header is needed, "
    "and it exposes counts and sums only, never ticket contents."
)


@router.get(
    "/open-tickets",
    response_model=OpenTicketCounts,
    responses=problem_responses(422, 503),
    description="Not-closed (open or active) tickets opened in `[since, until)`, counted per UTC opening hour "
    "and category. Whole hours come from counters kept in every ticket change's transaction; only the partial "
    "first and last hour are counted from the partial index of not-closed tickets." + _INTERNAL,
)
async def open_ticket_counts(
    connection: ReadConnectionDep,
    since: Annotated[IsoDateTime, Query(description="Start of the window, inclusive (ISO 8601 with offset).")],
    until: Annotated[IsoDateTime, Query(description="End of the window, exclusive (ISO 8601 with offset).")],
) -> Response:
    """Count not-closed tickets opened in a time window, per UTC hour and category."""
    since, until = _in_utc("since", since), _in_utc("until", until)
    if since >= until:
        raise InvalidInput("`since` must be earlier than `until`.")
    cells = await stats_queries.open_ticket_cells(connection, since=since, until=until)
    return many_cells_response(OpenTicketCounts(since=since, until=until, cells=cells))


@router.get(
    "/resolution-monthly",
    response_model=ResolutionMonthly,
    responses=problem_responses(422, 503),
    description="Per opening month (UTC): how many tickets were closed, the exact sum of their resolution "
    "times, and the histogram of those times in log-spaced buckets. Reads the roll-up tables kept in the "
    "closing transaction, never the tickets themselves." + _INTERNAL,
)
async def resolution_monthly(
    connection: ReadConnectionDep,
    first: Annotated[str, Query(alias="from", description="First opening month, YYYY-MM.", examples=["2025-12"])],
    last: Annotated[str, Query(alias="to", description="Last opening month, YYYY-MM, inclusive.")],
    category: Annotated[
        list[Category] | None, Query(description="Categories to include (repeatable); all when absent.")
    ] = None,
    bucket_group: Annotated[
        int, Query(ge=1, le=4096, description="Buckets per bin outside fine_from..fine_to (1: every bucket).")
    ] = 1,
    fine_from: Annotated[int | None, Query(ge=0, le=1_000_000, description="First bucket answered alone.")] = None,
    fine_to: Annotated[int | None, Query(ge=0, le=1_000_000, description="Last bucket answered alone.")] = None,
) -> Response:
    """Count, total and histogram of resolution times of closed tickets, per opening month."""
    for name, value in (("from", first), ("to", last)):
        if not _MONTH.match(value):
            raise InvalidInput(f"`{name}` must be a month written YYYY-MM (01..12), not {value!r}.")
    if first > last:
        raise InvalidInput("`from` must not be after `to`.")
    fine: list[int] | None = None
    if fine_from is not None or fine_to is not None:
        if fine_from is None or fine_to is None or fine_from > fine_to:
            raise InvalidInput("`fine_from` and `fine_to` go together, and `fine_from` must not be after `fine_to`.")
        if fine_from % bucket_group or (fine_to + 1) % bucket_group:
            raise InvalidInput("`fine_from` and `fine_to` + 1 must be multiples of `bucket_group`.")
        fine = [fine_from, fine_to]
    categories = [c for c in CATEGORIES if category is None or c in category]
    months = await stats_queries.resolution_monthly(
        connection, first=first, last=last, categories=categories, bucket_group=bucket_group, fine_buckets=fine
    )
    answer = ResolutionMonthly(
        first=first, last=last, categories=categories, months=months, bucket_group=bucket_group, fine_buckets=fine
    )
    return many_cells_response(answer)


@router.get(
    "/verified-fixes",
    response_model=VerifiedFixFacts,
    responses=problem_responses(422, 503),
    description="Per closing month (UTC) and category: tickets closed, those whose private links answered "
    '"Is it fixed?", those every answer of which is "fixed", and those followed up by a ticket filed at '
    f"most {FOLLOW_UP_DAYS} days after closure. At most {VERIFIED_FIXES_MAX_MONTHS} months, read "
    "from a roll-up kept in the closing, answering and follow-up transactions." + _INTERNAL,
)
async def verified_fix_facts(
    connection: ReadConnectionDep,
    first: Annotated[str, Query(alias="from", description="First closing month, YYYY-MM.", examples=["2025-12"])],
    last: Annotated[str, Query(alias="to", description="Last closing month, YYYY-MM, inclusive.")],
) -> Response:
    """Closed tickets, fix answers and follow-ups per closing month and category."""
    for name, value in (("from", first), ("to", last)):
        if not (value.isascii() and _MONTH.match(value)) or value < "0001-01":
            raise InvalidInput(f"`{name}` must be a month written YYYY-MM (01..12, from 0001-01), not {value[:40]!r}.")
    if first > last:
        raise InvalidInput("`from` must not be after `to`.")
    if verified_fixes.months_between(first, last) > VERIFIED_FIXES_MAX_MONTHS:
        raise InvalidInput(f"The range covers more than {VERIFIED_FIXES_MAX_MONTHS} months.")
    since, until = verified_fixes.closing_window(first, last)
    cells = await verified_fixes.verified_fix_cells(connection, since=since, until=until)
    answer = VerifiedFixFacts(first=first, last=last, follow_up_days=FOLLOW_UP_DAYS, cells=cells)
    return many_cells_response(answer)


@router.get(
    "/place-tickets",
    response_model=PlaceTicketCounts,
    responses=problem_responses(422, 503),
    description="Per room and category, how many tickets (any status) were opened in `[since, until)` and the "
    "ids of the newest of them (at most `MAX_TICKET_IDS_PER_PLACE`), only for the pairs with at least `min_count` "
    "of them: the facts behind the recurring-problems analysis."
    + _INTERNAL.replace("never ticket contents", "never ticket contents (ticket ids, rooms and categories)"),
)
async def place_ticket_counts(
    connection: ReadConnectionDep,
    since: Annotated[IsoDateTime, Query(description="Start of the window, inclusive (ISO 8601 with offset).")],
    until: Annotated[IsoDateTime, Query(description="End of the window, exclusive (ISO 8601 with offset).")],
    min_count: Annotated[int, Query(ge=1, le=10_000, description="Only pairs with at least this many tickets.")] = 3,
) -> Response:
    """Tickets per room and category opened in a time window, for pairs with at least `min_count`."""
    since, until = _in_utc("since", since), _in_utc("until", until)
    if since >= until:
        raise InvalidInput("`since` must be earlier than `until`.")
    cells = await places.place_ticket_cells(connection, since=since, until=until, min_count=min_count)
    return json_response(PlaceTicketCounts(since=since, until=until, min_count=min_count, cells=cells))


@router.get(
    "/active-by-category",
    response_model=ActiveCounts,
    responses=problem_responses(503),
    description="Active tickets per category, from the per-category counters kept in every status change's "
    "transaction." + _INTERNAL,
)
async def active_ticket_counts(connection: ReadConnectionDep) -> Response:
    """Count active tickets per category."""
    return many_cells_response(ActiveCounts(active=await stats_queries.active_by_category(connection)))
