"""The ticket service's app factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy import text

from campusdesk_common.app_factory import DEFAULT_MAX_BODY_BYTES, new_service_app
from campusdesk_common.health import ReadinessCheck
from campusdesk_common.logging import configure_logging
from ticket_service.body_limits import LARGEST_BODY_BYTES, RouteBodyLimits
from ticket_service.classifier import load_classifier
from ticket_service.classifier.retraining import Retrainer
from ticket_service.classifier.similarity import stop_similar_tickets
from ticket_service.classifier.storage import ModelStore
from ticket_service.classifier.watcher import ModelWatcher
from ticket_service.classifier.workers import ModelWorkers
from ticket_service.database import create_engine
from ticket_service.mail.sender import start_sender
from ticket_service.settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the ticket service; the engine and classifier are created when it starts."""
    settings = settings or Settings()
    configure_logging("ticket_service", settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.engine = create_engine(
            settings.database_url, pool_size=settings.db_pool_size, statement_timeout=settings.db_statement_timeout
        )
        app.state.model_workers = ModelWorkers(settings.model_threads)
        store = app.state.model_store = ModelStore(settings.database_url)
        app.state.classifier = await asyncio.to_thread(load_classifier, store)
        app.state.retrainer = Retrainer(app.state.classifier, store)
        watcher = ModelWatcher(store, lambda: app.state.classifier, lambda new: setattr(app.state, "classifier", new))
        watcher.start()
        # E-mail updates only with SMTP_URL; without it the option is hidden and nothing is queued.
        app.state.mail_enabled = settings.smtp_url is not None
        mail_sender = await start_sender(app) if app.state.mail_enabled else None
        app.state.mail_sender = mail_sender
        try:
            yield
        finally:
            if mail_sender is not None:
                await mail_sender.stop()
            await watcher.stop()
            await stop_similar_tickets(app)
            app.state.model_workers.shutdown()
            store.dispose()
            await app.state.engine.dispose()

    app = new_service_app(
        service="ticket_service",
        title="CampusDesk ticket service",
        description="Tickets, their message threads and history, and the aggregates analytics needs. "
        "Every `/tickets` request carries `X-Role: user` or `X-Role: helpdesk`.",
        lifespan=lifespan,
        readiness_checks=_readiness_checks,
        max_body_bytes=LARGEST_BODY_BYTES,
    )
    app.add_middleware(RouteBodyLimits, default_bytes=DEFAULT_MAX_BODY_BYTES)
    from ticket_service.routes import include_routes

    include_routes(app)
    from ticket_service.routes import links as link_routes

    app.include_router(link_routes.router)  # private links (issue 14)
    from ticket_service.routes import email_updates

    app.include_router(email_updates.router)
    return app


def _readiness_checks(app: FastAPI) -> dict[str, ReadinessCheck]:
    async def database() -> str | None:
        try:
            async with app.state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not ready"
            return type(exc).__name__
        return None

    return {"database": database}
