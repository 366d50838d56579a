"""`/stats`: the aggregate API the analytics services call (internal; no `X-Role` header).

Every answer is computed in the database from indexed or rolled-up data, so it costs
about the same at ten thousand and at ten million tickets.
"""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AwareDatetime, BaseModel, BeforeValidator, Field

from campusdesk_common.answers import json_answer
from campusdesk_common.problems import InvalidInput, problem_responses
from campusdesk_common.vocabulary import CATEGORIES
from ticket_service import stats_queries
from ticket_service.dependencies import ReadConnectionDep


def _iso_text_only(value: object) -> object:
    # pydantic also reads "8" as a Unix timestamp; the contract is ISO 8601 text only.
    if isinstance(value, str) and not _ISO_DATETIME.match(value):
        raise ValueError("must be an ISO 8601 date-time with an offset, such as 2026-11-24T10:00:00+00:00")
    return value


_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
IsoDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text_only)]

router = APIRouter(prefix="/stats", tags=["stats"])


Category = Literal["facility_management", "technical_it", "services_complaints"]
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_INTERNAL = (
    " Internal aggregate API for the analytics services: no `X-Role` header is needed, "
    "and it exposes counts only, never ticket contents."
)


class OpenTicketCell(BaseModel):
    start: datetime = Field(description="Start of the UTC-aligned hour or day (the bucket).")
    category: Category
    count: int = Field(description="Not-closed tickets of this category opened in this bucket and the window.")


class OpenTicketCounts(BaseModel):
    since: datetime
    until: datetime
    bucket: Literal["hour", "day"]
    cells: list[OpenTicketCell] = Field(
        description="Non-empty (bucket, category) cells, ordered by bucket start then category name. "
        "Buckets are aligned to whole UTC hours/days; the first and last may extend beyond the window, "
        "but only tickets with since <= opened_at < until are counted."
    )


class MonthResolution(BaseModel):
    month: str = Field(description="Opening month of the tickets, YYYY-MM in UTC.", examples=["2026-03"])
    closed_count: int = Field(description="Closed tickets opened in this month.")
    total_resolution_seconds: float = Field(description="Exact sum of closed_at - opened_at over those tickets.")
    median_resolution_seconds: float = Field(
        description="Median resolution time from the log-spaced histogram (bucket ratio 1.1): within 4.9% "
        "of the exact median (plus 0.05 s for sub-second times)."
    )


class ResolutionMonthly(BaseModel):
    first: str = Field(description="First month of the range (YYYY-MM).")
    last: str = Field(description="Last month of the range (YYYY-MM), inclusive.")
    categories: list[Category]
    months: list[MonthResolution] = Field(
        description="Only months with at least one closed ticket, oldest first; the caller fills the gaps."
    )


class ActiveByCategory(BaseModel):
    active: dict[Category, int] = Field(description="Active tickets per category; all three categories present.")


@router.get(
    "/open-tickets",
    response_model=OpenTicketCounts,
    responses=problem_responses(422, 503),
    description="Not-closed (open or active) tickets opened in `[since, until)`, counted per UTC hour or day "
    "and category. Whole hours come from counters kept in every ticket change's transaction; only the partial "
    "first and last hour are counted from the partial index of not-closed tickets." + _INTERNAL,
)
async def open_ticket_counts(
    connection: ReadConnectionDep,
    since: Annotated[IsoDateTime, Query(description="Start of the window, inclusive (ISO 8601 with offset).")],
    until: Annotated[IsoDateTime, Query(description="End of the window, exclusive (ISO 8601 with offset).")],
    bucket: Annotated[Literal["hour", "day"], Query(description="Bucket width of the counts.")] = "hour",
) -> Response:
    """Count not-closed tickets opened in a time window, per hour or day and category."""
    if since >= until:
        raise InvalidInput("`since` must be earlier than `until`.")
    cells = await stats_queries.open_ticket_cells(connection, since=since, until=until, bucket=bucket)
    return json_answer(
        {
            "since": since.astimezone(UTC),
            "until": until.astimezone(UTC),
            "bucket": bucket,
            "cells": [{"start": c.start, "category": c.category, "count": c.count} for c in cells],
        }
    )


@router.get(
    "/resolution-monthly",
    response_model=ResolutionMonthly,
    responses=problem_responses(422, 503),
    description="Per opening month (UTC): how many tickets were closed, the exact sum of their resolution "
    "times, and the histogram median. Reads the roll-up tables kept in the closing transaction, never "
    "the tickets themselves." + _INTERNAL,
)
async def resolution_monthly(
    connection: ReadConnectionDep,
    first: Annotated[str, Query(alias="from", description="First opening month, YYYY-MM.", examples=["2025-12"])],
    last: Annotated[str, Query(alias="to", description="Last opening month, YYYY-MM, inclusive.")],
    category: Annotated[
        list[Category] | None, Query(description="Categories to include (repeatable); all when absent.")
    ] = None,
) -> Response:
    """Resolution totals and medians of closed tickets per opening month."""
    for name, value in (("from", first), ("to", last)):
        if not _MONTH.match(value):
            raise InvalidInput(f"`{name}` must be a month written YYYY-MM (01..12), not {value!r}.")
    if first > last:
        raise InvalidInput("`from` must not be after `to`.")
    categories = [c for c in CATEGORIES if category is None or c in category]
    months = await stats_queries.resolution_monthly(connection, first=first, last=last, categories=categories)
    return json_answer({"first": first, "last": last, "categories": categories, "months": [asdict(m) for m in months]})


@router.get(
    "/active-by-category",
    response_model=ActiveByCategory,
    responses=problem_responses(503),
    description="Active tickets per category, from the per-category counters kept in every status change's "
    "transaction." + _INTERNAL,
)
async def active_ticket_counts(connection: ReadConnectionDep) -> Response:
    """Count active tickets per category."""
    counts = await stats_queries.active_by_category(connection)
    return json_answer({"active": counts})
