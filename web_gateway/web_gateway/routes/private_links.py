"""Private links: the page `/t/<token>` and its actions, "My tickets", "This affects me too", and unsubscribing.

Whoever holds a link acts as a simple user with that link (`LinkApi`), whatever role their browser
chose, and with no role at all: a link opened on another device just works. The token goes to
the ticket service only in the `X-Private-Link` header.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.convertors import Convertor, register_url_convertor

from campusdesk_common.contracts.links import TOKEN_PATTERN, FixAnswerCreate
from campusdesk_common.contracts.tickets import MessageCreate, TicketUpdate
from web_gateway.dependencies import (
    CsrfDep,
    DescriptionFormDep,
    EmailFormDep,
    FixAnswerFormDep,
    FollowFormDep,
    MessageFormDep,
    RoleDep,
    TicketApiDep,
)
from web_gateway.errors import PageError
from web_gateway.link_cookie import keep_link, kept_links
from web_gateway.photos import photo_response, upload_photos
from web_gateway.private_pages import NO_SUCH_TICKET, link_state, private_path
from web_gateway.rate_limit import limit_anonymous
from web_gateway.security import current_role
from web_gateway.templating import render, render_block, see_other
from web_gateway.ticket_api import LinkApi, TicketApi
from web_gateway.ticket_pages import render_ticket_page
from web_gateway.upstream import NotFound, UpstreamUnavailable
from web_gateway.views import part, poll_context

router = APIRouter()

_TOKEN = re.compile(TOKEN_PATTERN)


def link_api(request: Request, token: str) -> LinkApi:
    """The ticket service for this link's holder; a token of the wrong shape is the same 404 as a wrong one."""
    if not _TOKEN.fullmatch(token):
        raise NotFound(NO_SUCH_TICKET)
    return LinkApi(request.app.state.tickets, token, request.app.state.recovery)


LinkApiDep = Annotated[LinkApi, Depends(link_api)]


@router.get("/t/{token}", summary="A ticket through its private link")
async def private_ticket(request: Request, token: str, api: LinkApiDep, notice: str = "") -> Response:
    """The ticket in every state for whoever holds the link: editable while open or active, read-only once
    closed (with "Is it fixed?"); the link, its QR code, and e-mail updates. Kept in this browser's links."""
    response = await render_ticket_page(request, api, 0, notice=notice)
    keep_link(request, response, token)
    return response


@router.get("/t/{token}/messages", summary="New messages of a ticket, through its private link")
async def private_new_messages(request: Request, api: LinkApiDep, after: Annotated[int, Query(ge=0)] = 0) -> Response:
    """Polled by the private page: messages newer than `after`, or 204 when there are none."""
    state = await link_state(api)
    messages = await part(api.messages(state.ticket_id, after=after))
    if messages.value == []:
        return Response(status_code=204)
    if messages.value:
        await part(api.mark_seen(max(m.id for m in messages.value)))
    context = poll_context(private_path(api.token), after, messages, request.app.state.settings.message_poll_seconds)
    return render_block(request, "ticket_detail.html", "new_messages", context)


@router.post("/t/{token}/description", dependencies=[CsrfDep], summary="Edit the description (link holder)")
async def private_edit_description(api: LinkApiDep, form: DescriptionFormDep) -> Response:
    """Save a new description while the ticket is open or active."""
    state = await link_state(api)
    await api.update(state.ticket_id, TicketUpdate(description=form.description), form.version)
    return see_other(f"{private_path(api.token)}?notice=saved")


@router.post("/t/{token}/messages", dependencies=[CsrfDep], summary="Write in the thread (link holder)")
async def private_send_message(request: Request, api: LinkApiDep, form: MessageFormDep) -> Response:
    """Post a message (with up to 3 photos) as the reporter; limited per client address."""
    limit_anonymous(request, "messages")
    back = f"{private_path(api.token)}?notice=sent#thread"
    if form.filled_by_a_bot:
        return see_other(back)
    state = await link_state(api)
    photo_ids = await upload_photos(request, api, "body", form.submission_key)
    message = MessageCreate(body=form.body, photo_ids=photo_ids)
    await api.post_message(state.ticket_id, message, form.submission_key)
    return see_other(back)


@router.post("/t/{token}/fix-answer", dependencies=[CsrfDep], summary="Answer “Is it fixed?”")
async def answer_fix(request: Request, token: str, api: LinkApiDep, form: FixAnswerFormDep) -> Response:
    """Once per link, after closure; "Still broken" within 14 days files a follow-up whose link this browser keeps.
    A repeated answer (a double click) changes nothing: the page shows the answer recorded first."""
    limit_anonymous(request, "fix_answers")
    note = form.note if form.answer == "broken" else None
    recorded = await api.answer_fix(FixAnswerCreate(answer=form.answer, note=note), form.submission_key)
    response = see_other(f"{private_path(token)}?notice=answered#fixed")
    if recorded.follow_up is not None:
        keep_link(request, response, recorded.follow_up.token)
    return response


@router.post("/t/{token}/email", dependencies=[CsrfDep], summary="Get e-mail updates for this ticket")
async def subscribe(token: str, api: LinkApiDep, form: EmailFormDep) -> Response:
    """Leave an address for this ticket alone; it is never shown back, to anyone."""
    await api.subscribe(form.email)
    return see_other(f"{private_path(token)}?notice=email#email-updates")


@router.post("/t/{token}/email/stop", dependencies=[CsrfDep], summary="Stop e-mail updates for this ticket")
async def stop_email(token: str, api: LinkApiDep) -> Response:
    """Forget the address given for this ticket."""
    try:
        await api.stop_email()
    except NotFound:
        raise NotFound(NO_SUCH_TICKET) from None  # a wrong or revoked link: the missing-ticket page
    return see_other(f"{private_path(token)}?notice=email_stopped#email-updates")


@router.get("/t/{token}/photos/{photo_id}", summary="A photo, through its ticket's private link")
async def private_photo(photo_id: int, api: LinkApiDep) -> Response:
    """A photo of this ticket (also once closed); sandboxed, nosniff."""
    return photo_response(await api.photo(photo_id))


@router.get("/t/{token}/photos/{photo_id}/thumbnail", summary="A photo's thumbnail, through its ticket's link")
async def private_photo_thumbnail(photo_id: int, api: LinkApiDep) -> Response:
    return photo_response(await api.photo(photo_id, thumbnail=True))


@router.post("/tickets/{ticket_id}/follow", dependencies=[CsrfDep], summary="“This affects me too”")
async def follow_ticket(
    request: Request, ticket_id: int, role: RoleDep, api: TicketApiDep, form: FollowFormDep
) -> Response:
    """Follow an open or active ticket instead of filing a duplicate: it counts one more person affected,
    and this browser gets the ticket's private link (a double click follows once)."""
    if role != "user":
        raise PageError(403, "Not allowed for your role", "Simple users follow tickets; staff see them all.")
    limit_anonymous(request, "follows")
    link = await api.follow(ticket_id, form.submission_key)
    response = see_other(f"{private_path(link.token)}?notice=following")
    keep_link(request, response, link.token)
    return response


@router.get("/my-tickets", summary="My tickets")
async def my_tickets(request: Request) -> Response:
    """Exactly the tickets whose private links this browser keeps, with their status and unread answers."""
    tokens = kept_links(request)
    api = TicketApi(request.app.state.tickets, "user", request.app.state.recovery)
    found = await part(api.lookup(tokens), UpstreamUnavailable)
    items = [(tokens[item.position], item) for item in found.value.items] if found.value else []
    context = {"items": items, "error": found.error, "kept": len(tokens), "role": current_role(request)}
    status, headers = (200, None) if found.error is None else (503, {"Retry-After": "2"})
    return render(request, "my_tickets.html", context, status=status, headers=headers)


def _unsubscribe_token(token: str) -> str:
    if not _TOKEN.fullmatch(token):
        raise NotFound(NO_SUCH_LINK)
    return token


NO_SUCH_LINK = "This unsubscribe link is not valid (it may have been copied only in part)."


@router.get("/unsubscribe/{token}", summary="Confirm stopping e-mail updates")
async def confirm_unsubscribe(request: Request, token: str) -> Response:
    """A page with one button: mail scanners open links, so a GET never unsubscribes."""
    return render(request, "unsubscribe.html", {"token": _unsubscribe_token(token), "done": None})


@router.post("/unsubscribe/{token}", summary="Stop e-mail updates (also RFC 8058 one-click)")
async def unsubscribe(request: Request, token: str) -> Response:
    """Stop the e-mail updates of this link. Also the target of `List-Unsubscribe-Post: List-Unsubscribe=One-Click`
    sent by a mail client without cookies, so this one route takes no CSRF token: stopping mail is all it can do."""
    api = TicketApi(request.app.state.tickets, "user", request.app.state.recovery)
    try:
        done = await api.unsubscribe(_unsubscribe_token(token))
    except NotFound:
        raise NotFound(NO_SUCH_LINK) from None
    return render(request, "unsubscribe.html", {"token": token, "done": done})


class _AnyRest(Convertor[str]):
    """The rest of a path, whatever it holds (Starlette's `path` stops at a decoded line break)."""

    regex = "(?s:.*)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("any_rest", _AnyRest())
# Last, so every address above is matched first. Anything else under a private prefix (a token cut, padded,
# with a slash or a line break inside or after it) answers like a wrong token: never the router's redirect
# to the address without its trailing slash, which would repeat whatever was typed in a Location header.
_ANY_METHOD = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]


@router.api_route("/t/{rest:any_rest}", methods=_ANY_METHOD, include_in_schema=False)
async def no_such_private_page(rest: str) -> Response:
    raise NotFound(NO_SUCH_TICKET)


@router.api_route("/unsubscribe/{rest:any_rest}", methods=_ANY_METHOD, include_in_schema=False)
async def no_such_unsubscribe_page(rest: str) -> Response:
    raise NotFound(NO_SUCH_LINK)
