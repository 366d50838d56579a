"""Photo routes: upload one (re-encoded without metadata), and serve it to whoever may see its ticket."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.places import MAX_PHOTO_BYTES, PhotoRef
from campusdesk_common.problems import InvalidInput, NotFound, problem_responses
from ticket_service import domain, idempotency, links, photo_store
from ticket_service.dependencies import (
    MAX_ID,
    IdempotencyKeyDep,
    PrivateLinkDep,
    ReadConnectionDep,
    RoleDep,
    UnitOfWorkDep,
)
from ticket_service.idempotency import StoredResponse
from ticket_service.photos import process_photo
from ticket_service.service import utcnow

router = APIRouter(prefix="/photos", tags=["photos"])

# Decoding a large photo takes a few hundred MB for a moment: at most this many at once per process.
PHOTO_SLOTS = 2
PhotoId = Annotated[int, Path(ge=1, le=MAX_ID, description="The photo's id, from `POST /photos`.")]
_SERVED_TYPES = ("image/jpeg", "image/png", "image/webp")
_BINARY = {"schema": {"type": "string", "format": "binary"}}
# The bytes are served as what they are and can never become a page that runs script.
_SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "private",
    "Content-Disposition": "inline",
}
_SERVED: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The image bytes, with the type they were re-encoded to.",
        "content": {media: _BINARY for media in _SERVED_TYPES},
    }
}


def _slots(request: Request) -> asyncio.Semaphore:
    slots: asyncio.Semaphore | None = getattr(request.app.state, "photo_slots", None)
    if slots is None:
        slots = request.app.state.photo_slots = asyncio.Semaphore(PHOTO_SLOTS)
    return slots


@router.post(
    "",
    status_code=201,
    response_model=PhotoRef,
    responses={
        201: {"headers": {"Location": {"description": "The photo's URL.", "schema": {"type": "string"}}}},
        **problem_responses(400, 413, 422, 503),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "description": f"The image file itself, at most {MAX_PHOTO_BYTES // (1024 * 1024)} MiB, any declared "
            "type: JPEG, PNG, WebP or HEIC is recognised by decoding it.",
            "content": {"application/octet-stream": _BINARY, "image/*": _BINARY},
        }
    },
)
async def upload_photo(
    request: Request, role: RoleDep, uow: UnitOfWorkDep, idempotency_key: IdempotencyKeyDep = None
) -> Response:
    """Upload a photo for a report or message to come: it is re-encoded (no EXIF or GPS), at most 2048 px.

    It stays unattached until `POST /tickets` or a message lists its id in `photo_ids`; an upload
    nobody attaches within an hour is deleted. A retry with the same Idempotency-Key and the same
    bytes answers the first upload again.
    """
    raw = await request.body()
    if not raw:
        raise InvalidInput("The request body is empty: send the image file itself.", slug="not-an-image")
    async with _slots(request):
        photo = await asyncio.to_thread(process_photo, raw)  # CPU-bound: never on the event loop

    async def store(connection: AsyncConnection) -> StoredResponse:
        stored = await photo_store.store(connection, photo, now=utcnow())
        return StoredResponse(201, stored.model_dump_json(), f"/photos/{stored.id}")

    scope = "POST /photos"
    request_hash = idempotency.fingerprint(scope, role, hashlib.sha256(raw).hexdigest())
    return await idempotency.run_once(uow, scope=scope, key=idempotency_key, request_hash=request_hash, produce=store)


async def _serve(
    connection: ReadConnectionDep, role: str, photo_id: int, private_link: str | None, *, thumbnail: bool
) -> Response:
    found = await photo_store.find_for_serving(connection, photo_id, thumbnail=thumbnail, now=utcnow())
    # An attached photo is seen by whoever may see its ticket; an unattached one (within its hour)
    # by whoever knows its random id, i.e. the uploader. A private link shows the photos of its own
    # ticket in any status, and nothing else.
    if private_link is not None:
        visible = (
            found is not None
            and found["ticket_id"] is not None
            and await links.opens_ticket(connection, found["ticket_id"], private_link)
        )
    else:
        visible = found is not None and (found["ticket_id"] is None or domain.can_see(role, found["status"]))
    if not visible:
        raise NotFound(f"There is no photo {photo_id}.", slug="photo-not-found")
    assert found is not None
    return Response(found["data"], media_type=found["content_type"], headers=_SAFE_HEADERS)


@router.get("/{photo_id}", response_class=Response, responses={**_SERVED, **problem_responses(400, 404, 422, 503)})
async def get_photo(
    photo_id: PhotoId, role: RoleDep, connection: ReadConnectionDep, private_link: PrivateLinkDep
) -> Response:
    """The photo (404 for a `user` when its ticket is closed, unless `X-Private-Link` opens that ticket)."""
    return await _serve(connection, role, photo_id, private_link, thumbnail=False)


@router.get(
    "/{photo_id}/thumbnail", response_class=Response, responses={**_SERVED, **problem_responses(400, 404, 422, 503)}
)
async def get_thumbnail(
    photo_id: PhotoId, role: RoleDep, connection: ReadConnectionDep, private_link: PrivateLinkDep
) -> Response:
    """The photo's thumbnail, at most 320 px (as the photo: `X-Private-Link` opens its own ticket's photos)."""
    return await _serve(connection, role, photo_id, private_link, thumbnail=True)
