"""Every service has the same shape: create_app(), /health, /ready, and OpenAPI docs."""

from __future__ import annotations

import importlib

import httpx
import pytest

ANALYTICS_AND_GATEWAY = [
    "analytics_open_service",
    "analytics_resolution_service",
    "analytics_category_service",
    "web_gateway",
]


@pytest.mark.parametrize("service", ANALYTICS_AND_GATEWAY)
async def test_health_docs_and_ready_when_the_ticket_service_is_down(service: str) -> None:
    main = importlib.import_module(f"{service}.main")
    settings_module = importlib.import_module(f"{service}.settings")
    # Port 9 (discard) on loopback: nothing listens, so the ticket service is "down".
    settings = settings_module.Settings(ticket_service_url="http://127.0.0.1:9")
    app = main.create_app(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
            assert (await client.get("/health")).json() == {"status": "ok", "service": service}
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert ready.headers["content-type"] == "application/problem+json"
            assert ready.json()["detail"].startswith("ticket service is not reachable")
            openapi = (await client.get("/openapi.json")).json()
            assert openapi["info"]["title"].startswith("CampusDesk")
            assert "/health" in openapi["paths"]
            await _assert_docs_work_offline(client)


async def _assert_docs_work_offline(client: httpx.AsyncClient) -> None:
    """Swagger UI comes from the service itself: the page names no CDN and its files are served."""
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert "cdn." not in docs.text
    script = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert (await client.get("/docs-assets/swagger-ui.css")).headers["content-type"].startswith("text/css")
    assert (await client.get("/redoc")).status_code == 404


async def test_ticket_service_is_ready_on_each_database(ticket_client: httpx.AsyncClient) -> None:
    assert (await ticket_client.get("/health")).json() == {"status": "ok", "service": "ticket_service"}
    assert (await ticket_client.get("/ready")).json() == {"status": "ready", "service": "ticket_service"}
    await _assert_docs_work_offline(ticket_client)


async def test_ticket_service_not_ready_without_its_database(tmp_path: object) -> None:
    from ticket_service.main import create_app
    from ticket_service.settings import Settings

    app = create_app(Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:9/none", db_statement_timeout=1))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://s") as client:
            ready = await client.get("/ready")
            assert ready.status_code == 503
            assert ready.json()["detail"].startswith("database is not reachable")
