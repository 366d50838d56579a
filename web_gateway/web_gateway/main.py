"""The web gateway's app factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware import Middleware

from campusdesk_common.app_factory import new_service_app
from campusdesk_common.health import ReadinessCheck
from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.logging import configure_logging
from web_gateway.body_limits import LARGEST_BODY_BYTES, RouteBodyLimits
from web_gateway.errors import install_page_error_handlers
from web_gateway.private_paths import redact_logs
from web_gateway.rate_limit import limiters
from web_gateway.routes import include_routes
from web_gateway.security import FormEncodingCheck, SecurityHeaders, load_secret
from web_gateway.settings import Settings
from web_gateway.upstream import Recovery


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the gateway; its clients to the other services are created when it starts."""
    settings = settings or Settings()
    configure_logging("web_gateway", settings.log_level)
    redact_logs()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        timeout = settings.upstream_timeout
        app.state.tickets = UpstreamClient("ticket service", settings.ticket_service_url, timeout=timeout)
        app.state.analytics_open = UpstreamClient(
            "open-tickets analytics", settings.analytics_open_service_url, timeout=timeout
        )
        app.state.analytics_resolution = UpstreamClient(
            "resolution-time analytics", settings.analytics_resolution_service_url, timeout=timeout
        )
        app.state.analytics_category = UpstreamClient(
            "category analytics", settings.analytics_category_service_url, timeout=timeout
        )
        try:
            yield
        finally:
            for client in (
                app.state.tickets,
                app.state.analytics_open,
                app.state.analytics_resolution,
                app.state.analytics_category,
            ):
                await client.aclose()

    app = new_service_app(
        service="web_gateway",
        title="CampusDesk web gateway",
        description="The pages of CampusDesk (HTML, enhanced with htmx).",
        lifespan=lifespan,
        readiness_checks=_readiness_checks,
        # The largest body any route takes; RouteBodyLimits (outside it) holds each route to its own.
        max_body_bytes=LARGEST_BODY_BYTES,
    )
    # Read once at start-up (not per request) so every worker signs with the same key.
    app.state.secret = load_secret(settings)
    app.state.settings = settings
    app.state.rate_limits = limiters(settings)
    app.state.recovery = Recovery(attempts=settings.write_recovery_attempts, budget=settings.write_recovery_seconds)
    install_page_error_handlers(app)
    # Innermost, so the size limit (added by new_service_app) bounds the body it reads.
    app.user_middleware.append(Middleware(FormEncodingCheck))
    app.add_middleware(RouteBodyLimits)
    app.add_middleware(SecurityHeaders, secure_cookies=settings.secure_cookies)
    include_routes(app)
    return app


def _readiness_checks(app: FastAPI) -> dict[str, ReadinessCheck]:
    # The gateway is useful as long as tickets work; analytics outages only blank their panel.
    return {"ticket service": lambda: app.state.tickets.probe("/ready")}
