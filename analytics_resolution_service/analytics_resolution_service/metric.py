"""What "average and median resolution time by opening month" means: parameters, months, rounding, CSV.

Pure functions on plain data, so the semantics can be tested without HTTP.

- Resolution time is `closed_at - opened_at` of a closed ticket; a ticket counts in the
  UTC month it was opened, however late it was closed.
- Every month of the range is present, oldest first; a month in which no ticket opened
  has been closed yet has `closed_tickets` 0 and null average and median.
- `average_hours` is exact: the ticket service's exact total over its count.
- `median_hours` is estimated from the ticket service's histogram (see `median.py`, which
  states its error bound).
- Both are rounded to 0.01 h here, and only here.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query

from analytics_resolution_service.median import MEDIAN_MAX_ERROR, median_seconds
from campusdesk_common.contracts.analytics_resolution import MonthResolution, ResolutionTime
from campusdesk_common.contracts.stats import MonthResolutionFacts
from campusdesk_common.problems import InvalidInput
from campusdesk_common.vocabulary import CATEGORIES, Category

DEFAULT_MONTHS = 12
MAX_MONTHS = 1200
# ASCII digits only: "２０２６-03" is not a month of this API.
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$", re.ASCII)
MONTH_RULE = "Months are written YYYY-MM (for example 2026-03), and from must not be after to."


# The query parameters every analysis of this service takes: a month range and categories.
_MONTH_SCHEMA = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "examples": ["2026-03"]}
FirstMonthQuery = Annotated[str | None, Query(alias="from", json_schema_extra=_MONTH_SCHEMA)]
LastMonthQuery = Annotated[str | None, Query(alias="to", json_schema_extra=_MONTH_SCHEMA)]
CategoriesQuery = Annotated[
    list[str] | None, Query(json_schema_extra={"items": {"type": "string", "enum": list(CATEGORIES)}})
]


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
            raise InvalidInput(f"{name} must be a month written YYYY-MM (for example 2026-03), not {value[:40]!r}.")
    end = _index(last) if last is not None else _index(current_month(now))
    start = _index(first) if first is not None else end - (DEFAULT_MONTHS - 1)
    if last is None and first is not None and start > end:
        end = start + DEFAULT_MONTHS - 1
    if start > end:
        raise InvalidInput(f"from ({_month(start)}) must not be after to ({_month(end)}).")
    if end - start + 1 > MAX_MONTHS:
        raise InvalidInput(f"The range covers {end - start + 1} months; at most {MAX_MONTHS} months are allowed.")
    if start < _index("0001-01"):
        raise InvalidInput("The range would start before the year 0001; give a later to, or a from.")
    if end > _index("9999-12"):
        raise InvalidInput(f"The range would end in {_month(end)}, after 9999-12; give a to no later than 9999-12.")
    return [_month(i) for i in range(start, end + 1)]


def parse_categories(values: Sequence[str] | None) -> list[Category]:
    """The categories asked for, in the fixed order; all three when none is given."""
    if not values:
        return list(CATEGORIES)
    unknown = [v for v in values if v not in CATEGORIES]
    if unknown:
        raise InvalidInput(f"There is no category {unknown[0]!r}; choose among {', '.join(CATEGORIES)}.")
    return [c for c in CATEGORIES if c in values]


def hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def month_figures(
    month: str, facts: MonthResolutionFacts | None, width: Callable[[int], int] = lambda _bucket: 1
) -> MonthResolution:
    """One month's figures; nulls when nothing opened that month has been closed."""
    if facts is None:
        return MonthResolution(month=month, closed_tickets=0, average_hours=None, median_hours=None)
    if sum(b.count for b in facts.histogram) != facts.closed_count:
        raise ValueError(f"the histogram of {month} does not count its {facts.closed_count} closed tickets")
    return MonthResolution(
        month=month,
        closed_tickets=facts.closed_count,
        average_hours=hours(facts.total_resolution_seconds / facts.closed_count),
        median_hours=hours(median_seconds(facts.histogram, width)),
    )


def build_answer(
    months: Sequence[str],
    categories: Sequence[Category],
    facts: Iterable[MonthResolutionFacts],
    width: Callable[[int], int] = lambda _bucket: 1,
) -> ResolutionTime:
    """Every month of the range, oldest first, gaps filled; `width(bucket)`: buckets per histogram bin."""
    known = {f.month: f for f in facts}
    return ResolutionTime(
        categories=list(categories),
        median_max_error=MEDIAN_MAX_ERROR,
        months=[month_figures(month, known.get(month), width) for month in months],
    )


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
