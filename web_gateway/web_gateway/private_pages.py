"""What the private page `/t/<token>` shows beside the ticket: the link itself, its QR code, the answers
read, the helpdesk's last answer, "Is it fixed?" and the follow-up it filed.

A wrong or revoked token answers exactly like a ticket that does not exist (`NO_SUCH_TICKET`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from campusdesk_common.contracts.links import LinkState
from campusdesk_common.contracts.tickets import MessageRead
from web_gateway.link_cookie import kept_links
from web_gateway.places import qr_svg
from web_gateway.ticket_api import LinkApi
from web_gateway.upstream import NotFound
from web_gateway.views import TicketView, part

# The one sentence of every "no such ticket" page: a ticket that does not exist, one a simple user may
# not see, and a wrong or revoked private link cannot be told apart.
NO_SUCH_TICKET = "There is no ticket at this address. If you were given a private link, check that it was copied whole."


def private_path(token: str) -> str:
    return f"/t/{token}"


def private_url(request: Request, token: str) -> str:
    """The link's full address, from the configured public URL (never from the request's Host header)."""
    public_url: str = request.app.state.settings.public_url
    return public_url.rstrip("/") + private_path(token)


async def link_state(api: LinkApi) -> LinkState:
    try:
        return await api.state()
    except NotFound:
        raise NotFound(NO_SUCH_TICKET) from None


async def private_context(request: Request, api: LinkApi, *, thread_only: bool = False) -> dict[str, Any]:
    """The link's part of the page (the QR code is drawn only for the whole page)."""
    state = await link_state(api)
    path, url = private_path(api.token), private_url(request, api.token)
    return {
        "link": api.token,
        "link_state": state,
        "ticket_path": path,
        "photo_prefix": path,
        "link_url": url,
        "link_qr": None if thread_only else qr_svg(url),
    }


def last_answer(messages: list[MessageRead] | None) -> MessageRead | None:
    """The helpdesk's most recent message in the thread."""
    return max((m for m in messages or [] if m.author_role == "helpdesk"), key=lambda m: m.id, default=None)


async def shown_to_holder(request: Request, api: LinkApi, state: LinkState, view: TicketView) -> dict[str, Any]:
    """Marks the thread read up to its newest message, and finds the follow-up's own private link."""
    if view.last_message_id > state.seen_message_id:
        # Best effort: a page is still shown when the mark cannot be saved.
        await part(api.mark_seen(view.last_message_id))
    follow_up_token = None
    if state.follow_up_ticket_id is not None:
        follow_up_token = await token_for(request, api, state.follow_up_ticket_id)
    return {"last_answer": last_answer(view.messages.value), "follow_up_token": follow_up_token}


async def token_for(request: Request, api: LinkApi, ticket_id: int) -> str | None:
    """The token this browser keeps for `ticket_id`, if any (asked of the ticket service: tokens say nothing)."""
    tokens = kept_links(request)
    found = await part(api.lookup(tokens))
    for item in found.value.items if found.value else []:
        if item.ticket.id == ticket_id and item.position < len(tokens):
            return tokens[item.position]
    return None
