"""The Places page (helpdesk): the campus directory, replacing it from a CSV file, and QR sheets to print.

The ticket service checks every row (`POST /places/preview`) and replaces the directory in one
transaction (`PUT /places`); the gateway only shows what it answers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response
from starlette.datastructures import UploadFile

from web_gateway.dependencies import CsrfDep, HelpdeskOnly, TicketApiDep
from web_gateway.errors import PageError
from web_gateway.places import qr_cards
from web_gateway.templating import render, see_other
from web_gateway.upstream import UpstreamRejected
from web_gateway.views import part

router = APIRouter()

# The ticket service takes a directory of up to 2,000,000 characters.
MAX_CSV_CHARACTERS = 2_000_000
MAX_CSV_BYTES = 4 * MAX_CSV_CHARACTERS


def _csv_text(content: bytes) -> str:
    if not content.strip():
        raise PageError(422, "Please choose a file", "Choose a CSV file of the campus directory to upload.")
    if len(content) > MAX_CSV_BYTES:
        raise PageError(413, "File too large", "A campus directory file is at most 2,000,000 characters.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PageError(
            422, "Unreadable file", "The file is not UTF-8 text: save it as “CSV UTF-8” and upload it again."
        ) from None
    if len(text) > MAX_CSV_CHARACTERS:
        raise PageError(413, "File too large", "A campus directory file is at most 2,000,000 characters.")
    return text


@router.get("/places", dependencies=[HelpdeskOnly])
async def places(
    request: Request,
    api: TicketApiDep,
    buildings: Annotated[int | None, Query(ge=0)] = None,
    rooms: Annotated[int | None, Query(ge=0)] = None,
    retired: Annotated[int | None, Query(ge=0)] = None,
) -> Response:
    """Helpdesk: the campus directory by building, the CSV upload, and each building's QR sheet."""
    directory = await part(api.directory())
    replaced = (buildings, rooms, retired) if None not in (buildings, rooms, retired) else None
    return render(request, "places.html", {"directory": directory, "replaced": replaced})


@router.post("/places/preview", dependencies=[CsrfDep, HelpdeskOnly])
async def preview_directory(request: Request, api: TicketApiDep) -> Response:
    """What the uploaded CSV would do, row by row; nothing is changed yet."""
    upload = (await request.form()).get("csv")
    content = await upload.read() if isinstance(upload, UploadFile) else b""
    csv = _csv_text(content)
    preview = await api.preview_directory(csv)
    return render(request, "places_preview.html", {"preview": preview, "csv": csv, "refused": None})


@router.post("/places", dependencies=[CsrfDep, HelpdeskOnly])
async def replace_directory(request: Request, api: TicketApiDep, csv: Annotated[str, Form()] = "") -> Response:
    """Replace the directory with the previewed CSV in one step; rooms tickets refer to are kept as retired."""
    text = _csv_text(csv.encode())
    try:
        done = await api.replace_directory(text)
    except UpstreamRejected as exc:
        # Show why, row by row, with the same file ready to fix.
        preview = await api.preview_directory(text)
        context = {"preview": preview, "csv": text, "refused": exc.detail}
        return render(request, "places_preview.html", context, status=422)
    return see_other(f"/places?buildings={done.buildings}&rooms={done.rooms}&retired={done.retired_rooms}")


@router.get("/places/{building}/qr", dependencies=[HelpdeskOnly])
async def qr_sheet(request: Request, building: str, api: TicketApiDep) -> Response:
    """An A4 sheet of QR codes to print, one per room of the building, each opening the report form there."""
    directory = await api.directory()
    found = next((b for b in directory.buildings if b.code == building), None)
    if found is None:
        raise PageError(404, "No such building", "There is no building with this code in the campus directory.")
    cards = qr_cards(found, request.app.state.settings.public_url)
    return render(request, "places_qr.html", {"building": found, "cards": cards})
