"""What "active tickets per category" means: the fixed order, the labels, the total, CSV.

Pure functions on plain data, so the semantics can be tested without HTTP. A ticket is
active when a helpdesk member has taken it on and not closed it yet (status `active`);
open and closed tickets never count. All three categories are always present, in the
order below, zeros included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from campusdesk_common.vocabulary import CATEGORIES

LABELS = {
    "facility_management": "Facility management",
    "technical_it": "Technical IT",
    "services_complaints": "Services and complaints",
}
CSV_FILENAME = "active-tickets-by-category.csv"


@dataclass(frozen=True, slots=True)
class CategoryCount:
    category: str
    label: str
    active: int


def build_counts(active: Mapping[str, int]) -> list[CategoryCount]:
    """Every category in the fixed order; unknown categories from upstream are an error."""
    unknown = set(active) - set(CATEGORIES)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}")
    return [CategoryCount(c, LABELS[c], int(active.get(c, 0))) for c in CATEGORIES]


def total(counts: Iterable[CategoryCount]) -> int:
    return sum(c.active for c in counts)


def render_csv(counts: Iterable[CategoryCount]) -> str:
    """One row per category."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["category", "label", "active"])
    for c in counts:
        writer.writerow([c.category, c.label, c.active])
    return out.getvalue()
