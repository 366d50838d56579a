"""The open-tickets analysis (analytics_open_service): its answer."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from campusdesk_common.contracts.common import Timestamp
from campusdesk_common.vocabulary import Category

PeriodUnit = Literal["hours", "days"]
Bucket = Literal["hour", "day"]


class Period(BaseModel):
    """The period asked for: the last `value` hours or days."""

    unit: PeriodUnit
    value: int = Field(ge=1)


class SeriesPoint(BaseModel):
    """One bucket of the series."""

    start: Timestamp = Field(description="Start of the UTC hour or day.")
    count: int = Field(ge=0)


class OpenTickets(BaseModel):
    """Tickets opened in the period and not closed now, in total, per category and per bucket."""

    period: Period
    since: Timestamp = Field(description="Start of the period, inclusive.")
    until: Timestamp = Field(description="End of the period (now), exclusive.")
    bucket: Bucket = Field(description="The width of each point of `series`: a UTC hour or a UTC day.")
    count: int = Field(ge=0, description="Tickets opened in the period whose status is open or active now.")
    by_category: dict[Category, int] = Field(description="Every category, zeros included; sums to `count`.")
    series: list[SeriesPoint] = Field(
        description="Every bucket overlapping the period, zeros included, oldest first. The first bucket starts "
        "at the hour or day containing `since` and counts only tickets from `since` on; the last is the current "
        "one. The counts sum to `count`."
    )
