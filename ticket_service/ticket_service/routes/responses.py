"""How the routes turn the service layer's values into HTTP answers (status, headers, JSON)."""

from __future__ import annotations

import json
from collections.abc import Mapping

import orjson
from fastapi import Response
from pydantic import BaseModel

from campusdesk_common.contracts.tickets import MessageRead, TicketRead
from ticket_service.idempotency import StoredResponse
from ticket_service.links import IssuedLink


def etag(version: int) -> str:
    return f'"{version}"'


def json_response(model: BaseModel, *, status_code: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """Serialise with pydantic-core directly: the model is valid already, FastAPI need not check it again."""
    return Response(model.model_dump_json(), status_code=status_code, headers=headers, media_type="application/json")


def many_cells_response(model: BaseModel) -> Response:
    """JSON of an answer with thousands of small cells (the `/stats` facts), the same bytes as `json_response`.

    `model_dump_json` calls the contract's Python timestamp serialiser once per cell; orjson writes
    the same ISO 8601 text ("+00:00") from the plain values several times faster.
    """
    return Response(orjson.dumps(model.model_dump()), media_type="application/json")


def ticket_response(ticket: TicketRead) -> Response:
    """A ticket with its ETag, for If-Match."""
    return json_response(ticket, headers={"ETag": etag(ticket.version)})


def created_ticket(ticket: TicketRead, link: IssuedLink | None) -> StoredResponse:
    """201 with Location and ETag; stored so that a retry with the same Idempotency-Key gets it again.

    The body is a `TicketCreated` whose private link is kept without its token (`links.revealer`).
    """
    body = {**ticket.model_dump(mode="json"), "private_link": None if link is None else link.stored()}
    return StoredResponse(201, compact_json(body), f"/tickets/{ticket.id}", {"ETag": etag(ticket.version)})


def created_link(link: IssuedLink) -> StoredResponse:
    """201 with a new `PrivateLink`, stored without its token (`links.revealer`)."""
    return StoredResponse(201, compact_json(link.stored()))


def compact_json(value: object) -> str:
    """JSON as pydantic writes it: no spaces, non-ASCII kept."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def created_message(message: MessageRead) -> StoredResponse:
    return StoredResponse(201, message.model_dump_json())
