"""The analytics_open_service app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI

from analytics_open_service.routes import router
from analytics_open_service.settings import Settings
from campusdesk_common.app_factory import new_service_app
from campusdesk_common.health import ReadinessCheck
from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.logging import configure_logging


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; its client to the ticket service is created when it starts."""
    settings = settings or Settings()
    configure_logging("analytics_open_service", settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        # The service's notion of now; tests replace it to check period and month boundaries.
        app.state.clock = lambda: datetime.now(UTC)
        app.state.tickets = UpstreamClient(
            "ticket service", settings.ticket_service_url, timeout=settings.upstream_timeout
        )
        try:
            yield
        finally:
            await app.state.tickets.aclose()

    app = new_service_app(
        service="analytics_open_service",
        title="CampusDesk analytics: open tickets",
        description="Tickets opened in the last X hours or days that are not yet closed.",
        lifespan=lifespan,
        readiness_checks=_readiness_checks,
    )
    app.include_router(router)
    return app


def _readiness_checks(app: FastAPI) -> dict[str, ReadinessCheck]:
    return {"ticket service": lambda: app.state.tickets.probe("/ready")}
