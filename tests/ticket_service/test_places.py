"""The campus directory through the ticket API, on both databases: preview, atomic replacement,
retired rooms that keep tickets' places, room search, ticket places, filters and place-tickets facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from campusdesk_common.contracts.places import PlaceTicketCounts
from tests.ticket_service.conftest import HELPDESK, USER, Api, assert_problem
from ticket_service import places

CAMPUS = (
    "building_code,building_name,floor,room_code,room_name\n"
    "MAIN,Main Building,0,M-001,Entrance hall\n"
    "MAIN,Main Building,10,M-1001,Rooftop lab\n"
    "MAIN,Main Building,2,M-201,Lecture hall Galilei\n"
    "LIB,Library,1,LIB-101,Reading room\n"
    "LIB,Library,1,LIB-1,Library office\n"
)


async def _replace(api: Api, csv: str) -> Any:
    response = await api.client.put("/places", json={"csv": csv}, headers=HELPDESK)
    assert response.status_code == 200, response.text
    return response.json()


async def _report(api: Api, room: str | None, text: str = "The lights flicker", **extra: Any) -> dict[str, Any]:
    body = {"description": text, **({"room_code": room} if room else {}), **extra}
    response = await api.client.post("/tickets", json=body, headers=USER)
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


async def test_the_directory_is_replaced_and_read_back_ordered(api: Api) -> None:
    assert await _replace(api, CAMPUS) == {"buildings": 2, "rooms": 5, "retired_rooms": 0}
    directory = (await api.client.get("/places")).json()
    assert [(b["code"], b["name"]) for b in directory["buildings"]] == [("LIB", "Library"), ("MAIN", "Main Building")]
    main = directory["buildings"][1]["rooms"]
    assert [r["room_code"] for r in main] == ["M-001", "M-201", "M-1001"]  # floors 0, 2, 10 in number order
    assert main[0] == {
        "room_code": "M-001",
        "room_name": "Entrance hall",
        "floor": "0",
        "building_code": "MAIN",
        "building_name": "Main Building",
        "retired": False,
    }


async def test_a_preview_names_every_row_error_and_changes_nothing(api: Api) -> None:
    await _replace(api, CAMPUS)
    upload = (
        "room_code,building_code,building_name,floor,room_name\n"  # any column order
        "M-001,MAIN,Main Building,0,Entrance hall\n"
        "M-001,MAIN,Main Building,1,Twice\n"
        "X 1,MAIN,Main Building,1,Bad code\n"
        "X-2,MAIN,Main Hall,1,Renamed building\n"
        "X-3,MAIN,Main Building,,No floor\n"
        "X-4,MAIN,Main Building,1\n"
    )
    response = await api.client.post("/places/preview", json={"csv": upload}, headers=HELPDESK)
    assert response.status_code == 200, response.text
    preview = response.json()
    assert [(row["line"], row["error"]) for row in preview["rows"]] == [
        (2, None),
        (3, "room_code 'M-001' is already on line 2"),
        (4, "room_code 'X 1' must be 1 to 32 letters, digits, '.', '_' or '-'"),
        (5, "building 'MAIN' is named 'Main Building' on line 2, not 'Main Hall'"),
        (6, "floor is empty"),
        (7, "has 4 fields where the header has 5; room_name is empty"),
    ]
    assert preview["valid"] is False and preview["errors"] == []
    assert preview["removed_rooms"] == ["LIB-1", "LIB-101", "M-1001", "M-201"]
    missing = await api.client.post(
        "/places/preview", json={"csv": "building_code,room_code\nA,A-1\n"}, headers=HELPDESK
    )
    assert missing.json()["errors"] == [
        "The header has no `building_name` column (expected: building_code,building_name,floor,room_code,room_name).",
        "The header has no `floor` column (expected: building_code,building_name,floor,room_code,room_name).",
        "The header has no `room_name` column (expected: building_code,building_name,floor,room_code,room_name).",
    ]
    assert await api.rows("SELECT count(*) FROM rooms") == [(5,)]


async def test_an_invalid_upload_is_a_422_with_every_error_and_nothing_changes(api: Api) -> None:
    await _replace(api, CAMPUS)
    before = await api.rows("SELECT code, building_code, floor, name, retired FROM rooms ORDER BY code")
    bad = (
        CAMPUS.replace("LIB,Library,1,LIB-1,Library office", "LIB,Libreria,1,LIB-1,Library office")
        + "Z,Zed,0,M-001,x\n"
    )
    response = await api.client.put("/places", json={"csv": bad}, headers=HELPDESK)
    body = assert_problem(response, 422, detail_contains="2 problem(s)")
    assert body["errors"] == [
        {"line": 6, "error": "building 'LIB' is named 'Library' on line 5, not 'Libreria'"},
        {"line": 7, "error": "room_code 'M-001' is already on line 2"},
    ]
    assert await api.rows("SELECT code, building_code, floor, name, retired FROM rooms ORDER BY code") == before
    assert_problem(await api.client.put("/places", json={"csv": CAMPUS}, headers=USER), 403)
    assert_problem(await api.client.post("/places/preview", json={"csv": CAMPUS}, headers=USER), 403)


async def test_rooms_tickets_refer_to_are_kept_retired_and_keep_every_place(api: Api) -> None:
    await _replace(api, CAMPUS)
    placed = await _report(api, "LIB-101", place_note=" next to the vending machine ")
    assert placed["place"] == {
        "room": {
            "room_code": "LIB-101",
            "room_name": "Reading room",
            "floor": "1",
            "building_code": "LIB",
            "building_name": "Library",
            "retired": False,
        },
        "note": "next to the vending machine",
    }
    smaller = "building_code,building_name,floor,room_code,room_name\nMAIN,Main Building,0,M-001,Entrance hall\n"
    preview = (await api.client.post("/places/preview", json={"csv": smaller}, headers=HELPDESK)).json()
    assert (preview["retired_rooms"], preview["removed_rooms"]) == (["LIB-101"], ["LIB-1", "M-1001", "M-201"])
    assert await _replace(api, smaller) == {"buildings": 1, "rooms": 1, "retired_rooms": 1}
    ticket = (await api.client.get(f"/tickets/{placed['id']}", headers=USER)).json()
    assert ticket["place"]["room"] == {**placed["place"]["room"], "retired": True}
    assert [b["code"] for b in (await api.client.get("/places")).json()["buildings"]] == ["MAIN"]
    refused = await api.client.post("/tickets", json={"description": "x", "room_code": "LIB-101"}, headers=USER)
    assert_problem(refused, 422, detail_contains="'LIB-101' is no longer in the campus directory")
    # Back in a later upload: current again, under its new name.
    await _replace(api, CAMPUS.replace("LIB-101,Reading room", "LIB-101,Quiet room"))
    again = (await api.client.get(f"/tickets/{placed['id']}", headers=USER)).json()["place"]["room"]
    assert (again["room_name"], again["retired"]) == ("Quiet room", False)
    every_place = await api.rows("SELECT count(*) FROM tickets t JOIN rooms r ON r.code = t.room_code")
    assert every_place == [(1,)]


async def test_unknown_rooms_and_notes_without_rooms_are_refused(api: Api) -> None:
    await _replace(api, CAMPUS)
    unknown = await api.client.post("/tickets", json={"description": "x", "room_code": "NOPE"}, headers=USER)
    assert_problem(unknown, 422, detail_contains="There is no room 'NOPE'")
    note_only = await api.client.post("/tickets", json={"description": "x", "place_note": "upstairs"}, headers=USER)
    assert_problem(note_only, 422, detail_contains="A place note needs a room")
    assert await api.count("tickets") == 0


async def test_room_search_ranks_the_exact_code_then_prefixes_then_the_rest(api: Api) -> None:
    await _replace(api, CAMPUS)

    async def codes(q: str, **params: Any) -> list[str]:
        response = await api.client.get("/places/rooms", params={"q": q, **params})
        assert response.status_code == 200, response.text
        return [room["room_code"] for room in response.json()["items"]]

    assert await codes("lib-1") == ["LIB-1", "LIB-101"]  # the exact code first, then the prefix
    assert await codes("LIBRARY") == ["LIB-1", "LIB-101"]  # the building's name
    assert await codes("hall") == ["M-001", "M-201"]  # contained in names
    assert await codes("main galilei") == ["M-201"]  # every word somewhere
    assert await codes("m-", limit=2) == ["M-001", "M-1001"]
    assert await codes("nothing like it") == []
    await _replace(api, "building_code,building_name,floor,room_code,room_name\nLIB,Library,1,LIB-1,Office\n")
    assert await codes("lib") == ["LIB-1"]  # retired or removed rooms are never suggested
    assert_problem(await api.client.get("/places/rooms", params={"q": "a\x01"}), 422)


async def test_staff_filter_and_search_tickets_by_room_and_building(api: Api) -> None:
    await _replace(api, CAMPUS)
    in_library = await _report(api, "LIB-101")
    in_office = await _report(api, "LIB-1")
    in_main = await _report(api, "M-201")
    await _report(api, None)

    async def ids(**params: str) -> list[int]:
        response = await api.client.get("/tickets", params=params, headers=HELPDESK)
        assert response.status_code == 200, response.text
        return [ticket["id"] for ticket in response.json()["items"]]

    assert await ids(building="LIB") == [in_office["id"], in_library["id"]]
    assert await ids(room="M-201") == [in_main["id"]]
    assert await ids(q="galilei") == [in_main["id"]]  # the room's name
    assert await ids(q="library") == [in_office["id"], in_library["id"]]  # the building's name
    assert await ids(q="lib-101") == [in_library["id"]]  # the room's code
    assert await ids(building="NOPE") == []


async def test_place_tickets_match_a_sql_count(api: Api) -> None:
    await _replace(api, CAMPUS)
    for room, text in [("M-201", "wifi"), ("M-201", "wifi down"), ("M-201", "door"), ("LIB-1", "wifi"), (None, "wifi")]:
        await _report(api, room, text)
    for _ in range(2):
        await _report(api, "LIB-101", "The printer jams")
    closed = await _report(api, "LIB-101", "The printer is out of toner")
    for status in ("active", "closed"):
        assert (await api.patch(closed["id"], {"status": status})).status_code == 200
    now = datetime.now(UTC)
    window = {"since": (now - timedelta(hours=1)).isoformat(), "until": (now + timedelta(hours=1)).isoformat()}
    response = await api.client.get("/stats/place-tickets", params={**window, "min_count": 2})
    assert response.status_code == 200, response.text
    cells = [(c["room"]["room_code"], c["category"], c["ticket_ids"]) for c in response.json()["cells"]]
    expected = await api.rows(
        "SELECT room_code, category, count(*) FROM tickets WHERE room_code IS NOT NULL "
        "GROUP BY room_code, category HAVING count(*) >= 2 ORDER BY count(*) DESC, room_code, category"
    )
    assert [(room, category, len(ids)) for room, category, ids in cells] == [tuple(row) for row in expected]
    assert [c["count"] for c in response.json()["cells"]] == [row[2] for row in expected]
    assert cells[0] == ("LIB-101", "technical_it", [closed["id"], closed["id"] - 1, closed["id"] - 2])
    later = {"since": window["until"], "until": (now + timedelta(hours=2)).isoformat()}
    assert (await api.client.get("/stats/place-tickets", params=later)).json()["cells"] == []
    reversed_window = {"since": window["until"], "until": window["since"]}
    assert_problem(await api.client.get("/stats/place-tickets", params=reversed_window), 422)


async def test_place_tickets_send_the_newest_ids_only_and_the_exact_count(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    # At scale a place gathers tens of thousands of tickets in 30 days: only the newest ids travel.
    monkeypatch.setattr(places, "MAX_TICKET_IDS_PER_PLACE", 2)
    await _replace(api, CAMPUS)
    printer = [await _report(api, "LIB-101", f"The printer jams ({n})") for n in range(4)]
    wifi = [await _report(api, "M-201", f"The wifi drops ({n})") for n in range(2)]
    now = datetime.now(UTC)
    window = {"since": (now - timedelta(hours=1)).isoformat(), "until": (now + timedelta(hours=1)).isoformat()}
    response = await api.client.get("/stats/place-tickets", params={**window, "min_count": 2})
    assert response.status_code == 200, response.text
    answer = PlaceTicketCounts.model_validate_json(response.content)
    got = [(c.room.room_code, c.category, c.count, c.ticket_ids) for c in answer.cells]
    assert got == [
        ("LIB-101", "technical_it", 4, [printer[3]["id"], printer[2]["id"]]),
        ("M-201", "technical_it", 2, [wifi[1]["id"], wifi[0]["id"]]),
    ]
