"""What "open tickets in the last X hours or days" means: parameters, window, buckets, CSV.

Pure functions on plain data, so the semantics can be tested without HTTP.

- The period is `[until - X, until)` where `until` is now: a ticket opened exactly at
  `since` counts, one opened exactly at `until` does not (it belongs to the next period).
- A ticket counts when its status is open or active now (closed tickets never count).
- The ticket service answers counts per UTC hour; this service chooses the bucket of the
  series: the hour for periods up to 48 hours, the UTC day beyond (the hourly cells are
  added up into days here). Buckets are aligned, so the first one is partial: it starts at
  the hour (day) containing `since` but only counts tickets from `since` on; the last is
  the current, still running hour (day). Every bucket is present, zeros included, and the
  series sums to `count`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from campusdesk_common.contracts.analytics_open import Bucket, OpenTickets, Period, PeriodUnit, SeriesPoint
from campusdesk_common.contracts.stats import HourCount
from campusdesk_common.problems import InvalidInput
from campusdesk_common.vocabulary import CATEGORIES, Category

MAX_VALUE: dict[PeriodUnit, int] = {"hours": 8760, "days": 3650}
HOURLY_UP_TO = timedelta(hours=48)
PERIOD_RULE = f"Give the period in hours (1 to {MAX_VALUE['hours']}) or in days (1 to {MAX_VALUE['days']}), not both."
_BUCKET_WIDTH: dict[Bucket, timedelta] = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True, slots=True)
class OpenTicketsReport:
    """The answer, plus the split of each bucket by category (the CSV shows it)."""

    period: Period
    since: datetime
    until: datetime
    bucket: Bucket
    by_category: dict[Category, int]
    # One row per bucket: (start, count per category), every bucket present.
    rows: list[tuple[datetime, dict[Category, int]]]

    @property
    def count(self) -> int:
        return sum(self.by_category.values())


def parse_period(hours: str | None, days: str | None) -> Period:
    """The period from the query; anything but exactly one in-range whole number is a 422."""
    given = [(unit, raw) for unit, raw in (("hours", hours), ("days", days)) if raw is not None]
    if len(given) != 1:
        raise InvalidInput(PERIOD_RULE)
    unit: PeriodUnit = "hours" if given[0][0] == "hours" else "days"
    text = given[0][1].strip()
    # Length first: int() refuses more than 4,300 digits with an error of its own.
    if not (text.isascii() and text.isdigit() and len(text) <= 10) or not 1 <= int(text) <= MAX_VALUE[unit]:
        shown = given[0][1] if len(given[0][1]) <= 40 else given[0][1][:40] + "…"
        raise InvalidInput(f"{unit} must be a whole number between 1 and {MAX_VALUE[unit]}, not {shown!r}.")
    return Period(unit=unit, value=int(text))


def period_length(period: Period) -> timedelta:
    return timedelta(hours=period.value) if period.unit == "hours" else timedelta(days=period.value)


def bucket_for(period: Period) -> Bucket:
    """Hours while that gives at most 49 points; days beyond, so long periods stay readable."""
    return "hour" if period_length(period) <= HOURLY_UP_TO else "day"


def window(period: Period, now: datetime) -> tuple[datetime, datetime]:
    """`(since, until)` of the period ending now, in UTC."""
    until = now.astimezone(UTC)
    return until - period_length(period), until


def floor_to(moment: datetime, bucket: Bucket) -> datetime:
    """The start of the UTC hour (day) containing `moment`."""
    moment = moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    return moment if bucket == "hour" else moment.replace(hour=0)


def bucket_starts(since: datetime, until: datetime, bucket: Bucket) -> list[datetime]:
    """Starts of every bucket overlapping `[since, until)`."""
    start, step = floor_to(since, bucket), _BUCKET_WIDTH[bucket]
    starts = []
    while start < until:
        starts.append(start)
        start += step
    return starts


def build_report(period: Period, since: datetime, until: datetime, cells: Iterable[HourCount]) -> OpenTicketsReport:
    """Add the ticket service's sparse hourly cells up into this period's buckets, gaps filled with zeros."""
    bucket = bucket_for(period)
    starts = bucket_starts(since, until, bucket)
    grid: dict[datetime, dict[Category, int]] = {start: dict.fromkeys(CATEGORIES, 0) for start in starts}
    by_category: dict[Category, int] = dict.fromkeys(CATEGORIES, 0)
    for cell in cells:
        row = grid.get(floor_to(cell.hour, bucket))
        if row is None:
            raise ValueError(f"the hour {cell.hour.isoformat()} is outside the period")
        row[cell.category] += cell.count
        by_category[cell.category] += cell.count
    return OpenTicketsReport(period, since, until, bucket, by_category, [(start, grid[start]) for start in starts])


def answer(report: OpenTicketsReport) -> OpenTickets:
    return OpenTickets(
        period=report.period,
        since=report.since,
        until=report.until,
        bucket=report.bucket,
        count=report.count,
        by_category=report.by_category,
        series=[SeriesPoint(start=start, count=sum(counts.values())) for start, counts in report.rows],
    )


def csv_filename(period: Period) -> str:
    return f"open-tickets-last-{period.value}-{period.unit}.csv"


def render_csv(report: OpenTicketsReport) -> str:
    """One row per bucket: its start, its total and its split by category."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["start", "count", *CATEGORIES])
    for start, counts in report.rows:
        writer.writerow([start.isoformat(), sum(counts.values()), *(counts[c] for c in CATEGORIES)])
    return out.getvalue()
