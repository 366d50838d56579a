"""The ticket service's HTTP routes."""

from __future__ import annotations

from fastapi import FastAPI


def include_routes(app: FastAPI) -> None:
    """Attach every router of the service to `app`.

    Order matters: `/tickets/similar` must be matched before `/tickets/{ticket_id}`.
    """
    from ticket_service.routes import classification, messages, photos, places, stats, tickets

    app.include_router(classification.router)
    app.include_router(tickets.router)
    app.include_router(messages.router)
    app.include_router(stats.router)
    app.include_router(places.router)
    app.include_router(photos.router)
