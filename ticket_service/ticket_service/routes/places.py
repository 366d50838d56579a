"""Campus directory routes: read and search it (anyone), preview and replace it (the helpdesk)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from campusdesk_common.contracts.places import (
    DirectoryPreview,
    DirectoryReplaced,
    DirectoryUpload,
    PlaceDirectory,
    RoomMatches,
)
from campusdesk_common.problems import Forbidden, problem_responses
from ticket_service import places
from ticket_service.dependencies import ReadConnectionDep, RoleDep, TicketRoute, UnitOfWorkDep
from ticket_service.routes.responses import json_response

router = APIRouter(prefix="/places", tags=["places"], route_class=TicketRoute)

_SEARCH_TEXT = r"^[^\x00-\x1f\x7f]*$"


async def _helpdesk(role: RoleDep) -> None:
    if role != "helpdesk":
        raise Forbidden("Only the helpdesk manages the campus directory.", slug="role-may-not-manage-places")


HelpdeskOnly = Depends(_helpdesk)


@router.get("", response_model=PlaceDirectory, responses=problem_responses(503))
async def get_directory(connection: ReadConnectionDep) -> Response:
    """The campus directory: buildings by code, each with its current rooms by floor (no `X-Role` needed)."""
    return json_response(await places.directory(connection))


@router.get("/rooms", response_model=RoomMatches, responses=problem_responses(422, 503))
async def search_rooms(
    connection: ReadConnectionDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=100,
            pattern=_SEARCH_TEXT,
            description="Words each found, in any case, in the room's or its building's code or name.",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=50, description="At most this many rooms.")] = 10,
) -> Response:
    """Current rooms matching a text, best first: the exact code, then codes and names starting with it."""
    if not q.strip():
        return json_response(RoomMatches(items=[]))
    return json_response(await places.search_rooms(connection, q, limit=limit))


@router.post(
    "/preview",
    response_model=DirectoryPreview,
    dependencies=[HelpdeskOnly],
    responses=problem_responses(400, 403, 413, 422, 503),
)
async def preview_directory(upload: DirectoryUpload, connection: ReadConnectionDep) -> Response:
    """Check a directory CSV row by row and say what replacing would do; nothing changes (`helpdesk`)."""
    return json_response(await places.preview(connection, upload.csv))


@router.put(
    "",
    response_model=DirectoryReplaced,
    dependencies=[HelpdeskOnly],
    responses=problem_responses(400, 403, 413, 422, 503),
)
async def replace_directory(upload: DirectoryUpload, uow: UnitOfWorkDep) -> Response:
    """Replace the directory in one transaction (`helpdesk`); rooms tickets refer to stay, retired.

    An upload with any error is a 422 whose `errors` list every problem (as the preview does), and
    nothing changes.
    """
    return json_response(await places.replace(await uow.connection(), upload.csv))
