"""A database that does not answer gives 503 problems; the OpenAPI docs describe every route and error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.ticket_service.conftest import HELPDESK, USER, Api, assert_problem
from ticket_service.main import create_app
from ticket_service.settings import Settings


@pytest.fixture
async def client_without_database() -> AsyncIterator[httpx.AsyncClient]:
    # Port 9 on loopback: nothing listens, so every connection is refused at once.
    app = create_app(Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:9/none", db_statement_timeout=1))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            yield client


async def test_every_route_answers_503_without_its_database(client_without_database: httpx.AsyncClient) -> None:
    client = client_without_database
    requests = [
        ("GET", "/tickets", None),
        ("POST", "/tickets", {"description": "Lift stuck"}),
        ("GET", "/tickets/1", None),
        ("PATCH", "/tickets/1", {"status": "active"}),
        ("GET", "/tickets/1/history", None),
        ("GET", "/tickets/1/messages", None),
        ("POST", "/tickets/1/messages", {"body": "hello"}),
    ]
    for method, url, body in requests:
        response = await client.request(method, url, json=body, headers=HELPDESK)
        assert_problem(response, 503, detail_contains="try again")
        assert response.headers["retry-after"] == "2"


async def test_openapi_documents_every_ticket_route(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    expected = {
        ("/tickets", "get"): {"400", "422", "503"},
        ("/tickets", "post"): {"400", "413", "422", "503"},
        ("/tickets/{ticket_id}", "get"): {"400", "404", "422", "503"},
        ("/tickets/{ticket_id}", "patch"): {"400", "403", "404", "409", "412", "413", "422", "503"},
        ("/tickets/{ticket_id}/history", "get"): {"400", "404", "422", "503"},
        ("/tickets/{ticket_id}/messages", "get"): {"400", "404", "422", "503"},
        ("/tickets/{ticket_id}/messages", "post"): {"400", "404", "409", "413", "422", "503"},
        ("/places/preview", "post"): {"400", "403", "413", "422", "503"},
        ("/places", "put"): {"400", "403", "413", "422", "503"},
        ("/photos", "post"): {"400", "413", "422", "503"},
        ("/photos/{photo_id}", "get"): {"400", "404", "422", "503"},
        ("/photos/{photo_id}/thumbnail", "get"): {"400", "404", "422", "503"},
    }
    for (path, method), errors in expected.items():
        operation = schema["paths"][path][method]
        assert operation["summary"] and operation["description"], (path, method)
        assert errors <= set(operation["responses"]), (path, method)
        for status in errors:
            assert "application/problem+json" in operation["responses"][status]["content"]
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        assert "x-role" in {h.lower() for h in headers}
    for path in ("/tickets", "/tickets/{ticket_id}/messages", "/photos"):
        headers = {p["name"] for p in schema["paths"][path]["post"]["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers
    for path in ("/places", "/places/rooms"):  # the directory is public: no role needed to read it
        assert {"summary", "description"} <= set(schema["paths"][path]["get"]), path
    photo_bytes = schema["paths"]["/photos/{photo_id}"]["get"]["responses"]["200"]["content"]
    assert set(photo_bytes) == {"image/jpeg", "image/png", "image/webp"}
    assert set(schema["paths"]["/photos"]["post"]["requestBody"]["content"]) == {"application/octet-stream", "image/*"}
    ticket = schema["components"]["schemas"]["TicketRead"]
    assert set(ticket["properties"]) == {
        "id",
        "description",
        "category",
        "category_confidence",
        "category_source",
        "status",
        "opened_at",
        "updated_at",
        "closed_at",
        "version",
        "message_count",
        "place",
        "photos",
        "affected_count",
        "follows_up",
        "followed_up_by",
        "email_updates",
    }
    assert ticket["properties"]["opened_at"] == {"type": "string", "format": "date-time", "title": "Opened At"}
    update = schema["components"]["schemas"]["TicketUpdate"]
    assert update["additionalProperties"] is False and update["minProperties"] == 1
    assert (await api.client.get("/docs")).status_code == 200


async def test_get_ticket_with_the_etag_it_returned(api: Api) -> None:
    ticket = await api.create()
    read = await api.client.get(f"/tickets/{ticket['id']}", headers=USER)
    response = await api.patch(ticket["id"], {"status": "active"}, **{"If-Match": read.headers["etag"]})
    assert response.status_code == 200
