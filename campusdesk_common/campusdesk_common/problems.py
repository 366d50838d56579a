"""RFC 9457 problem details: one error shape for every CampusDesk API.

Services raise `Problem` subclasses; `install_problem_handlers` turns those,
HTTP errors, validation errors and anything unexpected into
`application/problem+json` responses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://campusdesk.example/problems/"

logger = logging.getLogger(__name__)

_TITLES = {
    400: "Bad request",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    408: "Request timeout (a request head or body that stalls)",
    409: "Conflict",
    412: "Precondition failed",
    413: "Payload too large",
    414: "URI too long (a request line over 8 KiB)",
    415: "Unsupported media type",
    422: "Invalid request",
    428: "Precondition required",
    431: "Request header fields too large (over 32 KiB or 100 fields)",
    500: "Internal error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


class ProblemDetail(BaseModel):
    """The body of every error response (RFC 9457)."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, Any]] | None = None


class Problem(Exception):
    """An error a client can act on; rendered as problem+json."""

    status: int = 400
    slug: str = "bad-request"

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        slug: str | None = None,
        headers: Mapping[str, str] | None = None,
        errors: Sequence[Mapping[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if slug is not None:
            self.slug = slug
        self.headers = dict(headers or {})
        self.errors = [dict(e) for e in errors] if errors is not None else None


class BadRequest(Problem):
    status, slug = 400, "bad-request"


class NotFound(Problem):
    status, slug = 404, "not-found"


class Forbidden(Problem):
    status, slug = 403, "forbidden"


class Conflict(Problem):
    status, slug = 409, "conflict"


class PreconditionFailed(Problem):
    status, slug = 412, "precondition-failed"


class PayloadTooLarge(Problem):
    status, slug = 413, "payload-too-large"


class InvalidInput(Problem):
    status, slug = 422, "invalid-input"


class ServiceUnavailable(Problem):
    """A dependency (database, upstream service) cannot be reached right now."""

    status, slug = 503, "service-unavailable"

    def __init__(self, detail: str, *, retry_after: int = 2) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class BadGateway(Problem):
    status, slug = 502, "bad-gateway"


def problem_body(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
) -> ProblemDetail:
    """The problem details of an error: its type is a slug under PROBLEM_TYPE_BASE."""
    return ProblemDetail(
        type=PROBLEM_TYPE_BASE + (slug or _slugify(title or _TITLES.get(status, "error"))),
        title=title or _TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        errors=None if errors is None else [dict(error) for error in errors],
    )


def problem_response(
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    headers: Mapping[str, str] | None = None,
    errors: Sequence[Mapping[str, Any]] | None = None,
) -> JSONResponse:
    """Build a problem+json response."""
    body = problem_body(status, detail, slug=slug, title=title, errors=errors).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_MEDIA_TYPE)


def _slugify(text: str) -> str:
    return "-".join(text.lower().split())


def describe_validation_errors(errors: Sequence[Any]) -> tuple[str, list[dict[str, Any]]]:
    """Turn pydantic errors into one readable sentence plus a JSON-safe list."""
    cleaned: list[dict[str, Any]] = []
    parts: list[str] = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        where = ".".join(p for p in loc if p not in ("body",)) or "body"
        message = str(err.get("msg", "is invalid"))
        cleaned.append({"location": loc, "message": message, "type": str(err.get("type", ""))})
        parts.append(f"{where}: {message}")
    return "; ".join(parts) or "The request is invalid.", cleaned


def install_problem_handlers(app: FastAPI) -> None:
    """Make every error of `app` an application/problem+json response."""

    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, slug=exc.slug, headers=exc.headers, errors=exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail, errors = describe_validation_errors(exc.errors())
        return problem_response(422, detail, slug="invalid-input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "Error")
        if exc.status_code == 404 and detail == "Not Found":
            detail = "There is nothing at this address."
        return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(500, "Something went wrong on our side; the error has been logged.")


# Reusable OpenAPI documentation of error responses.
def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json errors."""
    return {
        status: {
            "model": ProblemDetail,
            "description": _TITLES.get(status, "Error"),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetail"}}},
        }
        for status in statuses
    }
