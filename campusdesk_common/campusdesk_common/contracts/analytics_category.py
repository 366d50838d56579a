"""The active-by-category analysis (analytics_category_service): its answer."""

from __future__ import annotations

from pydantic import BaseModel, Field

from campusdesk_common.vocabulary import Category


class CategoryCount(BaseModel):
    """Active tickets of one category."""

    category: Category
    label: str = Field(description="The category's name for people.")
    active: int = Field(ge=0, description="Tickets of this category whose status is active.")


class ActiveByCategory(BaseModel):
    """Active tickets per category, every category in the fixed order."""

    categories: list[CategoryCount] = Field(
        description="All three categories, always in this order: facility_management, technical_it, "
        "services_complaints."
    )
    total_active: int = Field(ge=0)
