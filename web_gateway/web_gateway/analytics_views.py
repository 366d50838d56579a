"""View models of the Analytics page, built only from what the analytics services answer.

The gateway re-derives nothing: the open-tickets answer's `bucket` decides the
labels and the caption, the resolution answer states its own median error bound,
and a refused parameter shows the service's own 422 `detail`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import urlencode

from campusdesk_common.contracts.analytics_category import ActiveByCategory
from campusdesk_common.contracts.analytics_open import OpenTickets, SeriesPoint
from campusdesk_common.contracts.analytics_resolution import FixFigures, ResolutionTime, VerifiedFixes
from campusdesk_common.vocabulary import CATEGORY_LABELS, FIX_ANSWER_LABELS
from web_gateway.analytics_api import Analysis, AnalyticsApi
from web_gateway.charts import BarChart, bar_chart
from web_gateway.forms import AnalyticsQuery
from web_gateway.recurring import recurring_view
from web_gateway.upstream import UpstreamProblem, UpstreamRejected

A = TypeVar("A")
V = TypeVar("V")


@dataclass(frozen=True)
class Panel(Generic[V]):
    """One analysis on the page: what was asked, and the result or why there is none."""

    params: dict[str, Any]
    view: V | None = None
    error: str | None = None
    # The service refused the parameters (a 422 for the page), rather than being unavailable.
    invalid: bool = False
    csv_url: str = ""


async def panel(params: dict[str, Any], call: Awaitable[A], build: Callable[[A], V], csv_url: str) -> Panel[V]:
    """Ask the service; its refusal or its outage becomes the panel's sentence, not a failed page."""
    try:
        answer = await call
    except UpstreamRejected as exc:
        return Panel(params, error=exc.detail, invalid=True)
    except UpstreamProblem as exc:
        return Panel(params, error=f"This analysis is unavailable right now: {exc.detail}")
    return Panel(params, view=build(answer), csv_url=csv_url)


async def not_shown() -> Panel[Any]:
    """A panel the page does not show this time (htmx asked for another one)."""
    return Panel({})


@dataclass(frozen=True)
class OpenTicketsView:
    answer: OpenTickets
    # "the last 3 days" / "the last 1 day", as the answer states its period.
    period: str
    caption: str
    # (when, tickets): the full UTC date and hour (or date) of every bucket, for the table.
    rows: list[tuple[str, int]]
    chart: BarChart


def _point_label(point: SeriesPoint, previous: SeriesPoint | None, bucket: str) -> str:
    """Dates for daily buckets; hours for hourly ones, with the date where a new day starts."""
    if bucket == "day":
        return point.start.strftime("%Y-%m-%d")
    if previous is None or previous.start.date() != point.start.date():
        return point.start.strftime("%Y-%m-%d %H:%M")
    return point.start.strftime("%H:%M")


def _full_label(start: datetime, bucket: str) -> str:
    return start.strftime("%Y-%m-%d" if bucket == "day" else "%Y-%m-%d %H:%M")


def open_tickets_view(answer: OpenTickets) -> OpenTicketsView:
    series = answer.series
    points: list[tuple[str, float | None]] = [
        (_point_label(point, series[i - 1] if i else None, answer.bucket), float(point.count))
        for i, point in enumerate(series)
    ]
    unit = answer.period.unit.removesuffix("s") if answer.period.value == 1 else answer.period.unit
    period = f"{answer.period.value} {unit}"
    tickets = "ticket" if answer.count == 1 else "tickets"
    caption = f"{answer.count} {tickets} in the last {period}, by {answer.bucket} of opening (UTC)."
    chart = bar_chart("Tickets opened in the period and not yet closed", caption, "tickets", points)
    rows = [(_full_label(point.start, answer.bucket), point.count) for point in series]
    return OpenTicketsView(answer, period, caption, rows, chart)


@dataclass(frozen=True)
class ResolutionView:
    answer: ResolutionTime
    # "Medians are within 5% of the exact median.", from the answer's own `median_max_error`.
    median_note: str
    chart: BarChart = field(repr=False)


def resolution_view(answer: ResolutionTime) -> ResolutionView:
    bound = f"{round(answer.median_max_error * 100, 2):g}%"
    note = f"Averages are exact; medians are estimated from a histogram, within {bound} of the exact median."
    chart = bar_chart(
        "Average resolution time by opening month",
        "Average hours from opening to closing of the tickets opened each month (UTC).",
        "hours",
        [(month.month, month.average_hours) for month in answer.months],
        unit=" h",
    )
    return ResolutionView(answer, note, chart)


@dataclass(frozen=True)
class CategoryView:
    answer: ActiveByCategory
    chart: BarChart


def category_view(answer: ActiveByCategory) -> CategoryView:
    chart = bar_chart(
        "Active tickets per category",
        f"{answer.total_active} tickets are being worked on now.",
        "tickets",
        [(CATEGORY_LABELS[c.category], float(c.active)) for c in answer.categories],
    )
    return CategoryView(answer, chart)


@dataclass(frozen=True)
class FixRow:
    """One line of the verified-fixes table: a month and a category (or all of them), as the service counted."""

    month: str
    scope: str
    figures: FixFigures
    share: str  # "66.7%", or a dash when nothing was answered


@dataclass(frozen=True)
class VerifiedFixesView:
    answer: VerifiedFixes
    note: str
    # One chart per category asked: the share confirmed fixed, month by month.
    charts: list[BarChart] = field(repr=False)
    rows: list[FixRow] = field(repr=False)


def percent(share: float | None) -> str:
    """A share as the service rounded it, in percent, or a dash when nothing was answered."""
    return "—" if share is None else f"{share * 100:.1f}%"


def verified_fixes_view(answer: VerifiedFixes) -> VerifiedFixesView:
    fixed, broken = FIX_ANSWER_LABELS["fixed"], FIX_ANSWER_LABELS["broken"]
    note = (
        f'Confirmed fixed: every answer to "Is it fixed?" was "{fixed}" (none "{broken}"). '
        f"Followed up: a follow-up ticket was filed within {answer.follow_up_days} days of closure."
    )
    charts = []
    for index, category in enumerate(answer.categories):
        label = CATEGORY_LABELS[category]
        points = [
            (m.month, None if (s := m.categories[index].share_fixed) is None else round(s * 100, 1))
            for m in answer.months
        ]
        charts.append(
            bar_chart(
                f"{label}: share of answered tickets confirmed fixed",
                f"{label}: percent of the answered tickets closed each month (UTC) that were confirmed fixed.",
                "%",
                points,
                unit="%",
            )
        )
    rows = []
    for m in answer.months:
        scoped: list[tuple[str, FixFigures]] = [(CATEGORY_LABELS[c.category], c) for c in m.categories]
        for scope, figures in [*scoped, ("All asked", m.total)]:
            rows.append(FixRow(m.month, scope, figures, percent(figures.share_fixed)))
    return VerifiedFixesView(answer, note, charts, rows)


PANELS = {
    "open": "open-panel",
    "resolution": "resolution-panel",
    "category": "category-panel",
    "recurring": "recurring-panel",
    "verified": "verified-panel",
}


def csv_url(analysis: Analysis, query: AnalyticsQuery) -> str:
    """The gateway's download address for the same parameters."""
    params = query.address_params(analysis)
    return f"/analytics/{analysis}.csv" + (f"?{urlencode(params)}" if params else "")


async def analytics_panels(api: AnalyticsApi, query: AnalyticsQuery, only: str | None) -> dict[str, Panel[Any]]:
    """The five panels (or only the one htmx asked for), each asked of its own service at the same time."""
    wanted = {name for name, block in PANELS.items() if only in (None, block)}
    open_asked = {"unit": query.unit, "value": query.value}
    resolution_asked = {"from": query.month_from, "to": query.month_to, "categories": query.categories}
    panels = await asyncio.gather(
        panel(open_asked, api.open_tickets(query.params("open")), open_tickets_view, csv_url("open", query))
        if "open" in wanted
        else not_shown(),
        panel(
            resolution_asked,
            api.resolution_time(query.params("resolution")),
            resolution_view,
            csv_url("resolution", query),
        )
        if "resolution" in wanted
        else not_shown(),
        panel({}, api.active_by_category(), category_view, csv_url("category", query))
        if "category" in wanted
        else not_shown(),
        panel({}, api.recurring_problems(), recurring_view, csv_url("recurring", query))
        if "recurring" in wanted
        else not_shown(),
        panel(
            resolution_asked,
            api.verified_fixes(query.params("verified")),
            verified_fixes_view,
            csv_url("verified", query),
        )
        if "verified" in wanted
        else not_shown(),
    )
    return dict(zip(PANELS, panels, strict=True))
