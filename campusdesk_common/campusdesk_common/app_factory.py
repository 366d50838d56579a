"""The common wiring of every service's FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from campusdesk_common.health import ReadinessCheck, health_router
from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.logging import configure_logging
from campusdesk_common.middleware import BodySizeLimit
from campusdesk_common.problems import ProblemDetail, install_problem_handlers, problem_responses

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
    # Swagger UI is served from vendored files: FastAPI's default /docs and /redoc load it from a CDN.
    app = FastAPI(
        title=title, description=description, version="1.0.0", lifespan=lifespan, docs_url=None, redoc_url=None
    )
    _serve_api_docs(app, title)
    install_problem_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes)
    app.include_router(health_router(service, lambda: readiness_checks(app)))
    _document_problem_schema(app)
    return app


class TicketReaderSettings(Protocol):
    @property
    def ticket_service_url(self) -> str: ...
    @property
    def upstream_timeout(self) -> float: ...
    @property
    def log_level(self) -> str: ...


def new_ticket_reader_app(
    *, service: str, title: str, description: str, settings: TicketReaderSettings, router: APIRouter
) -> FastAPI:
    """A service whose one dependency is the ticket service's API (the analytics services).

    Its lifespan creates one client to the ticket service (`app.state.tickets`) and a clock
    (`app.state.clock`, which tests replace to check period and month boundaries); `/ready`
    probes the ticket service's own `/ready`.
    """
    configure_logging(service, settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.clock = lambda: datetime.now(UTC)
        app.state.tickets = UpstreamClient(
            "ticket service", settings.ticket_service_url, timeout=settings.upstream_timeout
        )
        try:
            yield
        finally:
            await app.state.tickets.aclose()

    app = new_service_app(
        service=service,
        title=title,
        description=description,
        lifespan=lifespan,
        readiness_checks=lambda app: {"ticket service": lambda: app.state.tickets.probe("/ready")},
    )
    app.include_router(router)
    return app


_DOCS_ASSETS = Path(__file__).with_name("docs_assets")


def _serve_api_docs(app: FastAPI, title: str) -> None:
    """Interactive API docs at /docs with Swagger UI from this package, not from a CDN."""
    app.mount("/docs-assets", StaticFiles(directory=_DOCS_ASSETS), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{title}: API docs",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="data:,",
        )


# What every operation may answer before the app sees the request (campusdesk_common.http_limits).
_SERVER_LIMIT_STATUSES = (408, 414, 431)


def _document_problem_schema(app: FastAPI) -> None:
    """Add ProblemDetail to the OpenAPI components so error responses can reference it, and
    document on every operation the answers of the server's request limits."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components.setdefault(
            "ProblemDetail", ProblemDetail.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        limits = {
            str(status): {key: value for key, value in answer.items() if key != "model"}
            for status, answer in problem_responses(*_SERVER_LIMIT_STATUSES).items()
        }
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                if not isinstance(operation, dict):
                    continue
                for status, answer in limits.items():
                    operation.setdefault("responses", {}).setdefault(status, answer)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
