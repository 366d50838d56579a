"""The analytics_resolution_service app factory."""

from __future__ import annotations

from fastapi import FastAPI

from analytics_resolution_service.routes import router
from analytics_resolution_service.settings import Settings
from campusdesk_common.app_factory import new_ticket_reader_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; its client to the ticket service is created when it starts."""
    return new_ticket_reader_app(
        service="analytics_resolution_service",
        title="CampusDesk analytics: resolution time",
        description="Average (and median) resolution time of closed tickets by opening month.",
        settings=settings or Settings(),
        router=router,
    )
