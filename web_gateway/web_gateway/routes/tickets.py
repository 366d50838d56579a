"""Ticket pages: the list, reporting a ticket, a ticket with its thread, and the actions on it."""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from campusdesk_common.problems import ServiceUnavailable
from web_gateway.dependencies import CsrfDep, HelpdeskDep, RoleDep, TicketApiDep
from web_gateway.rendering import CATEGORY_LABELS, PageError, render, see_other, templates, wants_fragment
from web_gateway.upstream import TicketApi, UpstreamError

router = APIRouter()

MAX_TEXT = 5000
PAGE_SIZE = 25
NOTICES = {
    "created": "Your ticket has been submitted. The helpdesk will answer here.",
    "saved": "The description has been saved.",
    "started": "Work has started on this ticket.",
    "closed": "The ticket is closed.",
    "category": "The category has been corrected.",
    "sent": "Your message has been sent.",
}
STATUS_CHOICES = {"user": ("open", "active"), "helpdesk": ("open", "active", "closed")}
LIST_FRAGMENTS = ["results"]
DETAIL_FRAGMENTS = ["thread"]


def text_problem(text: str, what: str) -> str | None:
    """A sentence saying why `text` cannot be sent, or None when it is fine."""
    length = len(text.strip())
    if length == 0:
        return f"The {what} is empty. Please write what the problem is."
    if length > MAX_TEXT:
        return f"The {what} is {length:,} characters long; the limit is {MAX_TEXT:,}. Please shorten it."
    return None


def _parse_version(version: str) -> int | None:
    return int(version) if version.isascii() and version.isdigit() else None


@router.get("/tickets")
async def list_tickets(
    request: Request,
    role: RoleDep,
    api: TicketApiDep,
    q: Annotated[str, Query(max_length=200)] = "",
    status: str | None = None,
    category: str = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
) -> Response:
    """The tickets the person may see, with search, filters and cursor pagination."""
    if status is None:
        status = "open" if role == "helpdesk" else ""
    if status not in ("", "all", *STATUS_CHOICES[role]):
        raise PageError(422, "Unknown filter", f"There is no status filter called {status!r}.")
    if category not in ("", *CATEGORY_LABELS):
        raise PageError(422, "Unknown filter", f"There is no category called {category!r}.")
    params: list[tuple[str, str]] = [("limit", str(PAGE_SIZE))]
    if q.strip():
        params.append(("q", q.strip()))
    if status not in ("", "all"):
        params.append(("status", status))
    if category:
        params.append(("category", category))
    if cursor:
        params.append(("cursor", cursor))
    filters = {"q": q, "status": status, "category": category}
    context: dict[str, Any] = {"filters": filters, "statuses": STATUS_CHOICES[role], "page": None, "error": None}
    try:
        context["page"] = await api.search(params)
    except ServiceUnavailable as exc:
        context["error"] = exc.detail
    except UpstreamError as exc:
        if exc.status >= 500 or exc.status in (401, 403):
            raise
        raise PageError(422, "Unusable search", exc.detail) from exc
    base = {k: v for k, v in filters.items() if v}
    next_cursor = (context["page"] or {}).get("next_cursor")
    context["next_url"] = "/tickets?" + urlencode({**base, "cursor": next_cursor}) if next_cursor else None
    context["first_url"] = "/tickets?" + urlencode(base) if cursor else None
    context["tab_url"] = lambda value: (
        "/tickets?" + urlencode({k: v for k, v in {**base, "status": value}.items() if v})
    )
    status_code = 503 if context["error"] else 200
    return render(request, "tickets_list.html", context, fragments=LIST_FRAGMENTS, status=status_code)


@router.get("/tickets/new")
async def new_ticket(request: Request, role: RoleDep) -> Response:
    """The form to report a ticket."""
    return render(request, "ticket_new.html", {"description": "", "error": None, "preview": None})


@router.post("/tickets", dependencies=[CsrfDep])
async def create_ticket(
    request: Request,
    api: TicketApiDep,
    description: Annotated[str, Form()] = "",
    submission_key: Annotated[str, Form()] = "",
) -> Response:
    """Report a ticket; on success go to its page."""
    error = text_problem(description, "description")
    key = valid_submission_key(submission_key)
    if error is None:
        try:
            ticket = await api.create(description.strip(), key)
        except UpstreamError as exc:
            if exc.status >= 500 or exc.status == 403:
                raise
            error = exc.detail
        except ServiceUnavailable as exc:
            context = {
                "description": description,
                "error": None,
                "unavailable": exc.detail,
                "preview": None,
                "submission_key": key,
            }
            return render(request, "ticket_new.html", context, status=503)
        else:
            return see_other(f"/tickets/{ticket['id']}?notice=created")
    context = {"description": description, "error": error, "preview": None, "submission_key": key}
    return render(request, "ticket_new.html", context, status=422)


@router.post("/tickets/preview", dependencies=[CsrfDep])
async def preview_ticket(request: Request, api: TicketApiDep, description: Annotated[str, Form()] = "") -> Response:
    """While typing: the category that would be assigned and similar open tickets."""
    text = description.strip()[:MAX_TEXT]
    preview: dict[str, Any] = {"text": text}
    if len(text) >= 3:
        classified, similar = await asyncio.gather(api.classify(text), api.similar(text), return_exceptions=True)
        preview["classification"] = classified if isinstance(classified, dict) else None
        preview["similar"] = [_similar_item(item) for item in similar] if isinstance(similar, list) else None
        preview["unavailable"] = not isinstance(classified, dict) or not isinstance(similar, list)
    return templates.TemplateResponse(request, "ticket_new.html", {"preview": preview}, block_name="preview")


def valid_submission_key(value: str) -> str | None:
    """The form's one-time key when it looks like one we issued (32 hex digits), else None."""
    return value if re.fullmatch(r"[0-9a-f]{32}", value) else None


def _similar_item(item: dict[str, Any]) -> dict[str, Any]:
    ticket = item.get("ticket", item)
    return {
        "id": ticket.get("id"),
        "description": ticket.get("description", ""),
        "status": ticket.get("status", ""),
        "category": ticket.get("category", ""),
        "similarity": item.get("similarity", item.get("score")),
    }


async def _detail_context(api: TicketApi, ticket_id: int, role: str, *, thread_only: bool = False) -> dict[str, Any]:
    """Everything the ticket page shows; a part whose call fails says so on its own."""
    ticket_call = api.get(ticket_id)
    calls: list[Any] = [api.messages(ticket_id)]
    if not thread_only:
        calls.append(api.history(ticket_id))
        if role == "helpdesk":
            calls.append(api.explanation(ticket_id))
    ticket, *rest = await asyncio.gather(ticket_call, *calls, return_exceptions=True)
    if isinstance(ticket, BaseException):
        if isinstance(ticket, UpstreamError) and ticket.status == 404:
            raise PageError(
                404,
                "Ticket not found",
                f"There is no ticket #{ticket_id}"
                + (" you can see (closed tickets are visible to helpdesk staff)." if role == "user" else "."),
            )
        raise ticket
    parts = ["messages", "history", "explanation"]
    context: dict[str, Any] = {"ticket": ticket}
    for name, value in zip(parts, rest, strict=False):
        context[name] = None if isinstance(value, BaseException) else value
        context[f"{name}_error"] = _explain_failure(value) if isinstance(value, BaseException) else None
    context.setdefault("history", None)
    context.setdefault("explanation", None)
    context["last_message_id"] = max((m["id"] for m in context["messages"] or []), default=0)
    return context


def _explain_failure(exc: BaseException) -> str:
    if isinstance(exc, ServiceUnavailable | UpstreamError):
        return exc.detail
    raise exc


async def _render_detail(
    request: Request,
    api: TicketApi,
    ticket_id: int,
    role: str,
    *,
    status: int = 200,
    **extra: Any,
) -> Response:
    thread_only = wants_fragment(request, DETAIL_FRAGMENTS) == "thread"
    context = await _detail_context(api, ticket_id, role, thread_only=thread_only)
    context.setdefault("draft_description", context["ticket"]["description"])
    context["form_version"] = context["ticket"]["version"]
    context["categories"] = CATEGORY_LABELS
    context["poll_seconds"] = request.app.state.settings.message_poll_seconds
    context.update({"notice": None, "conflict": None, "edit_error": None, "message_error": None, "draft_message": ""})
    context.update(extra)
    return render(request, "ticket_detail.html", context, fragments=DETAIL_FRAGMENTS, status=status)


@router.get("/tickets/{ticket_id}")
async def show_ticket(request: Request, ticket_id: int, role: RoleDep, api: TicketApiDep, notice: str = "") -> Response:
    """A ticket: its state, dates, description, thread and (for staff) actions and history."""
    return await _render_detail(request, api, ticket_id, role, notice=NOTICES.get(notice))


async def _change(
    request: Request,
    api: TicketApi,
    ticket_id: int,
    role: str,
    changes: dict[str, str],
    version: str,
    notice: str,
    *,
    draft_description: str | None = None,
) -> Response:
    """Apply a change; a conflict shows the current state and keeps what the person typed."""
    try:
        await api.update(ticket_id, changes, _parse_version(version))
    except UpstreamError as exc:
        if exc.status not in (409, 412, 422):
            raise
        if exc.status == 412:
            conflict = (
                "Someone else changed this ticket while you were looking at it. "
                "Below is its current state; nothing was changed by your request."
            )
            if draft_description is not None:
                conflict += " Your text is still in the form: check it and save again if you still want it."
        elif exc.status == 409:
            conflict = f"That change is not possible now: {exc.detail} The current state is shown below."
        else:
            conflict = exc.detail
        extra: dict[str, Any] = {"conflict": conflict}
        if draft_description is not None:
            extra["draft_description"] = draft_description
        return await _render_detail(request, api, ticket_id, role, status=409 if exc.status != 422 else 422, **extra)
    return see_other(f"/tickets/{ticket_id}?notice={notice}")


@router.post("/tickets/{ticket_id}/description", dependencies=[CsrfDep])
async def edit_description(
    request: Request,
    ticket_id: int,
    role: RoleDep,
    api: TicketApiDep,
    description: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    """Save a new description (the reporter, while the ticket is open or active)."""
    if role != "user":
        raise PageError(403, "Not allowed for your role", "Helpdesk staff do not rewrite the reporter's description.")
    error = text_problem(description, "description")
    if error:
        return await _render_detail(
            request, api, ticket_id, role, status=422, edit_error=error, draft_description=description
        )
    return await _change(
        request,
        api,
        ticket_id,
        role,
        {"description": description.strip()},
        version,
        "saved",
        draft_description=description,
    )


@router.post("/tickets/{ticket_id}/start", dependencies=[CsrfDep])
async def start_work(
    request: Request, ticket_id: int, role: HelpdeskDep, api: TicketApiDep, version: Annotated[str, Form()] = ""
) -> Response:
    """Helpdesk: open -> active."""
    return await _change(request, api, ticket_id, role, {"status": "active"}, version, "started")


@router.get("/tickets/{ticket_id}/close")
async def confirm_close(request: Request, ticket_id: int, role: HelpdeskDep, api: TicketApiDep) -> Response:
    """The confirmation step before closing (the path without JavaScript)."""
    ticket = await api.get(ticket_id)
    return render(request, "ticket_close.html", {"ticket": ticket})


@router.post("/tickets/{ticket_id}/close", dependencies=[CsrfDep])
async def close_ticket(
    request: Request,
    ticket_id: int,
    role: HelpdeskDep,
    api: TicketApiDep,
    version: Annotated[str, Form()] = "",
    confirmed: Annotated[str, Form()] = "",
) -> Response:
    """Helpdesk: active -> closed, once confirmed."""
    if confirmed != "yes":
        return see_other(f"/tickets/{ticket_id}/close")
    return await _change(request, api, ticket_id, role, {"status": "closed"}, version, "closed")


@router.post("/tickets/{ticket_id}/category", dependencies=[CsrfDep])
async def correct_category(
    request: Request,
    ticket_id: int,
    role: HelpdeskDep,
    api: TicketApiDep,
    category: Annotated[str, Form()] = "",
    version: Annotated[str, Form()] = "",
) -> Response:
    """Helpdesk: correct the automatic category."""
    if category not in CATEGORY_LABELS:
        raise PageError(422, "Unknown category", "Choose one of the three categories.")
    return await _change(request, api, ticket_id, role, {"category": category}, version, "category")


@router.post("/tickets/{ticket_id}/messages", dependencies=[CsrfDep])
async def send_message(
    request: Request,
    ticket_id: int,
    role: RoleDep,
    api: TicketApiDep,
    body: Annotated[str, Form()] = "",
    submission_key: Annotated[str, Form()] = "",
) -> Response:
    """Post a message to the ticket's thread."""
    error = text_problem(body, "message")
    if error is None:
        try:
            await api.post_message(ticket_id, body.strip(), valid_submission_key(submission_key))
        except UpstreamError as exc:
            if exc.status not in (409, 422):
                raise
            error = exc.detail
        else:
            return see_other(f"/tickets/{ticket_id}?notice=sent#thread")
    return await _render_detail(
        request, api, ticket_id, role, status=422 if error else 200, message_error=error, draft_message=body
    )


@router.get("/tickets/{ticket_id}/messages")
async def new_messages(
    request: Request, ticket_id: int, role: RoleDep, api: TicketApiDep, after: Annotated[int, Query(ge=0)] = 0
) -> Response:
    """Polled by the open ticket page: messages newer than `after`, or 204 when there are none."""
    poll_seconds = request.app.state.settings.message_poll_seconds
    context: dict[str, Any] = {"ticket": {"id": ticket_id}, "poll_seconds": poll_seconds, "poll_error": None}
    try:
        messages = await api.messages(ticket_id, after=after)
    except (ServiceUnavailable, UpstreamError) as exc:
        context.update(new_messages=[], last_message_id=after, poll_error=exc.detail)
    else:
        if not messages:
            return Response(status_code=204)
        context.update(new_messages=messages, last_message_id=max(m["id"] for m in messages))
    return templates.TemplateResponse(request, "ticket_detail.html", context, block_name="new_messages")
