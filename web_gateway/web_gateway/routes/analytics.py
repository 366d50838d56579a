"""The Analytics page: three analyses, each a panel with its parameters, chart, table and CSV link.

Each panel is loaded on its own, so an analytics service that is down only
blanks its own panel.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.problems import ServiceUnavailable
from web_gateway.charts import BarChart, bar_chart
from web_gateway.dependencies import HelpdeskDep
from web_gateway.rendering import CATEGORY_LABELS, PageError, render, wants_fragment
from web_gateway.upstream import problem_detail

router = APIRouter()

PANELS = ["open-panel", "resolution-panel", "category-panel"]
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
PERIOD_LIMITS = {"hours": 8760, "days": 3650}


@dataclass
class Panel:
    """The state of one analysis panel."""

    params: dict[str, Any]
    data: dict[str, Any] | None = None
    error: str | None = None
    invalid: bool = False
    chart: BarChart | None = None
    csv_url: str = ""
    rows: list[Any] = field(default_factory=list)


async def _fetch(
    client: UpstreamClient, path: str, params: list[tuple[str, str]]
) -> tuple[dict[str, Any] | None, str | None, bool]:
    """(data, error sentence, error is the person's input)."""
    try:
        response = await client.get(path, params=params)
    except ServiceUnavailable as exc:
        return None, f"This analysis is unavailable right now: {exc.detail}", False
    if response.status_code in (400, 422):
        return None, problem_detail(response), True
    if not response.is_success:
        return None, f"This analysis is unavailable right now (the service answered {response.status_code}).", False
    return dict(response.json()), None, False


def _open_params(unit: str, value: str) -> tuple[list[tuple[str, str]], str | None]:
    if unit not in PERIOD_LIMITS:
        return [], "Choose hours or days."
    if not (value.strip().isascii() and value.strip().isdigit()) or not 1 <= int(value) <= PERIOD_LIMITS[unit]:
        return [], f"The period must be a whole number of {unit} from 1 to {PERIOD_LIMITS[unit]:,}."
    return [(unit, str(int(value)))], None


async def _open_panel(request: Request, unit: str, value: str) -> Panel:
    panel = Panel(params={"unit": unit, "value": value})
    params, error = _open_params(unit, value)
    if error:
        panel.error, panel.invalid = error, True
        return panel
    panel.csv_url = "/analytics/open.csv?" + urlencode({"unit": unit, "value": value})
    panel.data, panel.error, panel.invalid = await _fetch(request.app.state.analytics_open, "/open-tickets", params)
    if panel.data:
        bucket_unit = "hour" if panel.data.get("period", {}).get("unit") == "hours" and int(value) <= 72 else "day"
        points: list[tuple[str, float | None]] = []
        for bucket in panel.data.get("series", []):
            start = str(bucket["start"])
            label = start[5:16].replace("T", " ") if bucket_unit == "hour" else start[:10]
            points.append((label, float(bucket["count"])))
        panel.rows = points
        panel.chart = bar_chart(
            "Tickets opened in the period and not yet closed",
            f"{panel.data.get('count', 0)} tickets in the last {value} {unit}, by {bucket_unit} of opening (UTC).",
            "tickets",
            points,
        )
    return panel


async def _resolution_panel(request: Request, month_from: str, month_to: str, categories: list[str]) -> Panel:
    panel = Panel(params={"from": month_from, "to": month_to, "categories": categories})
    for month in (month_from, month_to):
        if month and not MONTH.match(month):
            panel.error, panel.invalid = f"{month!r} is not a month: write it as YYYY-MM (for example 2025-03).", True
            return panel
    unknown = [c for c in categories if c not in CATEGORY_LABELS]
    if unknown:
        panel.error, panel.invalid = f"Unknown category {unknown[0]!r}.", True
        return panel
    params = [("from", month_from)] if month_from else []
    params += [("to", month_to)] if month_to else []
    params += [("category", c) for c in categories]
    panel.csv_url = "/analytics/resolution.csv?" + urlencode(params)
    panel.data, panel.error, panel.invalid = await _fetch(
        request.app.state.analytics_resolution, "/resolution-time", params
    )
    if panel.data:
        months = panel.data.get("months", [])
        panel.rows = months
        panel.chart = bar_chart(
            "Average resolution time by opening month",
            "Average hours from opening to closing of the tickets opened each month (UTC).",
            "hours",
            [(m["month"], m.get("average_hours")) for m in months],
            unit=" h",
        )
    return panel


async def _category_panel(request: Request) -> Panel:
    panel = Panel(params={}, csv_url="/analytics/category.csv")
    panel.data, panel.error, panel.invalid = await _fetch(
        request.app.state.analytics_category, "/active-by-category", []
    )
    if panel.data:
        categories = panel.data.get("categories", [])
        panel.rows = categories
        panel.chart = bar_chart(
            "Active tickets per category",
            f"{panel.data.get('total_active', 0)} tickets are being worked on now.",
            "tickets",
            [
                (c.get("label") or CATEGORY_LABELS.get(c["category"], c["category"]), float(c["active"]))
                for c in categories
            ],
        )
    return panel


@router.get("/analytics")
async def analytics(
    request: Request,
    role: HelpdeskDep,
    unit: Annotated[str, Query(max_length=10)] = "days",
    value: Annotated[str, Query(max_length=12)] = "7",
    month_from: Annotated[str, Query(alias="from", max_length=12)] = "",
    month_to: Annotated[str, Query(alias="to", max_length=12)] = "",
    category: Annotated[list[str] | None, Query(max_length=40)] = None,
) -> Response:
    """Helpdesk: the three analyses with their parameters."""
    categories = category or []
    only = wants_fragment(request, PANELS)
    empty = Panel(params={})
    open_panel, resolution_panel, category_panel = await asyncio.gather(
        _open_panel(request, unit, value) if only in (None, "open-panel") else _none(empty),
        _resolution_panel(request, month_from, month_to, categories)
        if only in (None, "resolution-panel")
        else _none(empty),
        _category_panel(request) if only in (None, "category-panel") else _none(empty),
    )
    panels = (open_panel, resolution_panel, category_panel)
    status = 422 if any(p.invalid for p in panels) else 200
    context = {
        "open": open_panel,
        "resolution": resolution_panel,
        "category": category_panel,
        "categories": CATEGORY_LABELS,
    }
    return render(request, "analytics.html", context, fragments=PANELS, status=status)


async def _none(panel: Panel) -> Panel:
    return panel


CSV_SOURCES = {
    "open": ("analytics_open", "/open-tickets"),
    "resolution": ("analytics_resolution", "/resolution-time"),
    "category": ("analytics_category", "/active-by-category"),
}


@router.get("/analytics/{analysis}.csv")
async def analytics_csv(request: Request, analysis: str, role: HelpdeskDep) -> Response:
    """Download an analysis as CSV (the analytics service's own CSV, passed through)."""
    if analysis not in CSV_SOURCES:
        raise PageError(404, "Page not found", "There is no such analysis.")
    client_name, path = CSV_SOURCES[analysis]
    params: list[tuple[str, str]] = [("format", "csv")]
    query = request.query_params
    if analysis == "open":
        period, error = _open_params(query.get("unit", ""), query.get("value", ""))
        if error:
            raise PageError(422, "Please check the period", error)
        params += period
    elif analysis == "resolution":
        params += [(k, v) for k, v in query.multi_items() if k in ("from", "to", "category")]
    client: UpstreamClient = getattr(request.app.state, client_name)
    try:
        response: httpx.Response = await client.get(path, params=params, headers={"Accept": "text/csv"})
    except ServiceUnavailable as exc:
        raise PageError(503, "Analysis unavailable", exc.detail) from exc
    if response.status_code in (400, 422):
        raise PageError(422, "Please check the parameters", problem_detail(response))
    if not response.is_success:
        raise PageError(502, "Analysis unavailable", f"The analytics service answered {response.status_code}.")
    return Response(
        response.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="campusdesk-{analysis}.csv"'},
    )
