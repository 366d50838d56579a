"""The ticket service's internal `/stats` API: raw facts, never a metric.

The analytics services turn these facts into their metrics (buckets, averages,
medians, gaps, rounding); the ticket service only counts and sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from pydantic import BaseModel, Field

from campusdesk_common.contracts.common import Timestamp
from campusdesk_common.vocabulary import Category

# Resolution times are kept in a histogram of log-spaced buckets: bucket b holds the
# times t (seconds) with r^b <= t + 1 < r^(b+1), r = HISTOGRAM_RATIO. The provider files times
# with `histogram_bucket`, a consumer reads a bucket's range with `histogram_bounds`.
# r = 1.005 bounds a median read from the histogram to 0.5%; a month holds at most
# ln(120 days) / ln(r) ~ 3,300 buckets, and only the non-empty ones are stored.
# Changing r needs a migration that rebuilds `resolution_histogram` (see revision 0004).
HISTOGRAM_RATIO = 1.005
# The bins of `bucket_group` consecutive buckets the provider keeps summed (ratio 1.005^32 ~ 1.17):
# a consumer asking this group reads ~70 bins a month instead of ~1,500; any other group works, slower.
COARSE_BUCKET_GROUP = 32
_LOG_RATIO = math.log(HISTOGRAM_RATIO)


def histogram_bucket(seconds: float) -> int:
    """The histogram bucket of a resolution time: floor(log(seconds + 1) / log(HISTOGRAM_RATIO))."""
    return math.floor(math.log(max(seconds, 0.0) + 1.0) / _LOG_RATIO)


def histogram_bounds(bucket: int, width: int = 1) -> tuple[float, float]:
    """The range of resolution times (seconds) `[lower, upper)` of `width` buckets from `bucket`."""
    return math.exp(bucket * _LOG_RATIO) - 1.0, math.exp((bucket + width) * _LOG_RATIO) - 1.0


def bin_width(bucket: int, group: int, fine: Sequence[int] | None) -> int:
    """How many buckets the histogram bin starting at `bucket` spans (see `ResolutionMonthly.bucket_group`)."""
    if group == 1 or (fine is not None and fine[0] <= bucket <= fine[1]):
        return 1
    return group


class HourCount(BaseModel):
    """Not-closed tickets of one category opened in one UTC hour of the window."""

    hour: Timestamp = Field(description="Start of the UTC hour.")
    category: Category
    count: int = Field(ge=1)


class OpenTicketCounts(BaseModel):
    """Not-closed (open or active) tickets opened in `[since, until)`, per UTC hour and category."""

    since: Timestamp
    until: Timestamp
    cells: list[HourCount] = Field(
        description="Non-empty (hour, category) cells, ordered by hour then category. The first and last hour "
        "may extend beyond the window, but only tickets with since <= opened_at < until are counted."
    )


class HistogramBin(BaseModel):
    """How many resolution times fell in one log-spaced bucket (see `histogram_bounds`)."""

    bucket: int = Field(
        ge=0, description=f"b: the times t (seconds) with r^b <= t + 1 < r^(b+1), r = {HISTOGRAM_RATIO}."
    )
    count: int = Field(ge=1)


class MonthResolutionFacts(BaseModel):
    """Closed tickets opened in one month: their count, exact total and histogram."""

    month: str = Field(description="Opening month of the tickets, YYYY-MM in UTC.", examples=["2026-03"])
    closed_count: int = Field(ge=1, description="Closed tickets opened in this month.")
    total_resolution_seconds: float = Field(ge=0, description="Exact sum of closed_at - opened_at.")
    histogram: list[HistogramBin] = Field(description="Non-empty buckets, ascending; the counts sum to closed_count.")


class ResolutionMonthly(BaseModel):
    """Resolution facts per opening month of the range, for the categories asked."""

    first: str = Field(description="First month of the range (YYYY-MM).")
    last: str = Field(description="Last month of the range (YYYY-MM), inclusive.")
    categories: list[Category]
    bucket_group: int = Field(
        default=1,
        ge=1,
        description="Buckets per histogram bin outside `fine_buckets`: a bin's `bucket` is then the first of "
        "`bucket_group` consecutive buckets (a multiple of it). 1: every bin is one bucket.",
    )
    fine_buckets: list[int] | None = Field(
        default=None,
        min_length=2,
        max_length=2,
        description="[first, last]: the buckets answered one bin per bucket although `bucket_group` > 1.",
    )
    months: list[MonthResolutionFacts] = Field(
        description="Only months with at least one closed ticket, oldest first; the caller fills the gaps."
    )


class ActiveCounts(BaseModel):
    """Active tickets per category."""

    active: dict[Category, int] = Field(description="Every category present, zeros included.")


# `/stats/verified-fixes` answers at most this many closing months at once.
VERIFIED_FIXES_MAX_MONTHS = 1200


class MonthCategoryFixFacts(BaseModel):
    """Tickets of one category closed in one UTC month, and what their private links answered to "Is it fixed?"."""

    month: str = Field(description="Closing month of the tickets, YYYY-MM in UTC.", examples=["2026-03"])
    category: Category
    closed: int = Field(ge=1, description="Tickets of this category closed in this month (closed_at's UTC month).")
    answered: int = Field(
        ge=0, description='Of `closed`: tickets with at least one private link that answered "Is it fixed?".'
    )
    confirmed_fixed: int = Field(
        ge=0,
        description='Of `answered`: tickets every answer of which is "fixed" (no link answered "broken").',
    )
    followed_up: int = Field(
        ge=0,
        description="Of `closed`: tickets with at least one follow-up ticket (`follows_up` = their id) opened at most "
        "`follow_up_days` days after their closed_at.",
    )


class VerifiedFixFacts(BaseModel):
    """Per closing month and category: closed tickets, fix answers, confirmed fixes and follow-ups."""

    first: str = Field(description="First closing month of the range (YYYY-MM).")
    last: str = Field(description="Last closing month of the range (YYYY-MM), inclusive.")
    follow_up_days: int = Field(ge=1, description="The follow-up window after closure, in days.")
    cells: list[MonthCategoryFixFacts] = Field(
        description="Only (month, category) cells with at least one closed ticket, ordered by month, then in the "
        "categories' fixed order; the caller fills the gaps."
    )
