"""The gateway in-process with its upstreams replaced by in-memory fakes built from the contract models."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from campusdesk_common.http_client import UpstreamClient
from tests.web_gateway.fakes import FakeAnalytics, FakeTicketService
from web_gateway.main import create_app
from web_gateway.settings import Settings

TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


class Browser:
    """An httpx client that behaves like a browser without JavaScript: cookies, forms with the CSRF token."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.token = ""

    async def get(self, url: str, **kwargs: object) -> httpx.Response:
        response = await self.client.get(url, **kwargs)  # type: ignore[arg-type]
        found = TOKEN.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    async def post(self, url: str, data: dict[str, str] | None = None, **kwargs: object) -> httpx.Response:
        if not self.token:
            await self.get("/")
        form = {"csrf_token": self.token, **(data or {})}
        return await self.client.post(url, data=form, **kwargs)  # type: ignore[arg-type]

    async def choose(self, role: str) -> None:
        response = await self.post("/role", {"role": role})
        assert response.status_code == 303


@pytest.fixture
def fake_tickets() -> FakeTicketService:
    return FakeTicketService()


@pytest.fixture
def fake_analytics() -> FakeAnalytics:
    return FakeAnalytics()


@pytest.fixture
def gateway_settings() -> dict[str, Any]:
    """Settings of the gateway under test beyond its secret (a test module overrides this fixture)."""
    return {}


@pytest.fixture
async def gateway(
    fake_tickets: FakeTicketService, fake_analytics: FakeAnalytics, tmp_path: Path, gateway_settings: dict[str, Any]
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(Settings(secret_key="unit-test-secret", var_dir=tmp_path, **gateway_settings))
    async with app.router.lifespan_context(app):
        for name in ("tickets", "analytics_open", "analytics_resolution", "analytics_category"):
            await getattr(app.state, name).aclose()
        app.state.tickets = UpstreamClient(
            "ticket service", "http://tickets", transport=httpx.MockTransport(fake_tickets.handler)
        )
        for name in ("analytics_open", "analytics_resolution", "analytics_category"):
            setattr(
                app.state,
                name,
                UpstreamClient(name, "http://analytics", transport=httpx.MockTransport(fake_analytics.handler)),
            )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


@pytest.fixture
def browser(gateway: httpx.AsyncClient) -> Browser:
    return Browser(gateway)


@pytest.fixture
async def user(browser: Browser) -> Browser:
    await browser.choose("user")
    return browser


@pytest.fixture
async def helpdesk(browser: Browser) -> Browser:
    await browser.choose("helpdesk")
    return browser
