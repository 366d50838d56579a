"""The analytics services as the gateway uses them: their answers as contract models, their CSV as bytes.

The gateway does not check the parameters itself: each service owns its limits and
explains a refusal in its own 422 `detail` (raised here as `UpstreamRejected`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from campusdesk_common.contracts.analytics_category import ActiveByCategory, RecurringProblems
from campusdesk_common.contracts.analytics_open import OpenTickets, PeriodUnit
from campusdesk_common.contracts.analytics_resolution import ResolutionTime, VerifiedFixes
from campusdesk_common.http_client import UpstreamClient
from web_gateway.upstream import call, send

Analysis = Literal["open", "resolution", "category", "recurring", "verified"]
ANALYSES: tuple[Analysis, ...] = get_args(Analysis)
Params = list[tuple[str, str]]


def open_params(unit: str, value: str) -> Params:
    """`?hours=X` or `?days=X`; an unknown unit sends neither, so the service explains what it needs."""
    return [(unit, value)] if unit in get_args(PeriodUnit) else []


def resolution_params(month_from: str, month_to: str, categories: list[str]) -> Params:
    """The months and categories of the resolution-time and verified-fixes analyses."""
    params = [("from", month_from)] if month_from else []
    params += [("to", month_to)] if month_to else []
    return params + [("category", c) for c in categories]


@dataclass(frozen=True)
class AnalyticsApi:
    """One client per analytics service (created in the app's lifespan)."""

    open: UpstreamClient
    resolution: UpstreamClient
    category: UpstreamClient

    async def open_tickets(self, params: Params) -> OpenTickets:
        return await call(self.open, "GET", "/open-tickets", OpenTickets, params=params)

    async def resolution_time(self, params: Params) -> ResolutionTime:
        return await call(self.resolution, "GET", "/resolution-time", ResolutionTime, params=params)

    async def verified_fixes(self, params: Params) -> VerifiedFixes:
        return await call(self.resolution, "GET", "/verified-fixes", VerifiedFixes, params=params)

    async def active_by_category(self) -> ActiveByCategory:
        return await call(self.category, "GET", "/active-by-category", ActiveByCategory)

    async def recurring_problems(self) -> RecurringProblems:
        """Places with recurring problems, with the service's defaults."""
        return await call(self.category, "GET", "/recurring-problems", RecurringProblems)

    async def csv(self, analysis: Analysis, params: Params) -> bytes:
        """The service's own CSV download of an analysis."""
        client, path = {
            "open": (self.open, "/open-tickets"),
            "resolution": (self.resolution, "/resolution-time"),
            "category": (self.category, "/active-by-category"),
            "recurring": (self.category, "/recurring-problems"),
            "verified": (self.resolution, "/verified-fixes"),
        }[analysis]
        query = [("format", "csv"), *params]
        return (await send(client, "GET", path, params=query, headers={"Accept": "text/csv"})).content
