"""Issue 13.4 in the benchmark: `/resolution-time` medians against the exact ones, from the same database.

The exact median of every month of the default range is computed by PostgreSQL over the
closed tickets themselves (`percentile_cont(0.5)`, the mean of the two middle times for an
even count, as `statistics.median`); the service's answer is read once. Reported: each pair,
the largest error relative to the exact median (to compare with the stated `median_max_error`,
which bounds the error before rounding to 0.01 h), and whether two months show the same value
while their exact medians differ.
"""

from __future__ import annotations

from typing import Any

import httpx
import psycopg

from campusdesk_common.contracts.analytics_resolution import ResolutionTime

_EXACT = """
    SELECT to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM') AS month,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM closed_at - opened_at)) / 3600.0
    FROM tickets WHERE status = 'closed' AND to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM') = ANY(%s)
    GROUP BY 1 ORDER BY 1
"""


async def check(analytics_url: str, libpq_url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=analytics_url, timeout=60) as client:
        response = await client.get("/resolution-time")
        response.raise_for_status()
    answer = ResolutionTime.model_validate_json(response.content)
    months = [m.month for m in answer.months]
    with psycopg.connect(libpq_url) as connection:
        exact = {month: float(hours) for month, hours in connection.execute(_EXACT, (months,))}
    rows = []
    for month in answer.months:
        truth = exact.get(month.month)
        if truth is None or month.median_hours is None:
            continue
        rows.append(
            {"month": month.month, "reported_hours": month.median_hours, "exact_hours": round(truth, 4),
             "relative_error": round(abs(month.median_hours - truth) / truth, 6)}
        )  # fmt: skip
    reported = [r["reported_hours"] for r in rows]
    collisions = [
        (a["month"], b["month"])
        for i, a in enumerate(rows)
        for b in rows[i + 1 :]
        if a["reported_hours"] == b["reported_hours"] and round(a["exact_hours"], 2) != round(b["exact_hours"], 2)
    ]
    return {
        "stated_bound": answer.median_max_error,
        "months": rows,
        "max_relative_error": max((r["relative_error"] for r in rows), default=None),
        "distinct_reported": len(set(reported)),
        "collisions": collisions,
    }
