"""`GET /health` (the process is alive) and `GET /ready` (its dependencies answer)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from campusdesk_common.problems import problem_response, problem_responses

ReadinessCheck = Callable[[], Awaitable[str | None]]
"""Returns None when the dependency is reachable, else a sentence saying what is wrong."""


class HealthStatus(BaseModel):
    status: str
    service: str


def health_router(service: str, readiness_checks: Callable[[], Mapping[str, ReadinessCheck]]) -> APIRouter:
    """Routes for liveness and readiness; each readiness check names one dependency.

    `readiness_checks` is called per request because the checks use objects
    (engines, clients) that exist only once the app's lifespan has started.
    """
    router = APIRouter(tags=["health"])

    @router.get("/health", response_model=HealthStatus)
    async def health() -> HealthStatus:
        """Liveness: the process is up and answering."""
        return HealthStatus(status="ok", service=service)

    @router.get("/ready", response_model=HealthStatus, responses=problem_responses(503))
    async def ready() -> HealthStatus | JSONResponse:
        """Readiness: every dependency of this service is reachable."""
        for name, check in readiness_checks().items():
            failure = await check()
            if failure is not None:
                return problem_response(503, f"{name} is not reachable: {failure}", headers={"Retry-After": "2"})
        return HealthStatus(status="ready", service=service)

    return router
