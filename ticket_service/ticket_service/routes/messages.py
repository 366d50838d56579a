"""Message routes: a ticket's thread."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.tickets import MessageCreate, MessagePage, MessageRead
from campusdesk_common.problems import problem_responses
from ticket_service import idempotency, service
from ticket_service.dependencies import (
    MAX_ID,
    IdempotencyKeyDep,
    ReadableTicketDep,
    ReadConnectionDep,
    RoleDep,
    TicketId,
    TicketRoute,
    UnitOfWorkDep,
)
from ticket_service.idempotency import StoredResponse
from ticket_service.routes.responses import created_message, json_response

router = APIRouter(prefix="/tickets/{ticket_id}/messages", tags=["messages"], route_class=TicketRoute)


@router.get("", response_model=MessagePage, responses=problem_responses(400, 404, 422, 503))
async def list_messages(
    ticket: ReadableTicketDep,
    connection: ReadConnectionDep,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only messages with a greater id.")] = None,
    limit: Annotated[int | None, Query(ge=1, le=1000, description="At most this many (default: all).")] = None,
) -> Response:
    """Read a ticket's thread, oldest first (`X-Private-Link` opens a closed ticket's thread to its holder)."""
    return json_response(await service.list_messages(connection, ticket["id"], after=after, limit=limit))


@router.post(
    "",
    status_code=201,
    response_model=MessageRead,
    responses=problem_responses(400, 404, 409, 413, 422, 503),
)
async def post_message(
    ticket_id: TicketId,
    payload: MessageCreate,
    role: RoleDep,
    uow: UnitOfWorkDep,
    idempotency_key: IdempotencyKeyDep = None,
) -> Response:
    """Post a message, with up to 3 photos from `POST /photos`, on an open or active ticket; it counts as activity."""
    scope = f"POST /tickets/{ticket_id}/messages"

    async def post(connection: AsyncConnection) -> StoredResponse:
        message = await service.post_message(
            connection, ticket_id, role=role, body=payload.body, photo_ids=payload.photo_ids
        )
        return created_message(message)

    request_hash = idempotency.fingerprint(scope, role, payload.model_dump())
    return await idempotency.run_once(uow, scope=scope, key=idempotency_key, request_hash=request_hash, produce=post)
