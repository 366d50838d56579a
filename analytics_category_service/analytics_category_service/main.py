"""The analytics_category_service app factory."""

from __future__ import annotations

from fastapi import FastAPI

from analytics_category_service.routes import router
from analytics_category_service.settings import Settings
from campusdesk_common.app_factory import new_ticket_reader_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; its client to the ticket service is created when it starts."""
    return new_ticket_reader_app(
        service="analytics_category_service",
        title="CampusDesk analytics: active tickets by category",
        description="How many tickets are being worked on (active) in each category.",
        settings=settings or Settings(),
        router=router,
    )
