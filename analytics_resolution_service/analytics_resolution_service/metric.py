"""What "average resolution time by opening month" means: parameters, months, rounding, CSV.

Pure functions on plain data, so the semantics can be tested without HTTP.

- Resolution time is `closed_at - opened_at` of a closed ticket; a ticket counts in the
  UTC month it was opened, however late it was closed.
- Every month of the range is present, oldest first; a month in which no ticket opened
  has been closed yet has `closed_tickets` 0 and null average and median.
- `average_hours` is exact (sum / count from the ticket service's roll-ups), rounded to 0.01 h.
- `median_hours` comes from a log-spaced histogram (bucket ratio 1.1): it is within 5%
  (precisely 4.9%, plus 0.05 s) of the exact median, then rounded to 0.01 h.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from campusdesk_common.problems import InvalidInput
from campusdesk_common.vocabulary import CATEGORIES

DEFAULT_MONTHS = 12
MAX_MONTHS = 1200
MEDIAN_ERROR_BOUND = 0.05
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MONTH_RULE = "Months are written YYYY-MM (for example 2026-03), `from` not after `to`"


@dataclass(frozen=True, slots=True)
class MonthTotals:
    """What the ticket service knows about one opening month."""

    month: str
    closed_count: int
    total_resolution_seconds: float
    median_resolution_seconds: float


@dataclass(frozen=True, slots=True)
class MonthResolution:
    month: str
    closed_tickets: int
    average_hours: float | None
    median_hours: float | None


def _index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


def _month(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def current_month(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m")


def parse_range(first: str | None, last: str | None, now: datetime) -> list[str]:
    """The months asked for; by default the last 12 including the current one (UTC)."""
    for name, value in (("from", first), ("to", last)):
        if value is not None and not _MONTH.match(value):
            raise InvalidInput(f"{name}={value!r} is not a month. {MONTH_RULE}.")
    end = _index(last) if last is not None else _index(current_month(now))
    start = _index(first) if first is not None else end - (DEFAULT_MONTHS - 1)
    if last is None and first is not None and start > end:
        end = start + DEFAULT_MONTHS - 1
    if start > end:
        raise InvalidInput(f"from={_month(start)} is after to={_month(end)}. {MONTH_RULE}.")
    if end - start + 1 > MAX_MONTHS:
        raise InvalidInput(f"The range covers {end - start + 1} months; at most {MAX_MONTHS} are allowed.")
    if start < _index("0001-01"):
        raise InvalidInput(f"The range would start before year 1. {MONTH_RULE}.")
    return [_month(i) for i in range(start, end + 1)]


def parse_categories(values: Sequence[str] | None) -> list[str]:
    """The categories asked for, in the fixed order; all three when none is given."""
    if not values:
        return list(CATEGORIES)
    unknown = [v for v in values if v not in CATEGORIES]
    if unknown:
        raise InvalidInput(f"Unknown category {unknown[0]!r}; allowed: {', '.join(CATEGORIES)} (repeatable).")
    return [c for c in CATEGORIES if c in values]


def hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def build_months(months: Sequence[str], totals: Iterable[MonthTotals]) -> list[MonthResolution]:
    """Every month of the range, with nulls where nothing opened that month has been closed."""
    known = {t.month: t for t in totals if t.closed_count > 0}
    rows = []
    for month in months:
        t = known.get(month)
        if t is None:
            rows.append(MonthResolution(month, 0, None, None))
        else:
            average = hours(t.total_resolution_seconds / t.closed_count)
            rows.append(MonthResolution(month, t.closed_count, average, hours(t.median_resolution_seconds)))
    return rows


def csv_filename(months: Sequence[str], categories: Sequence[str]) -> str:
    scope = "" if len(categories) == len(CATEGORIES) else "-" + "-".join(categories)
    return f"resolution-time-{months[0]}-to-{months[-1]}{scope}.csv"


def render_csv(rows: Iterable[MonthResolution]) -> str:
    """One row per month; empty cells where the JSON answer has null."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["month", "closed_tickets", "average_hours", "median_hours"])
    for row in rows:
        writer.writerow(
            [
                row.month,
                row.closed_tickets,
                "" if row.average_hours is None else f"{row.average_hours:.2f}",
                "" if row.median_hours is None else f"{row.median_hours:.2f}",
            ]
        )
    return out.getvalue()
