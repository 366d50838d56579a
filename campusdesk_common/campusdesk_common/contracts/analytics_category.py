"""The analyses of analytics_category_service: active tickets by category, and recurring problems by place."""

from __future__ import annotations

from pydantic import BaseModel, Field

from campusdesk_common.contracts.common import Timestamp
from campusdesk_common.contracts.places import MAX_TICKET_IDS_PER_PLACE, Room
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


class RecurringPlace(BaseModel):
    """A room where tickets of one category keep coming: at least `min_tickets` of them in the window."""

    room: Room
    category: Category
    label: str = Field(description="The category's name for people.")
    count: int = Field(ge=1, description="Tickets of this category at this room opened in the window.")
    ticket_ids: list[int] = Field(
        description=f"Ids of the newest of those tickets, newest first: all of them up to {MAX_TICKET_IDS_PER_PLACE}, "
        f"else the newest {MAX_TICKET_IDS_PER_PLACE} (`count` is always exact)."
    )


class RecurringProblems(BaseModel):
    """Places with at least `min_tickets` tickets of the same category opened in `[since, until)`,
    the last `days` days; ordered by count (highest first), then building code, room code and category."""

    min_tickets: int = Field(ge=1)
    days: int = Field(ge=1)
    since: Timestamp
    until: Timestamp
    places: list[RecurringPlace]
