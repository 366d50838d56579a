"""Private link routes: follow a ticket, and what the holder of a link sees and answers.

The token travels in the `X-Private-Link` header only, never in a path, so no access log holds it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.links import (
    FixAnswerCreate,
    FixAnswerRead,
    LinkedTickets,
    LinkLookup,
    LinkState,
    PrivateLink,
    SeenUpdate,
)
from campusdesk_common.problems import Forbidden, problem_responses
from ticket_service import idempotency, link_actions, links
from ticket_service.dependencies import (
    IdempotencyKeyDep,
    LinkSecretDep,
    PrivateLinkDep,
    ReadConnectionDep,
    RoleDep,
    TicketId,
    TicketRoute,
    UnitOfWorkDep,
)
from ticket_service.idempotency import StoredResponse
from ticket_service.routes.responses import created_link, json_response
from ticket_service.service import utcnow

router = APIRouter(tags=["private links"], route_class=TicketRoute)

_ANSWER_REPEATED: dict[int | str, dict[str, Any]] = {
    200: {"description": "This link had answered already: its first answer.", "model": FixAnswerRead},
}


def _email_available(request: Request) -> bool:
    return bool(getattr(request.app.state, "mail_enabled", False))


@router.post(
    "/tickets/{ticket_id}/followers",
    status_code=201,
    response_model=PrivateLink,
    responses=problem_responses(400, 403, 404, 413, 422, 503),
)
async def follow_ticket(
    ticket_id: TicketId,
    role: RoleDep,
    uow: UnitOfWorkDep,
    secret: LinkSecretDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    """“This affects me too” (`user`): count one more person affected and get the ticket's private link.

    Only an open or active ticket can be followed (a closed one is a 404, as for every `user`).
    Send an Idempotency-Key so that a double click counts once: the retry gets the same link.
    """
    if role != "user":
        raise Forbidden("Only a `user` says “This affects me too”.", slug="followers-are-users")
    scope = f"POST /tickets/{ticket_id}/followers"

    async def follow(connection: AsyncConnection) -> StoredResponse:
        return created_link(await link_actions.follow(connection, secret, ticket_id, now=utcnow()))

    request_hash = idempotency.fingerprint(scope, role, None)
    return await idempotency.run_once(
        uow,
        scope=scope,
        key=idempotency_key,
        request_hash=request_hash,
        produce=follow,
        reveal=links.revealer(secret),
    )


@router.get("/links/self", response_model=LinkState, responses=problem_responses(404, 503))
async def get_link_state(request: Request, token: PrivateLinkDep, connection: ReadConnectionDep) -> Response:
    """The link in `X-Private-Link`: unread answers, “Is it fixed?”, e-mail updates (404 for any other token)."""
    link = await link_actions.live_link(connection, token)
    state = await link_actions.link_state(connection, link, email_available=_email_available(request))
    return json_response(state)


@router.put("/links/self/seen", response_model=LinkState, responses=problem_responses(400, 404, 413, 422, 503))
async def mark_seen(request: Request, payload: SeenUpdate, token: PrivateLinkDep, uow: UnitOfWorkDep) -> Response:
    """The holder has read the thread up to `message_id`: it only moves forward (to the newest message at most)."""
    connection = await uow.connection()
    link = await link_actions.live_link(connection, token)
    await links.mark_seen(connection, link, payload.message_id)
    updated = await links.by_id(connection, link["id"])
    assert updated is not None
    return json_response(await link_actions.link_state(connection, updated, email_available=_email_available(request)))


@router.post("/links/lookup", response_model=LinkedTickets, responses=problem_responses(400, 413, 422, 503))
async def lookup_links(payload: LinkLookup, connection: ReadConnectionDep) -> Response:
    """“My tickets”: the tickets of the tokens a browser keeps, newest activity first, closed ones included.

    Tokens that are unknown or revoked are left out; the answer names each item's token by its position.
    """
    return json_response(await link_actions.lookup(connection, payload.tokens))


@router.post(
    "/links/self/fix-answer",
    status_code=201,
    response_model=FixAnswerRead,
    responses={**_ANSWER_REPEATED, **problem_responses(400, 404, 409, 413, 422, 503)},
)
async def answer_fix(
    payload: FixAnswerCreate, token: PrivateLinkDep, uow: UnitOfWorkDep, secret: LinkSecretDep
) -> Response:
    """“Is it fixed?”, once per link, after closure (before: 409). A repeated answer gets the first one (200).

    `broken` within 14 days of closure files one follow-up ticket (`follows_up` = the closed one; its
    description is `note`, or names the closed ticket) with its own private link for this holder;
    the closed ticket itself does not change.
    """
    connection = await uow.connection()
    link = await link_actions.live_link(connection, token)
    outcome = await link_actions.answer_fix(connection, secret, link, payload, now=utcnow())
    return json_response(outcome.answer, status_code=201 if outcome.first else 200)
