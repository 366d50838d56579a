"""Answers in JSON or CSV, and reading another service's JSON answer, for read-only endpoints."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import orjson
from fastapi import Header, Query
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError

from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.problems import BadGateway, ServiceUnavailable

Model = TypeVar("Model", bound=BaseModel)

# The same URL answers JSON or CSV depending on Accept, so caches must key on it.
_VARY = {"Vary": "Accept"}

# The two ways a read-only endpoint is asked for CSV (see `wants_csv`): as route parameters.
FormatQuery = Annotated[Literal["json", "csv"] | None, Query(alias="format", description="`csv` for a download.")]
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]

CSV_OR_JSON_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "The answer, as JSON or CSV."}
}


def json_answer(content: object) -> Response:
    """JSON of an answer built here; the route's `response_model` documents its shape.

    Serialising with orjson, without FastAPI re-validating our own output, keeps the
    per-request Python time small (analytics answers must come back in milliseconds).
    """
    return Response(orjson.dumps(content, option=orjson.OPT_UTC_Z), media_type="application/json", headers=_VARY)


def csv_answer(text: str, filename: str) -> Response:
    """A CSV download."""
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **_VARY},
    )


def wants_csv(format_: str | None, accept: str | None) -> bool:
    """`?format=csv` wins; otherwise an Accept header preferring text/csv over JSON."""
    if format_ is not None:
        return format_ == "csv"
    types = [part.split(";", 1)[0].strip().lower() for part in (accept or "").split(",")]
    if "text/csv" not in types:
        return False
    return "application/json" not in types or types.index("text/csv") < types.index("application/json")


async def fetch_json(client: UpstreamClient, path: str, model: type[Model], *, what: str, params: Any = None) -> Model:
    """GET `path` and parse it as `model`: 503 when the upstream fails, 502 when it answers nonsense."""
    response = await client.get(path, params=params)
    if response.status_code >= 500:
        raise ServiceUnavailable(f"The {client.name} could not answer right now ({response.status_code}).")
    if not response.is_success:
        raise BadGateway(f"The {client.name} refused the query for {what} ({response.status_code}).")
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise BadGateway(f"The {client.name} answered something that is not {what}.") from exc
