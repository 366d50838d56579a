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
from web_gateway.recurring import recurring_badges
from web_gateway.templating import render, wants_fragment
from web_gateway.ticket_api import TicketApi
from web_gateway.views import ticket_view

DETAIL_FRAGMENTS = ["thread"]
NOTICES = {
    "created": "Your ticket has been submitted. The helpdesk will answer here.",
    "saved": "The description has been saved.",
    "started": "Work has started on this ticket.",
    "closed": "The ticket is closed.",
    "category": "The category has been corrected.",
    "sent": "Your message has been sent.",
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
) -> Response:
    """The ticket page; a refused form shows its reason (`*_error` or `conflict`) and keeps the drafts."""
    view = await ticket_view(api, ticket_id, thread_only=wants_fragment(request, DETAIL_FRAGMENTS) == "thread")
    context: dict[str, Any] = {
        "view": view,
        "ticket": view.ticket,
        "notice": NOTICES.get(notice),
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
