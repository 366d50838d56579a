"""Ticket pages: the list, reporting a ticket, a ticket with its thread, and the actions on it.

Handlers only call the ticket service and answer: refused forms and upstream
problems are turned into pages by `web_gateway.errors`.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from campusdesk_common.contracts.places import PlaceDirectory, Room
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
from web_gateway.link_cookie import keep_link
from web_gateway.photos import photo_response, upload_photos
from web_gateway.places import report_path, resolve_place, room_by_code
from web_gateway.rate_limit import limit_anonymous
from web_gateway.recurring import recurring_badges
from web_gateway.security import current_role
from web_gateway.templating import render, render_block, see_other, wants_fragment
from web_gateway.ticket_api import TicketApi
from web_gateway.ticket_pages import render_new_ticket, render_ticket_page
from web_gateway.upstream import DEFAULT_RETRY_AFTER, UpstreamUnavailable
from web_gateway.views import Part, part, poll_context, preview, skipped

UNKNOWN_ROOM = "The address you opened names a room that is not in the campus directory; type where the problem is."

router = APIRouter()

PAGE_SIZE = 25
LIST_FRAGMENTS = ["results"]


@router.get("/tickets")
async def list_tickets(request: Request, role: RoleDep, api: TicketApiDep, filters: TicketFiltersDep) -> Response:
    """The tickets the person may see, with search, filters and cursor pagination."""
    # Staff filter by building and room: the choices come from the directory (skipped for a results fragment).
    with_directory = role == "helpdesk" and wants_fragment(request, LIST_FRAGMENTS) is None
    page, directory = await asyncio.gather(
        part(api.search(filters.search_params(PAGE_SIZE)), UpstreamUnavailable),
        part(api.directory()) if with_directory else skipped(Part[PlaceDirectory]()),
    )
    context = {"filters": filters, "statuses": statuses_listed(role), "page": page, "directory": directory}
    shown = page.value.items if page.value else []
    context["recurring"] = await recurring_badges(request, shown)  # staff: the "Recurring" badge
    if page.error is None:
        return render(request, "tickets_list.html", context, fragments=LIST_FRAGMENTS)
    retry = {"Retry-After": str(DEFAULT_RETRY_AFTER)}
    return render(request, "tickets_list.html", context, fragments=LIST_FRAGMENTS, status=503, headers=retry)


@router.get("/tickets/new")
async def new_ticket(request: Request, role: RoleDep) -> Response:
    """The form to report a ticket."""
    return render_new_ticket(request)


@router.get("/report")
async def report_at(request: Request, room: Annotated[str, Query(max_length=100)] = "") -> Response:
    """A QR sticker's address: the report form with its room filled in (unknown room: a notice, field empty).

    Someone scanning a sticker may not have chosen a role yet: the entry page comes first and
    brings them back here.
    """
    role = current_role(request)
    if role is None:
        return render(request, "entry.html", {"next_url": report_path(room)})
    api = TicketApi(request.app.state.tickets, role, request.app.state.recovery)
    found = await room_by_code(api, room.strip()) if room.strip() else None
    notice = None if found or not room.strip() else UNKNOWN_ROOM
    return render_new_ticket(request, where=found.room_code if found else "", room=found, place_notice=notice)


@router.post("/tickets", dependencies=[CsrfDep])
async def create_ticket(request: Request, api: TicketApiDep, form: NewTicketFormDep) -> Response:
    """Report a ticket with its place and photos; on success go to its private page (simple users) or its page.

    Simple users are limited per client address; a form whose honeypot is filled is answered as if
    accepted and nothing is stored.
    """
    limit_anonymous(request, "tickets")
    if form.filled_by_a_bot:
        return see_other("/my-tickets")
    room = await resolve_place(api, form.where)
    photo_ids = await upload_photos(request, api, "photos", form.submission_key)
    new = TicketCreate(
        description=form.description,
        room_code=room.room_code if room else None,
        place_note=form.place_note,
        photo_ids=photo_ids,
    )
    ticket = await api.create(new, form.submission_key)
    if ticket.private_link is None:
        return see_other(f"/tickets/{ticket.id}?notice=created")
    response = see_other(f"/t/{ticket.private_link.token}?notice=created")
    keep_link(request, response, ticket.private_link.token)
    return response


@router.get("/places/rooms")
async def room_suggestions(
    request: Request, api: TicketApiDep, where: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    """The "Where?" field's suggestions while typing (htmx swaps the <datalist> and its count)."""
    text = where.strip()
    rooms = await part(api.rooms(text)) if text else Part[list[Room]](value=[])
    context = {"rooms": rooms, "typed": text, "candidates": []}
    return render_block(request, "ticket_new.html", "room_options", context)


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
async def send_message(request: Request, ticket_id: int, api: TicketApiDep, form: MessageFormDep) -> Response:
    """Post a message (with up to 3 photos) to the ticket's thread (simple users: limited, with a honeypot)."""
    limit_anonymous(request, "messages")
    if form.filled_by_a_bot:
        return see_other(f"/tickets/{ticket_id}?notice=sent#thread")
    photo_ids = await upload_photos(request, api, "body", form.submission_key)
    await api.post_message(ticket_id, MessageCreate(body=form.body, photo_ids=photo_ids), form.submission_key)
    return see_other(f"/tickets/{ticket_id}?notice=sent#thread")


@router.get("/tickets/{ticket_id}/messages")
async def new_messages(
    request: Request, ticket_id: int, api: TicketApiDep, after: Annotated[int, Query(ge=0)] = 0
) -> Response:
    """Polled by the open ticket page: messages newer than `after`, or 204 when there are none."""
    messages = await part(api.messages(ticket_id, after=after))
    if messages.value == []:
        return Response(status_code=204)
    context = poll_context(f"/tickets/{ticket_id}", after, messages, request.app.state.settings.message_poll_seconds)
    return render_block(request, "ticket_detail.html", "new_messages", context)


@router.get("/photos/{photo_id}")
async def photo(photo_id: int, api: TicketApiDep) -> Response:
    """A photo, for whoever may see its ticket; never run as a page (sandboxed, nosniff)."""
    return photo_response(await api.photo(photo_id))


@router.get("/photos/{photo_id}/thumbnail")
async def photo_thumbnail(photo_id: int, api: TicketApiDep) -> Response:
    return photo_response(await api.photo(photo_id, thumbnail=True))
