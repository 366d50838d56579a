"""The shared error shape: every failure is application/problem+json, never a bare 500."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from campusdesk_common.app_factory import new_service_app
from campusdesk_common.health import ReadinessCheck
from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.problems import Conflict, ServiceUnavailable


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


def _app(readiness: dict[str, ReadinessCheck] | None = None) -> FastAPI:
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(_: FastAPI):  # type: ignore[no-untyped-def]
        yield

    app = new_service_app(
        service="demo",
        title="demo",
        description="demo",
        lifespan=lifespan,
        readiness_checks=lambda _: readiness or {},
        max_body_bytes=1024,
    )

    @app.post("/echo")
    async def echo(body: Body) -> Body:
        return body

    @app.get("/conflict")
    async def conflict() -> None:
        raise Conflict("Only open tickets can be started.")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(), raise_app_exceptions=False), base_url="http://t")


async def test_problem_raised_by_a_handler(client: httpx.AsyncClient) -> None:
    response = await client.get("/conflict")
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://campusdesk.example/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "Only open tickets can be started.",
    }


async def test_validation_errors_name_the_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", json={"text": 5, "extra": 1})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert "text: Input should be a valid string" in body["detail"]
    assert "extra: Extra inputs are not permitted" in body["detail"]


async def test_invalid_json_is_a_422_problem(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_path_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/nowhere")
    assert response.status_code == 404
    assert response.json()["detail"] == "There is nothing at this address."


async def test_oversized_body_is_refused_with_413(client: httpx.AsyncClient) -> None:
    response = await client.post("/echo", json={"text": "x" * 2000})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"

    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 500

    streamed = await client.post("/echo", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


async def test_unexpected_error_is_a_problem_without_internals(client: httpx.AsyncClient) -> None:
    response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret" not in response.text


async def test_ready_reports_the_failing_dependency() -> None:
    async def down() -> str | None:
        return "connection refused"

    app = _app({"database": down})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.get("/ready")
        assert response.status_code == 503
        assert response.headers["retry-after"] == "2"
        assert response.json()["detail"] == "database is not reachable: connection refused"
        assert (await client.get("/health")).json() == {"status": "ok", "service": "demo"}


async def test_upstream_client_turns_connection_failures_into_503() -> None:
    attempts = 0

    def refuse(request: httpx.Request) -> httpx.Response:
        nonlocal attempts
        attempts += 1
        raise httpx.ConnectError("refused", request=request)

    upstream = UpstreamClient("ticket service", "http://ticket", retries=2, transport=httpx.MockTransport(refuse))
    with pytest.raises(ServiceUnavailable) as caught:
        await upstream.get("/tickets")
    assert caught.value.status == 503
    assert caught.value.headers == {"Retry-After": "2"}
    assert attempts == 3
    with pytest.raises(ServiceUnavailable):
        await upstream.request("POST", "/tickets", json={})
    assert attempts == 4  # a POST without an idempotency guarantee is not repeated
    assert await upstream.probe() == "ConnectError"
    await upstream.aclose()
