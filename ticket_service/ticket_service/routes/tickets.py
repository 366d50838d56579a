"""Ticket routes: report, list, read, change, and the history of a ticket."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.links import TicketCreated
from campusdesk_common.contracts.places import PlaceCode
from campusdesk_common.contracts.tickets import HistoryPage, TicketCreate, TicketPage, TicketRead, TicketUpdate
from campusdesk_common.problems import problem_responses
from campusdesk_common.vocabulary import Category, Status
from ticket_service import domain, idempotency, links, service
from ticket_service.dependencies import (
    IdempotencyKeyDep,
    IfMatchDep,
    LinkSecretDep,
    PredictDep,
    ReadableTicketDep,
    ReadConnectionDep,
    RoleDep,
    TicketId,
    TicketRoute,
    UnitOfWorkDep,
)
from ticket_service.idempotency import StoredResponse
from ticket_service.routes.responses import created_ticket, json_response, ticket_response

router = APIRouter(prefix="/tickets", tags=["tickets"], route_class=TicketRoute)

_ETAG = {"ETag": {"description": 'The ticket\'s version, `"<version>"`, for If-Match.', "schema": {"type": "string"}}}
_CREATED: dict[int | str, dict[str, Any]] = {
    201: {
        "description": "The ticket was created (or, for a retried Idempotency-Key, had been created).",
        "headers": {**_ETAG, "Location": {"description": "The new ticket's URL.", "schema": {"type": "string"}}},
    }
}
_WITH_ETAG: dict[int | str, dict[str, Any]] = {200: {"description": "The ticket.", "headers": _ETAG}}
_SEARCH_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


@router.post(
    "",
    status_code=201,
    response_model=TicketCreated,
    responses={**_CREATED, **problem_responses(400, 413, 422, 503)},
)
async def create_ticket(
    payload: TicketCreate,
    role: RoleDep,
    predict: PredictDep,
    uow: UnitOfWorkDep,
    secret: LinkSecretDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    """Report a problem, optionally with a room and photos: it opens with a category from its description.

    `room_code` must name a current room of the campus directory and `photo_ids` photos uploaded with
    `POST /photos` and not attached yet (a 422 names the one that is not). A `user` gets the
    ticket's private link (`private_link`, the only answer that carries its token; a retry with
    the same Idempotency-Key carries the same link).
    """
    prediction = await predict(payload.description)  # before the transaction: it holds no lock meanwhile

    async def create(connection: AsyncConnection) -> StoredResponse:
        ticket, link = await service.create_ticket(connection, payload, role=role, prediction=prediction, secret=secret)
        return created_ticket(ticket, link)

    scope = "POST /tickets"
    request_hash = idempotency.fingerprint(scope, role, payload.model_dump())
    return await idempotency.run_once(
        uow,
        scope=scope,
        key=idempotency_key,
        request_hash=request_hash,
        produce=create,
        reveal=links.revealer(secret),
    )


@router.get("", response_model=TicketPage, responses=problem_responses(400, 422, 503))
async def list_tickets(
    role: RoleDep,
    connection: ReadConnectionDep,
    status: Annotated[list[Status] | None, Query(description="Only these statuses (repeatable).")] = None,
    category: Annotated[list[Category] | None, Query(description="Only these categories (repeatable).")] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            pattern=_SEARCH_TEXT,
            description="Text in the description, or in the code or name of the room or building, any case.",
        ),
    ] = None,
    room: Annotated[PlaceCode | None, Query(description="Only tickets at this room (by code).")] = None,
    building: Annotated[PlaceCode | None, Query(description="Only tickets in this building (by code).")] = None,
    limit: Annotated[int, Query(ge=1, le=200, description="Tickets per page.")] = 50,
    cursor: Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")] = None,
    sort: Annotated[
        service.TicketSort,
        Query(description="`activity`: newest activity first; `affected`: most people affected first, then newest."),
    ] = "activity",
    min_affected: Annotated[
        int | None,
        Query(ge=1, le=service.MAX_AFFECTED, description="Only tickets affecting at least this many people."),
    ] = None,
) -> Response:
    """List tickets, newest activity first (or most people affected first); a `user` never sees closed ones.

    A cursor continues only the sort it was issued for.
    """
    page = await service.list_tickets(
        connection,
        role=role,
        statuses=status,
        categories=category,
        q=q,
        cursor=cursor,
        limit=limit,
        room=room,
        building=building,
        sort=sort,
        min_affected=min_affected,
    )
    return json_response(page)


@router.get(
    "/{ticket_id}", response_model=TicketRead, responses={**_WITH_ETAG, **problem_responses(400, 404, 422, 503)}
)
async def get_ticket(ticket: ReadableTicketDep, connection: ReadConnectionDep) -> Response:
    """Read one ticket with its place and photos (404 for a `user` asking for a closed one).

    With `X-Private-Link`, the ticket that link opens, in any status; any other token is a 404.
    """
    return ticket_response(await service.ticket_read(connection, ticket))


@router.patch(
    "/{ticket_id}",
    response_model=TicketRead,
    responses={**_WITH_ETAG, **problem_responses(400, 403, 404, 409, 412, 413, 422, 503)},
)
async def update_ticket(
    ticket_id: TicketId,
    changes: TicketUpdate,
    role: RoleDep,
    if_match: IfMatchDep,
    predict: PredictDep,
    request: Request,
    uow: UnitOfWorkDep,
) -> Response:
    """Change the description (`user`), or the status or category (`helpdesk`)."""
    new_text = changes.description if role == "user" else None
    prediction = await predict(new_text) if new_text is not None else None
    change = domain.RequestedChange(
        changes.description, changes.status, changes.category, *(prediction or (None, None))
    )
    on_correction = request.app.state.retrainer.correction_recorded
    updated = await service.update_ticket(
        uow, ticket_id, role=role, change=change, if_match=if_match, on_correction=on_correction
    )
    return ticket_response(updated)


@router.get("/{ticket_id}/history", response_model=HistoryPage, responses=problem_responses(400, 404, 422, 503))
async def get_history(ticket: ReadableTicketDep, connection: ReadConnectionDep) -> Response:
    """Every change to a ticket (previous values kept), oldest first (`X-Private-Link` as for the ticket)."""
    return json_response(await service.history(connection, ticket["id"]))
