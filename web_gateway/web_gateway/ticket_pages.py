"""Rendering the two pages that carry ticket forms: reporting a ticket, and a ticket with its thread.

Both are rendered by their routes and again by the error handler when a form on
them is refused, with the person's text kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from campusdesk_common.contracts.places import MAX_PHOTOS, Room
from web_gateway.private_pages import NO_SUCH_TICKET, private_context, shown_to_holder
from web_gateway.recurring import recurring_badges
from web_gateway.templating import render, wants_fragment
from web_gateway.ticket_api import LinkApi, TicketApi
from web_gateway.upstream import NotFound
from web_gateway.views import ticket_view

DETAIL_FRAGMENTS = ["thread"]
NOTICES = {
    "created": "Your ticket has been submitted. The helpdesk will answer here.",
    "saved": "The description has been saved.",
    "started": "Work has started on this ticket.",
    "closed": "The ticket is closed.",
    "category": "The category has been corrected.",
    "sent": "Your message has been sent.",
    "following": "You now follow this ticket: this page is your private link to it.",
    "answered": "Thank you: your answer has been recorded.",
    "email": "You will get an e-mail when the helpdesk answers, starts work or closes this ticket.",
    "email_stopped": "E-mail updates for this ticket have stopped.",
}
# Right after reporting, a private page says more than the ticket page did.
PRIVATE_NOTICES = {
    **NOTICES,
    "created": "Your ticket has been submitted. Keep your private link below: it is your way back to this ticket.",
}


async def render_ticket_page(
    request: Request,
    api: TicketApi,
    ticket_id: int,
    *,
    status: int = 200,
    notice: str = "",
    conflict: str | None = None,
    description_error: str | None = None,
    message_error: str | None = None,
    draft_description: str | None = None,
    draft_message: str = "",
    drafts: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    """The ticket page; a refused form shows its reason (`*_error` or `conflict`) and keeps the drafts.

    Through a `LinkApi` it is the private page `/t/<token>`: the link, its QR code, "Is it fixed?"
    and e-mail updates (`drafts`/`errors` keep a refused fix answer's note or e-mail address).
    """
    thread_only = wants_fragment(request, DETAIL_FRAGMENTS) == "thread"
    if isinstance(api, LinkApi):
        private = await private_context(request, api, thread_only=thread_only)
        ticket_id, notices = private["link_state"].ticket_id, PRIVATE_NOTICES
    else:
        private, notices = {"link": None, "ticket_path": f"/tickets/{ticket_id}", "photo_prefix": ""}, NOTICES
    try:
        view = await ticket_view(api, ticket_id, thread_only=thread_only)
    except NotFound:
        raise NotFound(NO_SUCH_TICKET) from None
    if isinstance(api, LinkApi):
        private.update(await shown_to_holder(request, api, private["link_state"], view))
    context: dict[str, Any] = {
        **private,
        "drafts": drafts or {},
        "errors": errors or {},
        "view": view,
        "ticket": view.ticket,
        "notice": notices.get(notice),
        "conflict": conflict,
        "edit_error": description_error,
        "message_error": message_error,
        "draft_description": view.ticket.description if draft_description is None else draft_description,
        "draft_message": draft_message,
        "poll_seconds": request.app.state.settings.message_poll_seconds,
        "recurring": await recurring_badges(request, [view.ticket]),
    }
    return render(request, "ticket_detail.html", context, fragments=DETAIL_FRAGMENTS, status=status)


def render_new_ticket(
    request: Request,
    *,
    status: int = 200,
    description: str = "",
    where: str = "",
    place_note: str = "",
    room: Room | None = None,
    place_notice: str | None = None,
    error: str | None = None,
    error_field: str | None = None,
    candidates: Sequence[Room] = (),
    unavailable: str | None = None,
    submission_key: str | None = None,
) -> Response:
    """The report form; after a refusal it keeps the text and the one-time key of the first attempt.

    `error` shows under the field it is about ("where", "photos", else the description);
    `candidates` are the rooms an ambiguous "Where?" could mean.
    """
    shown_under = error_field if error_field in ("where", "photos") else "description"
    context = {
        "description": description,
        "where": where,
        "place_note": place_note,
        "room": room,
        "place_notice": place_notice,
        "error": error,
        "error_field": shown_under,
        "candidates": candidates,
        "unavailable": unavailable,
        "submission_key": submission_key,
        "preview": None,
        "max_photos": MAX_PHOTOS,
    }
    return render(request, "ticket_new.html", context, status=status)
