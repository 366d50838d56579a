"""The Analytics page: three analyses, each a panel with its parameters, chart, table and CSV link.

Each panel is loaded on its own, so an analytics service that is down (or that
refuses a parameter) only affects its own panel.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_gateway.analytics_views import PANELS, analytics_panels
from web_gateway.dependencies import AnalysisDep, AnalyticsApiDep, AnalyticsQueryDep, HelpdeskOnly
from web_gateway.templating import render, wants_fragment

router = APIRouter()


@router.get("/analytics", dependencies=[HelpdeskOnly])
async def analytics(request: Request, api: AnalyticsApiDep, query: AnalyticsQueryDep) -> Response:
    """Helpdesk: the three analyses with their parameters."""
    panels = await analytics_panels(api, query, only=wants_fragment(request, PANELS.values()))
    status = 422 if any(p.invalid for p in panels.values()) else 200
    return render(request, "analytics.html", panels, fragments=PANELS.values(), status=status)


@router.get("/analytics/{analysis}.csv", dependencies=[HelpdeskOnly])
async def analytics_csv(analysis: AnalysisDep, api: AnalyticsApiDep, query: AnalyticsQueryDep) -> Response:
    """Download an analysis as CSV (the analytics service's own CSV, passed through)."""
    content = await api.csv(analysis, query.params(analysis))
    disposition = f'attachment; filename="campusdesk-{analysis}.csv"'
    return Response(content, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": disposition})
