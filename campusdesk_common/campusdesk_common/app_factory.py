"""The common wiring of every service's FastAPI app."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

from fastapi import FastAPI

from campusdesk_common.health import ReadinessCheck, health_router
from campusdesk_common.middleware import BodySizeLimit
from campusdesk_common.problems import ProblemDetail, install_problem_handlers

DEFAULT_MAX_BODY_BYTES = 64 * 1024


def new_service_app(
    *,
    service: str,
    title: str,
    description: str,
    lifespan: Callable[[FastAPI], AbstractAsyncContextManager[Any]],
    readiness_checks: Callable[[FastAPI], dict[str, ReadinessCheck]],
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
) -> FastAPI:
    """A FastAPI app with problem+json errors, a body size limit, /health and /ready.

    `readiness_checks` is called with the app so checks can reach objects the
    lifespan stores on `app.state`.
    """
    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.include_router(health_router(service, lambda: readiness_checks(app)))
    _document_problem_schema(app)
    return app


def _document_problem_schema(app: FastAPI) -> None:
    """Add ProblemDetail to the OpenAPI components so error responses can reference it."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            "ProblemDetail", ProblemDetail.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
