"""The resolution-time analysis (analytics_resolution_service): its answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from campusdesk_common.vocabulary import Category


class MonthResolution(BaseModel):
    """Resolution figures of the tickets opened in one month."""

    month: str = Field(description="Opening month, YYYY-MM in UTC.", examples=["2026-03"])
    closed_tickets: int = Field(ge=0, description="Tickets opened this month that are closed now.")
    average_hours: float | None = Field(
        description="Exact mean of closed_at - opened_at in hours, rounded to 0.01; null when closed_tickets is 0."
    )
    median_hours: float | None = Field(
        description="Median in hours, estimated from a histogram (its error bound is `median_max_error`), "
        "rounded to 0.01; null when closed_tickets is 0."
    )


class ResolutionTime(BaseModel):
    """Average and median resolution time per opening month."""

    categories: list[Category] = Field(description="The categories counted.")
    median_max_error: float = Field(
        description="The largest relative error of `median_hours` against the exact median (0.05 = 5%)."
    )
    months: list[MonthResolution] = Field(description="Every month of the range, oldest first.")
