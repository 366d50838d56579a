"""What "active tickets per category" means: the fixed order, the labels, the total, CSV.

Pure functions on plain data, so the semantics can be tested without HTTP. A ticket is
active when a helpdesk member has taken it on and not closed it yet (status `active`);
open and closed tickets never count. All three categories are always present, in the
vocabulary's order, with its labels, zeros included.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from campusdesk_common.contracts.analytics_category import ActiveByCategory, CategoryCount
from campusdesk_common.vocabulary import CATEGORIES, CATEGORY_LABELS, Category

CSV_FILENAME = "active-tickets-by-category.csv"


def build_answer(active: Mapping[Category, int]) -> ActiveByCategory:
    """Every category in the fixed order, with its label; a category the counts lack has none active."""
    counts = [CategoryCount(category=c, label=CATEGORY_LABELS[c], active=active.get(c, 0)) for c in CATEGORIES]
    return ActiveByCategory(categories=counts, total_active=sum(c.active for c in counts))


def render_csv(answer: ActiveByCategory) -> str:
    """One row per category."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["category", "label", "active"])
    for c in answer.categories:
        writer.writerow([c.category, c.label, c.active])
    return out.getvalue()
