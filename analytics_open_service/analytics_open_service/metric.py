"""What "open tickets in the last X hours or days" means: parameters, window, buckets, CSV.

Pure functions on plain data, so the semantics can be tested without HTTP.

- The period is `[until - X, until)` where `until` is now: a ticket opened exactly at
  `since` counts, one opened exactly at `until` does not (it belongs to the next period).
- A ticket counts when its status is `open` or `active` now (closed tickets never count).
- The series uses whole UTC hours for periods up to 72 hours and whole UTC days beyond.
  Buckets are aligned to the hour (day), so the first bucket is partial: it starts at the
  hour (day) containing `since` but only counts tickets from `since` on; the last bucket is
  the current, still running hour (day). Hence X + 1 buckets, or X when `since` falls exactly
  on a boundary. Every bucket is present, zeros included; the series sums to `count`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from campusdesk_common.problems import InvalidInput
from campusdesk_common.vocabulary import CATEGORIES

MAX_HOURS = 8760
MAX_DAYS = 3650
HOURLY_UP_TO = timedelta(hours=72)
PERIOD_RULE = f"Give exactly one of hours (1..{MAX_HOURS}) or days (1..{MAX_DAYS}), for example ?hours=24 or ?days=7."

Unit = Literal["hours", "days"]
Bucket = Literal["hour", "day"]
_BUCKET_WIDTH = {"hour": timedelta(hours=1), "day": timedelta(days=1)}


@dataclass(frozen=True, slots=True)
class Period:
    unit: Unit
    value: int

    @property
    def length(self) -> timedelta:
        return timedelta(hours=self.value) if self.unit == "hours" else timedelta(days=self.value)

    @property
    def bucket(self) -> Bucket:
        return "hour" if self.length <= HOURLY_UP_TO else "day"

    def window(self, now: datetime) -> tuple[datetime, datetime]:
        """`(since, until)` of the period ending now, in UTC."""
        until = now.astimezone(UTC)
        return until - self.length, until


@dataclass(frozen=True, slots=True)
class OpenTicketsReport:
    period: Period
    since: datetime
    until: datetime
    by_category: dict[str, int]
    # One row per bucket: (start, count per category), every bucket present.
    rows: list[tuple[datetime, dict[str, int]]]

    @property
    def count(self) -> int:
        return sum(self.by_category.values())


def parse_period(hours: str | None, days: str | None) -> Period:
    """The period from the query; anything but exactly one in-range integer is a 422."""
    given = [(unit, raw) for unit, raw in (("hours", hours), ("days", days)) if raw is not None]
    if len(given) != 1:
        raise InvalidInput(PERIOD_RULE)
    unit, raw = given[0]
    limit = MAX_HOURS if unit == "hours" else MAX_DAYS
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= limit:
        raise InvalidInput(f"{unit}={raw!r} is not allowed. {PERIOD_RULE}")
    return Period(unit, int(text))  # type: ignore[arg-type]


def floor_to(moment: datetime, bucket: Bucket) -> datetime:
    """The start of the UTC hour (day) containing `moment`."""
    moment = moment.astimezone(UTC)
    if bucket == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def bucket_starts(since: datetime, until: datetime, bucket: Bucket) -> list[datetime]:
    """Starts of every bucket overlapping `[since, until)`."""
    step = _BUCKET_WIDTH[bucket]
    start = floor_to(since, bucket)
    starts = []
    while start < until:
        starts.append(start)
        start += step
    return starts


def build_report(
    period: Period, since: datetime, until: datetime, cells: Iterable[tuple[datetime, str, int]]
) -> OpenTicketsReport:
    """Fill the gaps of the sparse (bucket start, category, count) cells the ticket service answered."""
    starts = bucket_starts(since, until, period.bucket)
    grid: dict[datetime, dict[str, int]] = {start: dict.fromkeys(CATEGORIES, 0) for start in starts}
    by_category: dict[str, int] = dict.fromkeys(CATEGORIES, 0)
    for start, category, count in cells:
        row = grid.get(start.astimezone(UTC))
        if row is None or category not in by_category:
            raise ValueError(f"cell outside the series: {start.isoformat()} {category}")
        row[category] += count
        by_category[category] += count
    return OpenTicketsReport(period, since, until, by_category, [(start, grid[start]) for start in starts])


def series(report: OpenTicketsReport) -> list[tuple[datetime, int]]:
    return [(start, sum(counts.values())) for start, counts in report.rows]


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
