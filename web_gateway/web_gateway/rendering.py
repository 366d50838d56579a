"""Rendering pages and their named fragments, and turning errors into readable pages.

A route returns the whole page, or only the named block whose id htmx names in
`HX-Target` when the page allows that block as a fragment.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks
from markupsafe import Markup
from starlette.exceptions import HTTPException as StarletteHTTPException

from campusdesk_common.problems import Problem
from web_gateway.security import ROLE_LABELS, csrf_token, current_role
from web_gateway.upstream import UpstreamError

TEMPLATES_DIR = Path(__file__).parent / "templates"

CATEGORY_LABELS = {
    "facility_management": "Facility management",
    "technical_it": "Technical IT",
    "services_complaints": "Services & complaints",
}
STATUS_LABELS = {"open": "Open", "active": "In progress", "closed": "Closed"}
ROLE_AUTHOR_LABELS = {"user": "Reporter", "helpdesk": "Helpdesk"}

HISTORY_LABELS = {
    "created": "Ticket reported",
    "description_changed": "Description changed",
    "status_changed": "Status changed",
    "category_changed": "Category changed",
}


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def time_tag(value: object) -> Markup:
    """A <time> whose text is UTC; static/campusdesk.js shows it in local time with "3 hours ago"."""
    parsed = _parse_time(value)
    if parsed is None:
        return Markup("<span>—</span>")
    utc = parsed.astimezone(UTC)
    return Markup('<time datetime="{}">{}</time>').format(
        utc.isoformat().replace("+00:00", "Z"), utc.strftime("%Y-%m-%d %H:%M UTC")
    )


def explanation_view(explanation: object) -> dict[str, Any]:
    """Normalise the category evidence (nearest examples or weighted words) for display."""
    if not isinstance(explanation, dict):
        return {"examples": [], "words": [], "facts": []}
    examples = []
    for key in ("examples", "nearest_examples", "neighbours", "neighbors", "nearest"):
        for item in explanation.get(key) or []:
            if isinstance(item, dict):
                examples.append(
                    {
                        "text": str(item.get("text") or item.get("description") or item.get("example") or ""),
                        "category": str(item.get("category") or item.get("label") or ""),
                        "score": item.get("similarity", item.get("score")),
                    }
                )
    words = []
    for key in ("words", "top_words", "terms", "features", "keywords"):
        for item in explanation.get(key) or []:
            if isinstance(item, dict):
                words.append(
                    {
                        "text": str(item.get("word") or item.get("term") or item.get("text") or ""),
                        "score": item.get("weight", item.get("score")),
                    }
                )
            else:
                words.append({"text": str(item), "score": None})
    facts = [
        (str(k).replace("_", " "), v)
        for k, v in explanation.items()
        if isinstance(v, str | int | float) and k not in ("ticket_id",)
    ]
    return {"examples": examples, "words": words, "facts": facts}


def percent(value: object) -> str:
    return f"{float(value) * 100:.0f}%" if isinstance(value, int | float) else ""


templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
templates.env.globals.update(
    CATEGORY_LABELS=CATEGORY_LABELS,
    STATUS_LABELS=STATUS_LABELS,
    ROLE_AUTHOR_LABELS=ROLE_AUTHOR_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    HISTORY_LABELS=HISTORY_LABELS,
    time_tag=time_tag,
    explanation_view=explanation_view,
    new_submission_key=lambda: uuid.uuid4().hex,
)
templates.env.filters["percent"] = percent


class PageError(Exception):
    """Stop and show a page explaining what went wrong."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


class NeedsRole(Exception):
    """The person has not chosen a role yet: send them to the entry page."""


def wants_fragment(request: Request, fragments: Iterable[str]) -> str | None:
    """The block to render alone, when htmx asks for one this page offers."""
    if request.headers.get("hx-request") != "true" or request.headers.get("hx-boosted") == "true":
        return None
    target = request.headers.get("hx-target", "")
    return target if target in set(fragments) else None


def render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    fragments: Iterable[str] = (),
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    role = current_role(request)
    full = {
        "request": request,
        "role": role,
        "role_label": ROLE_LABELS.get(role or "", ""),
        "csrf_token": csrf_token(request),
        **context,
    }
    block = wants_fragment(request, fragments)
    response_headers = {"Vary": "HX-Request, HX-Target", **(headers or {})}
    if block is not None:
        return templates.TemplateResponse(
            request, template, full, status_code=status, headers=response_headers, block_name=block.replace("-", "_")
        )
    return templates.TemplateResponse(request, template, full, status_code=status, headers=response_headers)


def see_other(url: str) -> RedirectResponse:
    """The answer to a successful POST: go and GET the result."""
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    is_fragment = request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    context = {"title": title, "detail": detail, "status": status}
    if is_fragment and request.headers.get("hx-target"):
        return render(request, "error.html", context, status=status, fragments=["error"])
    return render(request, "error.html", context, status=status)


_UPSTREAM_TITLES = {
    400: "That request is not valid",
    403: "Not allowed for your role",
    404: "Not found",
    409: "That change is not possible",
    412: "Someone else changed this",
    422: "Please check what you entered",
}


def install_page_error_handlers(app: FastAPI) -> None:
    """Errors become HTML pages (or fragments) with a sentence a person can act on."""

    @app.exception_handler(PageError)
    async def _page(request: Request, exc: PageError) -> Response:
        return error_page(request, exc.status, exc.title, exc.detail)

    @app.exception_handler(NeedsRole)
    async def _needs_role(request: Request, _: NeedsRole) -> Response:
        return see_other("/")

    @app.exception_handler(UpstreamError)
    async def _upstream(request: Request, exc: UpstreamError) -> Response:
        if exc.status >= 500:
            return error_page(request, 502, "The ticket service had a problem", exc.detail)
        return error_page(request, exc.status, _UPSTREAM_TITLES.get(exc.status, "Request refused"), exc.detail)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        response = error_page(request, exc.status, "Temporarily unavailable", exc.detail)
        response.headers.update(exc.headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path"))
            parts.append(f"{where}: {err.get('msg', 'is invalid')}")
        return error_page(request, 422, "Please check the address or form", "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_page(request, 404, "Page not found", "There is nothing at this address.")
        detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        return error_page(request, exc.status_code, "Request refused", detail)
