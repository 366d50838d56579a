"""The analytics_resolution_service app factory."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from analytics_resolution_service import routes, verified_fixes
from analytics_resolution_service.settings import Settings
from campusdesk_common.app_factory import new_ticket_reader_app


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the service; its client to the ticket service is created when it starts."""
    return new_ticket_reader_app(
        service="analytics_resolution_service",
        title="CampusDesk analytics: resolution time and verified fixes",
        description="Average (and median) resolution time of closed tickets by opening month, and verified "
        'fixes (what the reporters answered to "Is it fixed?", and follow-ups) by month of closure.',
        settings=settings or Settings(),
        router=_router(),
    )


def _router() -> APIRouter:
    """Resolution time and verified fixes: one service, two analyses."""
    router = APIRouter()
    router.include_router(routes.router)
    router.include_router(verified_fixes.router)
    return router
