"""What "verified fixes by month of closure" means: per month and category, the share confirmed fixed, and CSV.

Pure functions on plain data, so the semantics can be tested without HTTP.

- A ticket counts in the UTC month it was closed.
- `answered`: closed tickets whose private links gave at least one answer to "Is it fixed?";
  `confirmed_fixed`: those every answer of which is "fixed" (one "Still broken" is enough to doubt it).
- `share_fixed` = confirmed_fixed / answered, rounded to 0.001 here and only here; null when
  nothing was answered (no answer is not a 0% fix rate).
- `followed_up`: closed tickets with a follow-up filed within FOLLOW_UP_DAYS of closure.
- Every month of the range is present, oldest first, every category asked in the fixed order,
  zeros included; `total` sums the categories asked (its share from the sums, not an average of shares).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from campusdesk_common.contracts.analytics_resolution import CategoryFixes, FixFigures, MonthFixes, VerifiedFixes
from campusdesk_common.contracts.stats import MonthCategoryFixFacts
from campusdesk_common.vocabulary import CATEGORIES, Category


def share(confirmed: int, answered: int) -> float | None:
    return None if answered == 0 else round(confirmed / answered, 3)


def figures(closed: int, answered: int, confirmed: int, followed_up: int) -> FixFigures:
    """One set of figures; ValueError when the facts contradict each other."""
    if not confirmed <= answered <= closed or followed_up > closed:
        raise ValueError(f"{confirmed} confirmed of {answered} answered of {closed} closed, {followed_up} followed up")
    return FixFigures(
        closed=closed,
        answered=answered,
        confirmed_fixed=confirmed,
        share_fixed=share(confirmed, answered),
        followed_up=followed_up,
    )


def _counts(cell: MonthCategoryFixFacts | None) -> tuple[int, int, int, int]:
    if cell is None:
        return 0, 0, 0, 0
    return cell.closed, cell.answered, cell.confirmed_fixed, cell.followed_up


def build_answer(
    months: Sequence[str], categories: Sequence[Category], follow_up_days: int, cells: Iterable[MonthCategoryFixFacts]
) -> VerifiedFixes:
    """Every month of the range and every category asked, gaps filled with zeros."""
    known = {(cell.month, cell.category): cell for cell in cells}
    answer_months = []
    for month in months:
        counts = {category: _counts(known.get((month, category))) for category in categories}
        per_category = [
            CategoryFixes(category=category, **figures(*counts[category]).model_dump()) for category in categories
        ]
        sums = [sum(column) for column in zip(*counts.values(), strict=True)] if counts else [0, 0, 0, 0]
        answer_months.append(MonthFixes(month=month, categories=per_category, total=figures(*sums)))
    return VerifiedFixes(categories=list(categories), follow_up_days=follow_up_days, months=answer_months)


def csv_filename(months: Sequence[str], categories: Sequence[str]) -> str:
    scope = "" if len(categories) == len(CATEGORIES) else "-" + "-".join(categories)
    return f"verified-fixes-{months[0]}-to-{months[-1]}{scope}.csv"


CSV_COLUMNS = ("month", "category", "closed", "answered", "confirmed_fixed", "share_fixed", "followed_up")


def render_csv(answer: VerifiedFixes) -> str:
    """One row per month and category, then the month's `all` row; an empty share where the JSON has null."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for month in answer.months:
        rows: list[tuple[str, FixFigures]] = [(c.category, c) for c in month.categories]
        for category, row in [*rows, ("all", month.total)]:
            writer.writerow(
                [
                    month.month,
                    category,
                    row.closed,
                    row.answered,
                    row.confirmed_fixed,
                    "" if row.share_fixed is None else f"{row.share_fixed:.3f}",
                    row.followed_up,
                ]
            )
    return out.getvalue()
