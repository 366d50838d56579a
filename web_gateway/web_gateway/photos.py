"""Photos sent with a report or a message: each file is passed to the ticket service, which decodes it.

The gateway does not judge images (the ticket service recognises them by decoding the bytes);
it only counts the files and their size, so an obviously refused form costs no upload.
A refusal keeps the typed text: the form comes back with the reason (`InvalidForm`).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from campusdesk_common.contracts.places import MAX_PHOTO_BYTES, MAX_PHOTOS
from web_gateway.forms import InvalidForm
from web_gateway.ticket_api import PhotoBytes, TicketApi
from web_gateway.upstream import TooLarge, UpstreamRejected

PHOTO_FIELD = "photos"
# A photo is an image, never a document: opened directly, it can run nothing and load nothing.
PHOTO_HEADERS = {
    "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    # Only this browser may keep it: who may see a ticket's photos depends on the role and the ticket.
    "Cache-Control": "private, max-age=300",
}
CHUNK = 64 * 1024
_MB = MAX_PHOTO_BYTES // (1024 * 1024)
KEPT_NOTE = "Nothing was stored; your text is kept below, choose the photos again."


def chosen_files(form: object) -> list[UploadFile]:
    """The files of the photo field (a browser sends one empty, nameless part when none is chosen)."""
    getlist = getattr(form, "getlist", None)
    values = getlist(PHOTO_FIELD) if callable(getlist) else []
    return [v for v in values if isinstance(v, UploadFile) and (v.filename or (v.size or 0) > 0)]


async def _read_bounded(upload: UploadFile) -> bytes | None:
    """The file's bytes, or None when it is over the limit (read no further than the limit)."""
    chunks: list[bytes] = []
    size = 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > MAX_PHOTO_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def _name(upload: UploadFile, number: int) -> str:
    name = (upload.filename or "")[:80]
    return f"Photo {number} ({name})" if name else f"Photo {number}"


async def upload_photos(request: Request, api: TicketApi, field: str, submission_key: str | None) -> list[int]:
    """Send each chosen photo to the ticket service; their ids, or `InvalidForm` on `field` saying why."""
    files = chosen_files(await request.form())
    if len(files) > MAX_PHOTOS:
        raise InvalidForm(field, f"You chose {len(files)} photos; at most {MAX_PHOTOS} can be sent. {KEPT_NOTE}")
    contents = []
    for number, upload in enumerate(files, start=1):
        content = await _read_bounded(upload)
        if content is None:
            raise InvalidForm(field, f"{_name(upload, number)} is larger than {_MB} MB. {KEPT_NOTE}", status=413)
        if not content:
            raise InvalidForm(field, f"{_name(upload, number)} is empty. {KEPT_NOTE}")
        contents.append(content)
    ids = []
    for number, (upload, content) in enumerate(zip(files, contents, strict=True), start=1):
        # The form's one-time key per photo: a re-sent form stores each photo once.
        key = f"{submission_key}-photo-{number}" if submission_key else None
        try:
            ids.append((await api.upload_photo(content, key)).id)
        except UpstreamRejected as exc:
            status = 413 if isinstance(exc, TooLarge) else 422
            message = f"{_name(upload, number)} was refused: {exc.detail} {KEPT_NOTE}"
            raise InvalidForm(field, message, status=status) from None
    return ids


def photo_response(photo: PhotoBytes) -> Response:
    return Response(photo.content, media_type=photo.content_type, headers=PHOTO_HEADERS)
