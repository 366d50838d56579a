"""Fixtures for the ticket API tests: the service in-process on each database, with a predictable classifier."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from ticket_service.classifier import Prediction
from ticket_service.main import create_app
from ticket_service.settings import Settings

USER = {"X-Role": "user"}
HELPDESK = {"X-Role": "helpdesk"}
PROBLEM = "application/problem+json"


class StubClassifier:
    """Keyword rules with fixed confidences, so tests can assert exact categories."""

    rules = (("wifi", "technical_it", 0.9), ("printer", "technical_it", 0.8), ("canteen", "services_complaints", 0.75))

    def predict(self, text: str) -> Prediction:
        folded = text.casefold()
        for word, category, confidence in self.rules:
            if word in folded:
                return Prediction(category, confidence)
        return Prediction("facility_management", 0.6)


class RecordingRetrainer:
    def __init__(self) -> None:
        self.corrections = 0

    async def correction_recorded(self) -> None:
        self.corrections += 1


@dataclass
class Api:
    """The ticket service in-process, plus shortcuts the tests share."""

    client: httpx.AsyncClient
    app: FastAPI
    retrainer: RecordingRetrainer
    # The private link token each ticket created by `create` came with, by ticket id.
    tokens: dict[int, str] = field(default_factory=dict)

    async def create(self, description: str = "The elevator in building B is stuck", **headers: str) -> dict[str, Any]:
        """A ticket reported by a `user`, as `GET /tickets/{id}` shows it (its private link kept in `tokens`)."""
        response = await self.client.post("/tickets", json={"description": description}, headers={**USER, **headers})
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        link = body.pop("private_link")
        self.tokens[body["id"]] = link["token"]
        return body

    async def patch(
        self, ticket_id: int, changes: Mapping[str, Any], role: str = "helpdesk", **headers: str
    ) -> httpx.Response:
        return await self.client.patch(f"/tickets/{ticket_id}", json=changes, headers={"X-Role": role, **headers})

    async def ticket_in(self, status: str, description: str = "The elevator in building B is stuck") -> dict[str, Any]:
        """A ticket moved to `status` through the allowed transitions."""
        ticket = await self.create(description)
        for step in ("active", "closed"):
            if ticket["status"] == status:
                break
            response = await self.patch(ticket["id"], {"status": step})
            assert response.status_code == 200, response.text
            ticket = response.json()
        assert ticket["status"] == status
        return ticket

    async def rows(self, sql: str, **params: Any) -> list[tuple[Any, ...]]:
        async with self.app.state.engine.connect() as connection:
            result = await connection.execute(text(sql), params)
            return [tuple(row) for row in result]

    async def count(self, table: str) -> int:
        return int((await self.rows(f"SELECT count(*) FROM {table}"))[0][0])


@pytest.fixture
async def api(database_url: str) -> AsyncIterator[Api]:
    app = create_app(Settings(database_url=database_url))
    async with app.router.lifespan_context(app):
        retrainer = RecordingRetrainer()
        app.state.classifier = StubClassifier()
        app.state.retrainer = retrainer
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ticket-service") as client:
            yield Api(client, app, retrainer)


def assert_problem(response: httpx.Response, status: int, *, detail_contains: str = "") -> dict[str, Any]:
    """An application/problem+json error with every member a client relies on."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://campusdesk.example/problems/")
    assert body["title"] and body["detail"]
    assert detail_contains in body["detail"], body["detail"]
    return body
