"""The service's answer, and the ticket service's aggregate it is computed from."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CategoryRead(BaseModel):
    category: Literal["facility_management", "technical_it", "services_complaints"]
    label: str = Field(description="The category's name for people.")
    active: int = Field(description="Tickets of this category whose status is active.")


class ActiveByCategory(BaseModel):
    categories: list[CategoryRead] = Field(
        description="All three categories, always in this order: facility_management, technical_it, "
        "services_complaints."
    )
    total_active: int


class UpstreamActiveByCategory(BaseModel):
    """`GET /stats/active-by-category` of the ticket service."""

    active: dict[str, int]
