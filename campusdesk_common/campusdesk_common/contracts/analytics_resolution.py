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


class FixFigures(BaseModel):
    """What the people holding private links said about tickets closed in one month."""

    closed: int = Field(ge=0, description="Tickets closed in the month (UTC).")
    answered: int = Field(ge=0, description='Of `closed`: tickets with at least one answer to "Is it fixed?".')
    confirmed_fixed: int = Field(
        ge=0, description='Of `answered`: tickets every answer of which is "Yes, it\'s fixed" (none "Still broken").'
    )
    share_fixed: float | None = Field(
        ge=0,
        le=1,
        description="confirmed_fixed / answered, rounded to 0.001 (0.75 = 75%); null when no ticket was answered.",
    )
    followed_up: int = Field(
        ge=0, description="Of `closed`: tickets with a follow-up ticket filed within `follow_up_days` of closure."
    )


class CategoryFixes(FixFigures):
    """One category's figures in one month."""

    category: Category


class MonthFixes(BaseModel):
    """Verified fixes of the tickets closed in one month, per category and in total."""

    month: str = Field(description="Closing month, YYYY-MM in UTC.", examples=["2026-03"])
    categories: list[CategoryFixes] = Field(description="Every category asked, in the fixed order, zeros included.")
    total: FixFigures = Field(description="The categories asked, together.")


class VerifiedFixes(BaseModel):
    """Per month of closure and category: the share of answered tickets confirmed fixed, and follow-ups."""

    categories: list[Category] = Field(description="The categories counted.")
    follow_up_days: int = Field(description="A follow-up counts when filed at most this many days after closure.")
    months: list[MonthFixes] = Field(description="Every month of the range, oldest first.")
