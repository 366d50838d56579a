"""The service's answer, and the ticket service's aggregate it is computed from."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class PeriodRead(BaseModel):
    unit: Literal["hours", "days"]
    value: int


class SeriesPoint(BaseModel):
    start: datetime = Field(description="Start of the UTC hour or day.")
    count: int


class ByCategory(BaseModel):
    facility_management: int
    technical_it: int
    services_complaints: int


class OpenTickets(BaseModel):
    period: PeriodRead
    since: datetime = Field(description="Start of the period, inclusive.")
    until: datetime = Field(description="End of the period (now), exclusive.")
    count: int = Field(description="Tickets opened in the period whose status is open or active now.")
    by_category: ByCategory
    series: list[SeriesPoint] = Field(
        description="Every UTC hour (periods up to 72 hours) or day (longer periods) overlapping the period, "
        "zeros included. The first bucket starts at the hour/day containing `since` and counts only tickets "
        "from `since` on; the last is the current one. The counts sum to `count`."
    )


class UpstreamCell(BaseModel):
    start: datetime
    category: str
    count: int


class UpstreamOpenCounts(BaseModel):
    """`GET /stats/open-tickets` of the ticket service."""

    cells: list[UpstreamCell]
