"""The analytics_open_service app factory."""

from __future__ import annotations

from fastapi import FastAPI

from analytics_open_service.routes import router
from analytics_open_service.settings import Settings
from campusdesk_common.app_factory import new_ticket_reader_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; its client to the ticket service is created when it starts."""
    return new_ticket_reader_app(
        service="analytics_open_service",
        title="CampusDesk analytics: open tickets",
        description="Tickets opened in the last X hours or days that are not yet closed.",
        settings=settings or Settings(),
        router=router,
    )
