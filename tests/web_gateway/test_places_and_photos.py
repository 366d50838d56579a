"""Issue 15 through the gateway: the Places page, "Where?" on the report form, QR addresses and sheets, photos."""

from __future__ import annotations

import re

import httpx
from markupsafe import escape

from campusdesk_common.contracts.places import MAX_PHOTO_BYTES
from tests.web_gateway.conftest import Browser
from tests.web_gateway.fake_places import DEMO_CSV, TINY_PNG
from tests.web_gateway.fakes import FakeTicketService
from web_gateway.body_limits import FORM_BYTES, PHOTO_FORM_BYTES
from web_gateway.places import qr_svg

HTMX = {"HX-Request": "true"}
KEY = "0123456789abcdef0123456789abcdef"


def report(description: str, where: str = "", note: str = "") -> dict[str, str]:
    return {"description": description, "where": where, "place_note": note, "submission_key": KEY}


def png(name: str = "leak.png") -> tuple[str, tuple[str, bytes, str]]:
    return ("photos", (name, TINY_PNG, "image/png"))


async def test_the_places_page_shows_the_directory_by_building_for_staff_only(
    helpdesk: Browser, gateway: httpx.AsyncClient
) -> None:
    page = await helpdesk.get("/places")
    assert page.status_code == 200
    assert '<a href="/places">Places</a>' in page.text
    assert "Laboratory building" in page.text
    assert "Library reading room" in page.text
    assert 'href="/places/MAIN/qr"' in page.text
    gateway.cookies.set("campusdesk_role", "user")
    assert (await gateway.get("/places")).status_code == 403


async def test_a_csv_with_errors_is_previewed_row_by_row_and_cannot_replace(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    before = dict(fake_tickets.places.rooms)
    bad = DEMO_CSV + "LAB,Laboratory building,1,LAB 101,Broken code\nLAB,Laboratory building,1,MAIN-101,Twice\n"
    response = await helpdesk.post("/places/preview", files=[("csv", ("campus.csv", bad.encode(), "text/csv"))])
    assert response.status_code == 200
    assert "2 rows with an error" in response.text
    assert "A code has no spaces." in response.text
    assert "Room code MAIN-101 appears twice." in response.text
    assert "Replace the directory" not in response.text
    assert fake_tickets.places.rooms == before


async def test_a_valid_csv_replaces_the_directory_and_rooms_in_use_are_kept_as_retired(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    created = await helpdesk.post("/tickets", report("Projector broken", where="MAIN-101"))
    assert created.status_code == 303
    new_csv = "building_code,building_name,floor,room_code,room_name\nSCI,Science hall,3,SCI-301,Physics lab\n"
    preview = await helpdesk.post("/places/preview", files=[("csv", ("campus.csv", new_csv.encode(), "text/csv"))])
    assert "The file is valid: 1 building and 1 room." in preview.text
    assert "kept as retired (tickets refer to them): MAIN-101." in preview.text
    hidden = re.search(r'name="csv" value="([^"]*)"', preview.text)
    assert hidden is not None
    replaced = await helpdesk.post("/places", {"csv": hidden.group(1).replace("&#10;", "\n")})
    assert replaced.status_code == 303
    assert replaced.headers["location"] == "/places?buildings=1&rooms=1&retired=1"
    page = await helpdesk.get(replaced.headers["location"])
    assert "1 building and 1 room; 1 room was left out but kept as retired" in page.text
    assert "Physics lab" in page.text
    assert "Library reading room" not in page.text
    ticket_page = await helpdesk.get("/tickets/1")
    assert re.search(r"Lecture hall 101 \(MAIN-101\) <span class=\"badge retired\">retired</span>", ticket_page.text)


async def test_where_resolves_an_exact_code_or_a_single_match_and_the_place_shows_everywhere(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    by_code = await user.post("/tickets", report("Heating off", where="main-101", note="next to the vending machine"))
    assert by_code.status_code == 303
    by_name = await user.post("/tickets", report("Tap leaks", where="chemistry") | {"submission_key": KEY[::-1]})
    assert by_name.status_code == 303
    first, second = fake_tickets.tickets[1], fake_tickets.tickets[2]
    assert first.place is not None and first.place.room.room_code == "MAIN-101"
    assert first.place.note == "next to the vending machine"
    assert second.place is not None and second.place.room.room_code == "LAB-G01"
    page = await user.get("/tickets/1")
    assert "Lecture hall 101 (MAIN-101), Main building (MAIN), floor 1" in page.text
    assert "“next to the vending machine”" in page.text
    listed = await user.get("/tickets")
    assert "Chemistry lab (LAB-G01), Laboratory building (LAB), floor G" in listed.text


async def test_an_ambiguous_or_unknown_place_is_a_422_that_keeps_everything_typed(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    typed = report("The window does not close", where="library", note="by the stairs")
    response = await user.post("/tickets", typed)
    assert response.status_code == 422
    assert str(escape("Several rooms match “library”")) in response.text
    assert "<strong>MAIN-201</strong>: Library reading room" in response.text
    assert "<strong>MAIN-202</strong>: Library study room" in response.text
    assert ">The window does not close</textarea>" in response.text
    assert 'value="library"' in response.text
    assert 'value="by the stairs"' in response.text
    assert f'value="{KEY}"' in response.text
    unknown = await user.post("/tickets", report("Broken door", where="Mars base"))
    assert unknown.status_code == 422
    assert str(escape("No room matches “Mars base”")) in unknown.text
    assert fake_tickets.tickets == {}


async def test_the_type_ahead_is_a_datalist_fragment_with_a_spoken_count(user: Browser) -> None:
    page = await user.get("/tickets/new")
    assert 'list="room-options"' in page.text
    assert 'hx-get="/places/rooms"' in page.text
    assert 'enctype="multipart/form-data"' in page.text
    fragment = await user.get("/places/rooms?where=library", headers=HTMX)
    assert fragment.status_code == 200
    assert '<option value="MAIN-201">Library reading room · Main building, floor 2</option>' in fragment.text
    assert re.search(r'<p id="room-count" [^>]*aria-live="polite" hx-swap-oob="true">2 rooms match', fragment.text)


async def test_a_qr_address_fills_in_the_room_and_an_unknown_one_says_so(user: Browser) -> None:
    known = await user.get("/report?room=LAB-G01")
    assert known.status_code == 200
    assert 'value="LAB-G01"' in known.text
    assert "Place: Chemistry lab (LAB-G01), Laboratory building, floor G" in known.text
    unknown = await user.get("/report?room=NOPE-1")
    assert unknown.status_code == 200
    assert "names a room that is not in the campus directory" in unknown.text
    assert 'id="where" name="where" type="text" list="room-options" autocomplete="off" maxlength="200" value=""' in (
        unknown.text
    )


async def test_a_qr_address_without_a_role_asks_for_one_then_comes_back(browser: Browser) -> None:
    entry = await browser.get("/report?room=MAIN-101")
    assert entry.status_code == 200
    assert 'name="next" value="/report?room=MAIN-101"' in entry.text
    chosen = await browser.post("/role", {"role": "user", "next": "/report?room=MAIN-101"})
    assert chosen.headers["location"] == "/report?room=MAIN-101"
    elsewhere = await browser.post("/role", {"role": "user", "next": "//evil.example/report"})
    assert elsewhere.headers["location"] == "/tickets/new"


async def test_the_qr_sheet_has_one_svg_per_room_for_the_configured_public_address(
    helpdesk: Browser, gateway: httpx.AsyncClient
) -> None:
    sheet = await helpdesk.get("/places/MAIN/qr", headers={"Host": "evil.example"})
    assert sheet.status_code == 200
    assert sheet.text.count('class="qr-card"') == 3
    for code in ("MAIN-101", "MAIN-201", "MAIN-202"):
        url = f"http://127.0.0.1:8000/report?room={code}"
        assert f"Address: {url}" in sheet.text
        assert str(qr_svg(url)) in sheet.text
    assert "evil.example" not in sheet.text
    css = (await gateway.get("/static/campusdesk.css")).text
    assert "@page { size: A4;" in css
    assert (await helpdesk.get("/places/NOPE/qr")).status_code == 404


async def test_photos_go_with_a_report_and_are_served_with_the_role_and_safe_headers(
    user: Browser, gateway: httpx.AsyncClient, fake_tickets: FakeTicketService
) -> None:
    response = await user.post("/tickets", report("Leak in the ceiling"), files=[png(), png("second.png")])
    assert response.status_code == 303
    ticket = fake_tickets.tickets[1]
    assert [p.id for p in ticket.photos] == [1, 2]
    page = await user.get("/tickets/1")
    assert '<a href="/photos/1" hx-boost="false"' in page.text
    assert 'src="/photos/1/thumbnail"' in page.text
    assert 'alt="Photo 2 of the report (opens the full photo)"' in page.text
    photo = await user.get("/photos/1")
    assert photo.status_code == 200
    assert photo.content == TINY_PNG
    assert photo.headers["content-type"] == "image/png"
    assert photo.headers["x-content-type-options"] == "nosniff"
    assert photo.headers["content-security-policy"].startswith("sandbox;")
    assert photo.headers["cache-control"].startswith("private")
    assert [r.headers["x-role"] for r in fake_tickets.requests if r.url.path == "/photos/1"] == ["user"]
    assert (await user.get("/photos/2/thumbnail")).status_code == 200
    fake_tickets.tickets[1] = ticket.model_copy(update={"status": "closed"})
    assert (await user.get("/photos/1")).status_code == 404
    gateway.cookies.set("campusdesk_role", "helpdesk")
    assert (await gateway.get("/photos/1")).status_code == 200


async def test_a_refused_photo_is_a_page_that_says_why_and_keeps_the_text(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    typed = report("Broken lamp", where="MAIN-101", note="left of the board")
    text_file = ("photos", ("lamp.jpg", b"this is not an image", "image/jpeg"))
    refused = await user.post("/tickets", typed, files=[png(), text_file])
    assert refused.status_code == 422
    assert "Photo 2 (lamp.jpg) was refused: This file is not a JPEG, PNG, WebP or HEIC image." in refused.text
    assert ">Broken lamp</textarea>" in refused.text
    assert 'value="MAIN-101"' in refused.text
    assert 'value="left of the board"' in refused.text
    assert 'id="photos-error" role="alert"' in refused.text
    too_many = await user.post("/tickets", typed, files=[png(), png(), png(), png()])
    assert too_many.status_code == 422
    assert "You chose 4 photos; at most 3 can be sent." in too_many.text
    too_big = ("photos", ("huge.png", TINY_PNG + b"\0" * MAX_PHOTO_BYTES, "image/png"))
    large = await user.post("/tickets", typed, files=[too_big])
    assert large.status_code == 413
    assert "Photo 1 (huge.png) is larger than 10 MB." in large.text
    assert fake_tickets.tickets == {}


async def test_a_message_carries_photos_shown_in_the_thread(user: Browser, fake_tickets: FakeTicketService) -> None:
    fake_tickets.add("Printer jammed")
    page = await user.get("/tickets/1")
    assert 'id="message-photos" name="photos" type="file" accept="image/*" capture="environment" multiple' in page.text
    sent = await user.post("/tickets/1/messages", {"body": "Here it is", "submission_key": KEY}, files=[png()])
    assert sent.status_code == 303
    assert [p.id for p in fake_tickets.messages[0].photos] == [1]
    thread = await user.get("/tickets/1")
    assert 'alt="Photo 1 of this message from Reporter (opens the full photo)"' in thread.text
    assert 'src="/photos/1/thumbnail"' in thread.text
    refused = await user.post(
        "/tickets/1/messages",
        {"body": "And this", "submission_key": KEY[::-1]},
        files=[("photos", ("x.jpg", b"GIF89a", "image/jpeg"))],
    )
    assert refused.status_code == 422
    assert ">And this</textarea>" in refused.text
    assert "was refused" in refused.text
    assert len(fake_tickets.messages) == 1


async def test_staff_filter_by_building_and_room_and_search_finds_places(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    await helpdesk.post("/tickets", report("Heating off", where="MAIN-101"))
    await helpdesk.post("/tickets", report("Tap leaks", where="LAB-G01") | {"submission_key": KEY[::-1]})
    listed = await helpdesk.get("/tickets?status=all")
    assert '<option value="LAB">Laboratory building (LAB)</option>' in listed.text
    assert '<optgroup label="Main building">' in listed.text
    lab = await helpdesk.get("/tickets?status=all&building=LAB")
    assert lab.text.count('class="ticket-row"') == 1
    assert "Tap leaks" in lab.text
    assert '<option value="LAB" selected>' in lab.text
    room = await helpdesk.get("/tickets?status=all&room=MAIN-101")
    assert "Heating off" in room.text and "Tap leaks" not in room.text
    searched = await helpdesk.get("/tickets?status=all&q=chemistry")
    assert "Tap leaks" in searched.text and "Heating off" not in searched.text
    bad = await helpdesk.get("/tickets?building=%3Cb%3E")
    assert bad.status_code == 422


async def test_body_limits_are_per_route_and_only_photo_forms_get_the_large_one(
    user: Browser, gateway: httpx.AsyncClient
) -> None:
    big_text = {"description": "a" * (FORM_BYTES + 1)}
    assert (await user.post("/tickets", big_text)).status_code == 413
    photo_sized = ("photos", ("p.png", TINY_PNG + b"\0" * (2 * FORM_BYTES), "image/png"))
    accepted = await user.post("/tickets", report("Big photo"), files=[photo_sized])
    assert accepted.status_code == 303
    elsewhere = await user.post("/tickets/1/description", {"version": "1"}, files=[photo_sized])
    assert elsewhere.status_code == 413
    over = ("photos", ("p.png", b"\0" * (PHOTO_FORM_BYTES + 1), "image/png"))
    assert (await user.post("/tickets", report("Too big"), files=[over])).status_code == 413


async def test_hostile_text_in_places_and_addresses_is_shown_as_text(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    script = "<script>alert(1)</script>"
    hostile = f"building_code,building_name,floor,room_code,room_name\nX,{script},1,X-1,{script}\n"
    preview = await helpdesk.post("/places/preview", files=[("csv", ("c.csv", hostile.encode(), "text/csv"))])
    assert script not in preview.text
    assert str(escape(script)) in preview.text
    await helpdesk.post("/places", {"csv": hostile})
    for path in ("/places", "/places/X/qr", "/tickets?status=all", f"/places/rooms?where={script}"):
        page = await helpdesk.get(path)
        assert page.status_code == 200, path
        assert script not in page.text, path
    reflected = await helpdesk.get("/report", params={"room": script})
    assert reflected.status_code == 200
    assert script not in reflected.text
    assert (await helpdesk.get("/photos/abc")).status_code == 422
    assert (await helpdesk.get("/photos/99")).status_code == 404
    not_utf8 = await helpdesk.post("/places/preview", files=[("csv", ("c.csv", b"\xff\xfe\x00a", "text/csv"))])
    assert not_utf8.status_code == 422
    assert "not UTF-8 text" in not_utf8.text
