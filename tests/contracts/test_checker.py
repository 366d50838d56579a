"""The contract checks can fail: a drifted model, a provider declaring it, and answers of the wrong shape."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, create_model

from campusdesk_common.contracts.tickets import TicketPage, TicketRead
from tests.contracts.schemas import closed, drift, live_response_schema, matching_operation, model_schema, violations

REAL_TICKET = {
    "id": 7,
    "description": "The WiFi in the library drops",
    "category": "technical_it",
    "category_confidence": 0.91,
    "category_source": "auto",
    "status": "open",
    "opened_at": "2026-03-10T12:00:00+00:00",
    "updated_at": "2026-03-10T12:00:00+00:00",
    "closed_at": None,
    "version": 1,
    "message_count": 0,
}


def _renamed(model: type[BaseModel], old: str, new: str) -> type[BaseModel]:
    """A copy of `model` (same name) with one field renamed: the drift a provider could introduce."""
    fields: dict[str, Any] = {
        (new if name == old else name): (info.annotation, info) for name, info in model.model_fields.items()
    }
    drifted: type[BaseModel] = create_model(model.__name__, __doc__=model.__doc__, **fields)
    return drifted


def _document_of_a_provider_answering(model: type[BaseModel]) -> dict[str, Any]:
    app = FastAPI()

    @app.get("/tickets/{ticket_id}", response_model=model)
    def get_ticket(ticket_id: int) -> None: ...

    return app.openapi()


def test_a_renamed_field_in_the_provider_is_reported() -> None:
    document = _document_of_a_provider_answering(_renamed(TicketRead, "status", "state"))
    live = live_response_schema(document, ("GET", "/tickets/{ticket_id}"), 200)
    differences = drift(live, model_schema(TicketRead))
    assert any(line.startswith("$.properties.state: the provider has") for line in differences), differences
    assert any(line.startswith("$.properties.status: the provider does not have") for line in differences)
    assert any(line.startswith("$.required") for line in differences)


def test_the_same_model_in_the_provider_is_no_drift() -> None:
    document = _document_of_a_provider_answering(TicketRead)
    assert drift(live_response_schema(document, ("GET", "/tickets/{ticket_id}"), 200), model_schema(TicketRead)) == []


def test_a_nested_change_is_reported_with_its_path() -> None:
    differences = drift(model_schema(_renamed(TicketPage, "next_cursor", "cursor")), model_schema(TicketPage))
    assert "$.properties.cursor: the provider has" in differences[0]
    nested = model_schema(TicketPage)
    nested["properties"]["items"]["items"]["properties"]["version"]["type"] = "string"
    assert drift(nested, model_schema(TicketPage)) == [
        "$.properties.items.items.properties.version.type: the provider has 'string', the contract has 'integer'"
    ]


def test_an_answer_with_a_renamed_an_unknown_or_a_missing_key_is_refused() -> None:
    schema = closed(model_schema(TicketRead))
    assert violations(REAL_TICKET, schema) == []
    renamed = {("state" if key == "status" else key): value for key, value in REAL_TICKET.items()}
    assert violations(renamed, schema) == [
        "$: 'status' is a required property",
        "$: Additional properties are not allowed ('state' was unexpected)",
    ]
    assert violations({**REAL_TICKET, "updated_at": "soon"}, schema) == ["$.updated_at: 'soon' is not a 'date-time'"]
    assert violations({**REAL_TICKET, "opened_at": "2026-03-10T12:00:00"}, schema), "a time without offset"
    assert violations({**REAL_TICKET, "status": "In progress"}, schema)


def test_requests_match_the_most_literal_template() -> None:
    operations = {("GET", "/tickets/{ticket_id}"), ("GET", "/tickets/similar"), ("GET", "/tickets")}
    assert matching_operation(operations, "get", "/tickets/similar") == ("GET", "/tickets/similar")
    assert matching_operation(operations, "GET", "/tickets/12") == ("GET", "/tickets/{ticket_id}")
    assert matching_operation(operations, "POST", "/tickets/12") is None
