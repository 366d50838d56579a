"""The gateway's pages."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from web_gateway.routes import analytics, explanations, pages, places, private_links, tickets

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def include_routes(app: FastAPI) -> None:
    """Attach every page router and the static files to `app`."""
    app.include_router(pages.router, include_in_schema=True)
    app.include_router(tickets.router)
    app.include_router(private_links.router)
    app.include_router(explanations.router)
    app.include_router(analytics.router)
    app.include_router(places.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
