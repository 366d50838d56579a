"""Issue 15 in Debian's Chromium against the five real services: a campus directory loaded on the Places
page, a report from a QR address with a GPS-tagged photo, refused uploads that keep the text and store
nothing, the recurring-problems panel and badge, and a directory replacement that keeps every ticket's place."""

from __future__ import annotations

import io
import re
import struct
import uuid
import zlib
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from PIL import ExifTags, Image

from campusdesk_common.contracts.places import MAX_PHOTO_SIDE
from campusdesk_common.contracts.tickets import TicketPage, TicketRead
from tests.browser.conftest import Stack

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect
# A reporter lands on the ticket's private page (/t/<token>): its number is in the heading.
TICKET_HEADING = re.compile(r"Ticket #(\d+)")
HELPDESK = {"X-Role": "helpdesk"}
USER = {"X-Role": "user"}
# Codes of their own, so this module's directory cannot be mistaken for another's.
TAG = uuid.uuid4().hex[:4].upper()
QR_ROOM = f"Q{TAG}-101"
OTHER_ROOM = f"Q{TAG}-102"
BUILDING = f"Q{TAG}"
DIRECTORY = (
    "building_code,building_name,floor,room_code,room_name\n"
    f"{BUILDING},Quad building {TAG},1,{QR_ROOM},Washroom by the lifts\n"
    f"{BUILDING},Quad building {TAG},1,{OTHER_ROOM},Seminar room\n"
)
WITHOUT_QR_ROOM = DIRECTORY.replace(f"{BUILDING},Quad building {TAG},1,{QR_ROOM},Washroom by the lifts\n", "")


# --- files -------------------------------------------------------------------------------------


def jpeg_with_gps() -> bytes:
    """A 3000x2000 JPEG whose EXIF carries the camera and a GPS position (what phones write)."""
    image = Image.new("RGB", (3000, 2000), (90, 140, 200))
    for x in range(0, 3000, 100):  # some detail, so the encoder has something to keep
        image.paste((250, 200, 40), (x, 0, x + 50, 2000))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "CampusPhone"
    exif[ExifTags.Base.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (45.0, 28.0, 12.5),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (9.0, 11.0, 2.0),
    }
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif)
    data = out.getvalue()
    # The file really carries the position, so a served copy without it proves it was removed.
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    return data


def decompression_bomb_png(side: int = 30_000) -> bytes:
    """A valid 1-bit PNG of side x side pixels (900 million) that weighs about a hundred kilobytes."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    row = b"\x00" * (1 + (side + 7) // 8)  # filter byte + one bit per pixel
    compressor = zlib.compressobj(9)
    block = row * 1000
    idat = b"".join(compressor.compress(block) for _ in range(side // 1000))
    idat += compressor.compress(row * (side % 1000)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


# --- the API, to check what the pages did -------------------------------------------------------


def count_tickets(stack: Stack) -> int:
    total, cursor = 0, None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = httpx.get(f"{stack.ticket_url}/tickets", params=params, headers=HELPDESK, timeout=30)
        page = TicketPage.model_validate_json(response.content)
        total += len(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return total


def ticket(stack: Stack, ticket_id: int) -> TicketRead:
    response = httpx.get(f"{stack.ticket_url}/tickets/{ticket_id}", headers=HELPDESK, timeout=30)
    assert response.status_code == 200, response.text
    return TicketRead.model_validate_json(response.content)


def file_at(stack: Stack, room_code: str, description: str) -> int:
    """Another report at the room, through the API (the page's own path is tested above)."""
    created = httpx.post(
        f"{stack.ticket_url}/tickets",
        json={"description": description, "room_code": room_code},
        headers=USER,
        timeout=60,
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def file_under_facility_management(stack: Stack, ticket_id: int) -> None:
    """The category is the model's guess: staff set it, so three reports surely share one."""
    current = ticket(stack, ticket_id)
    if current.category == "facility_management":
        return
    response = httpx.patch(
        f"{stack.ticket_url}/tickets/{ticket_id}",
        json={"category": "facility_management"},
        headers={**HELPDESK, "If-Match": f'"{current.version}"'},
        timeout=30,
    )
    assert response.status_code == 200, response.text


# --- the pages -----------------------------------------------------------------------------------


def replace_directory(page: Any, csv_text: str) -> None:
    """Places page: upload, look at the preview, replace."""
    page.goto("/places")
    page.get_by_label("Directory file (CSV)").set_input_files(
        files=[{"name": "campus.csv", "mimeType": "text/csv", "buffer": csv_text.encode()}]
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Check the directory file")).to_be_visible()
    page.get_by_role("button", name="Replace the directory").click()
    page.wait_for_url(re.compile(r"/places\?"))


def start_report(page: Any, room_code: str, description: str) -> None:
    """The QR sticker's address, then the person's words."""
    page.goto(f"/report?room={room_code}")
    expect(page.get_by_label("Where?")).to_have_value(room_code)
    page.get_by_label("Description").fill(description)


def expect_refused_with_text_kept(page: Any, description: str, room_code: str) -> None:
    error = page.locator("#photos-error")
    expect(error).to_be_visible()
    assert len(error.inner_text().strip()) > 10, error.inner_text()
    expect(page.get_by_label("Description")).to_have_value(description)
    expect(page.get_by_label("Where?")).to_have_value(room_code)


def test_directory_qr_report_photo_refusals_recurring_and_retired_place(
    open_page: Callable[..., Any], stack: Stack
) -> None:
    staff = open_page("helpdesk")
    replace_directory(staff, DIRECTORY)
    expect(staff.get_by_role("heading", name=re.compile(f"Quad building {TAG}"))).to_be_visible()

    user = open_page("user")
    description = f"The washroom tap by the lifts is leaking onto the floor ({TAG})"
    start_report(user, QR_ROOM, description)
    user.get_by_label("Photos").set_input_files(
        files=[{"name": "IMG_0042.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps()}]
    )
    user.get_by_role("button", name="Submit ticket").click()
    expect(user.get_by_text("Your ticket has been submitted")).to_be_visible()
    found = TICKET_HEADING.search(user.get_by_role("heading", level=1).inner_text())
    assert found, user.url
    first = int(found.group(1))
    expect(user.locator("#ticket-place")).to_contain_text(f"Washroom by the lifts ({QR_ROOM})")

    # The full-size photo, as the page links it: decodes, no EXIF at all (so no GPS), at most 2048 px.
    link = user.get_by_role("link", name=re.compile("Photo 1 of the report"))
    served = user.request.get(link.get_attribute("href"))
    assert served.status == 200
    assert served.headers["content-type"] in ("image/jpeg", "image/png", "image/webp")
    assert served.headers["x-content-type-options"] == "nosniff"
    photo = Image.open(io.BytesIO(served.body()))
    photo.load()
    assert max(photo.size) <= MAX_PHOTO_SIDE
    assert abs(photo.size[0] / photo.size[1] - 1.5) < 0.01
    assert len(photo.getexif()) == 0 and "exif" not in photo.info
    assert not photo.getexif().get_ifd(ExifTags.IFD.GPSInfo)

    # A text file named .jpg and a decompression bomb: refused, text kept, nothing stored.
    before = count_tickets(stack)
    refused_text = f"The hand dryer next to it is broken too ({TAG})"
    for name, mime, body in (
        ("photo.jpg", "image/jpeg", b"Just some text, not a picture at all.\n" * 20),
        ("bomb.png", "image/png", decompression_bomb_png()),
    ):
        start_report(user, QR_ROOM, refused_text)
        user.get_by_label("Photos").set_input_files(files=[{"name": name, "mimeType": mime, "buffer": body}])
        user.get_by_role("button", name="Submit ticket").click()
        expect_refused_with_text_kept(user, refused_text, QR_ROOM)
    assert count_tickets(stack) == before

    # Recurring problems: two reports at the room are not yet a pattern; the third is.
    second = file_at(stack, QR_ROOM, f"The washroom floor by the lifts is flooded again ({TAG})")
    for ticket_id in (first, second):
        file_under_facility_management(stack, ticket_id)
    staff.goto("/analytics")
    expect(staff.locator("#recurring-panel")).to_be_visible()
    expect(staff.locator("#recurring-panel")).not_to_contain_text(QR_ROOM)
    third = file_at(stack, QR_ROOM, f"Water all over the washroom floor by the lifts ({TAG})")
    file_under_facility_management(stack, third)
    staff.goto("/analytics")
    row = staff.locator("#recurring-table tr", has_text=QR_ROOM)
    expect(row).to_contain_text("Facility management")
    for ticket_id in (first, second, third):
        expect(row.get_by_role("link", name=f"#{ticket_id}")).to_have_attribute("href", f"/tickets/{ticket_id}")
    staff.goto(f"/tickets/{first}")
    expect(staff.get_by_role("link", name="Recurring")).to_be_visible()

    # Replacing the directory without the room keeps it for its tickets, marked retired.
    replace_directory(staff, WITHOUT_QR_ROOM)
    for ticket_id in (first, second, third):
        place = ticket(stack, ticket_id).place
        assert place is not None and place.room.room_code == QR_ROOM and place.room.retired
    staff.goto(f"/tickets/{first}")
    expect(staff.locator("#ticket-place")).to_contain_text(f"Washroom by the lifts ({QR_ROOM})")
    expect(staff.locator("#ticket-place .badge")).to_have_text("retired")
    assert staff.csp_violations == [] and user.csp_violations == []
