"""The Jinja setup and the one way a route answers with a page or one of its named fragments.

A route returns the whole page, or only the named block whose id htmx names in
`HX-Target` when the page allows that block as a fragment. The vocabulary's labels
and the formatting helpers are registered here, once, for every template.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from jinja2_fragments.fastapi import Jinja2Blocks

from campusdesk_common.vocabulary import CATEGORIES, FIX_ANSWER_LABELS, NOT_CLOSED
from web_gateway import labels
from web_gateway.security import csrf_token, current_role

TEMPLATES_DIR = Path(__file__).parent / "templates"
# Every page carries this browser's CSRF token (forms, htmx headers): no cache may keep or share it.
NOT_STORED = {"Cache-Control": "no-store"}

templates = Jinja2Blocks(directory=str(TEMPLATES_DIR))
templates.env.globals.update(
    CATEGORIES=CATEGORIES,
    NOT_CLOSED=NOT_CLOSED,
    FIX_ANSWER_LABELS=FIX_ANSWER_LABELS,
    time_tag=labels.time_tag,
    new_submission_key=lambda: uuid.uuid4().hex,
)
templates.env.filters.update(
    status_label=labels.status_label,
    status_hint=labels.status_hint,
    category_label=labels.category_label,
    author_label=labels.author_label,
    role_label=labels.role_label,
    event_label=labels.event_label,
    percent=labels.percent,
    hours=labels.hours,
)


def wants_fragment(request: Request, fragments: Iterable[str]) -> str | None:
    """The block to render alone, when htmx asks for one this page offers."""
    if request.headers.get("hx-request") != "true" or request.headers.get("hx-boosted") == "true":
        return None
    target = request.headers.get("hx-target", "")
    return target if target in set(fragments) else None


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    *,
    fragments: Iterable[str] = (),
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """The page (or the fragment htmx asked for), with what every page needs: role and CSRF token."""
    full = {"request": request, "role": current_role(request), "csrf_token": csrf_token(request), **context}
    block = wants_fragment(request, fragments)
    response_headers = {"Vary": "HX-Request, HX-Target", **NOT_STORED, **(headers or {})}
    block_name = block.replace("-", "_") if block is not None else None
    return templates.TemplateResponse(
        request, template, full, status_code=status, headers=response_headers, block_name=block_name
    )


def render_block(
    request: Request, template: str, block: str, context: Mapping[str, Any], *, status: int = 200
) -> Response:
    """Only one named block of a template (an htmx-only answer such as the live preview)."""
    full = {"request": request, "role": current_role(request), "csrf_token": csrf_token(request), **context}
    return templates.TemplateResponse(request, template, full, status_code=status, headers=NOT_STORED, block_name=block)


def see_other(url: str) -> RedirectResponse:
    """The answer to a successful POST: go and GET the result."""
    return RedirectResponse(url, status_code=303)
