"""The service's answer, and the ticket service's aggregate it is computed from."""

from __future__ import annotations

from pydantic import BaseModel, Field


class MonthRead(BaseModel):
    month: str = Field(description="Opening month, YYYY-MM in UTC.", examples=["2026-03"])
    closed_tickets: int = Field(description="Tickets opened this month that are closed now.")
    average_hours: float | None = Field(
        description="Exact mean of closed_at - opened_at in hours, rounded to 0.01; null when closed_tickets is 0."
    )
    median_hours: float | None = Field(
        description="Median in hours from a log-spaced histogram: within 5% of the exact median, rounded to 0.01; "
        "null when closed_tickets is 0."
    )


class ResolutionTime(BaseModel):
    months: list[MonthRead] = Field(description="Every month of the range, oldest first.")


class UpstreamMonth(BaseModel):
    month: str
    closed_count: int
    total_resolution_seconds: float
    median_resolution_seconds: float


class UpstreamResolutionMonthly(BaseModel):
    """`GET /stats/resolution-monthly` of the ticket service."""

    months: list[UpstreamMonth]
