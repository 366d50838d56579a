"""Ticket pages: the list, reporting a ticket, a ticket with its thread, and the actions on it.

Handlers only call the ticket service and answer: refused forms and upstream
problems are turned into pages by `web_gateway.errors`.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from campusdesk_common.contracts.tickets import MessageCreate, TicketCreate, TicketUpdate
from web_gateway.dependencies import (
    CategoryFormDep,
    CloseFormDep,
    CsrfDep,
    DescriptionFormDep,
    HelpdeskOnly,
    MessageFormDep,
    NewTicketFormDep,
    ReporterOnly,
    RoleDep,
    TicketApiDep,
    TicketFiltersDep,
    VersionFormDep,
    statuses_listed,
)
from web_gateway.recurring import recurring_badges
from web_gateway.templating import render, render_block, see_other
from web_gateway.ticket_pages import render_new_ticket, render_ticket_page
from web_gateway.upstream import DEFAULT_RETRY_AFTER, UpstreamUnavailable
from web_gateway.views import part, poll_context, preview

router = APIRouter()

PAGE_SIZE = 25
LIST_FRAGMENTS = ["results"]


@router.get("/tickets")
async def list_tickets(request: Request, role: RoleDep, api: TicketApiDep, filters: TicketFiltersDep) -> Response:
    """The tickets the person may see, with search, filters and cursor pagination."""
    page = await part(api.search(filters.search_params(PAGE_SIZE)), UpstreamUnavailable)
    context = {"filters": filters, "statuses": statuses_listed(role), "page": page}
    context["recurring"] = await recurring_badges(request)  # staff: the "Recurring" badge
    if page.error is None:
        return render(request, "tickets_list.html", context, fragments=LIST_FRAGMENTS)
    retry = {"Retry-After": str(DEFAULT_RETRY_AFTER)}
    return render(request, "tickets_list.html", context, fragments=LIST_FRAGMENTS, status=503, headers=retry)


@router.get("/tickets/new")
async def new_ticket(request: Request, role: RoleDep) -> Response:
    """The form to report a ticket."""
    return render_new_ticket(request)


@router.post("/tickets", dependencies=[CsrfDep])
async def create_ticket(api: TicketApiDep, form: NewTicketFormDep) -> Response:
    """Report a ticket; on success go to its page."""
    ticket = await api.create(TicketCreate(description=form.description), form.submission_key)
    return see_other(f"/tickets/{ticket.id}?notice=created")


@router.post("/tickets/preview", dependencies=[CsrfDep])
async def preview_ticket(request: Request, api: TicketApiDep, description: Annotated[str, Form()] = "") -> Response:
    """While typing: the category that would be assigned and similar open tickets."""
    return render_block(request, "ticket_new.html", "preview", {"preview": await preview(api, description)})


@router.get("/tickets/{ticket_id}")
async def show_ticket(request: Request, ticket_id: int, api: TicketApiDep, notice: str = "") -> Response:
    """A ticket: its state, dates, description, thread and (for staff) actions and history."""
    return await render_ticket_page(request, api, ticket_id, notice=notice)


@router.post("/tickets/{ticket_id}/description", dependencies=[CsrfDep, ReporterOnly])
async def edit_description(ticket_id: int, api: TicketApiDep, form: DescriptionFormDep) -> Response:
    """Save a new description (the reporter, while the ticket is open or active)."""
    await api.update(ticket_id, TicketUpdate(description=form.description), form.version)
    return see_other(f"/tickets/{ticket_id}?notice=saved")


@router.post("/tickets/{ticket_id}/start", dependencies=[CsrfDep, HelpdeskOnly])
async def start_work(ticket_id: int, api: TicketApiDep, form: VersionFormDep) -> Response:
    """Helpdesk: open -> active."""
    await api.update(ticket_id, TicketUpdate(status="active"), form.version)
    return see_other(f"/tickets/{ticket_id}?notice=started")


@router.get("/tickets/{ticket_id}/close", dependencies=[HelpdeskOnly])
async def confirm_close(request: Request, ticket_id: int, api: TicketApiDep) -> Response:
    """The confirmation step before closing (the path without JavaScript)."""
    return render(request, "ticket_close.html", {"ticket": await api.get(ticket_id)})


@router.post("/tickets/{ticket_id}/close", dependencies=[CsrfDep, HelpdeskOnly])
async def close_ticket(ticket_id: int, api: TicketApiDep, form: CloseFormDep) -> Response:
    """Helpdesk: active -> closed, once confirmed."""
    if not form.confirmed:
        return see_other(f"/tickets/{ticket_id}/close")
    await api.update(ticket_id, TicketUpdate(status="closed"), form.version)
    return see_other(f"/tickets/{ticket_id}?notice=closed")


@router.post("/tickets/{ticket_id}/category", dependencies=[CsrfDep, HelpdeskOnly])
async def correct_category(ticket_id: int, api: TicketApiDep, form: CategoryFormDep) -> Response:
    """Helpdesk: correct the automatic category."""
    await api.update(ticket_id, TicketUpdate(category=form.category), form.version)
    return see_other(f"/tickets/{ticket_id}?notice=category")


@router.post("/tickets/{ticket_id}/messages", dependencies=[CsrfDep])
async def send_message(ticket_id: int, api: TicketApiDep, form: MessageFormDep) -> Response:
    """Post a message to the ticket's thread."""
    await api.post_message(ticket_id, MessageCreate(body=form.body), form.submission_key)
    return see_other(f"/tickets/{ticket_id}?notice=sent#thread")


@router.get("/tickets/{ticket_id}/messages")
async def new_messages(
    request: Request, ticket_id: int, api: TicketApiDep, after: Annotated[int, Query(ge=0)] = 0
) -> Response:
    """Polled by the open ticket page: messages newer than `after`, or 204 when there are none."""
    messages = await part(api.messages(ticket_id, after=after))
    if messages.value == []:
        return Response(status_code=204)
    context = poll_context(ticket_id, after, messages, request.app.state.settings.message_poll_seconds)
    return render_block(request, "ticket_detail.html", "new_messages", context)
