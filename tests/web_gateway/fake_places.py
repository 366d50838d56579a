"""The ticket service's campus directory and photos, in memory, answering with the contract models.

Builders (`room`, `building`, `directory`, `room_matches`, `directory_preview`, `directory_replaced`,
`photo_ref`) and `FakePlaces`, the state `FakeTicketService` delegates `/places` and `/photos` to.
Like the real service, photos are told apart by their bytes (a JPEG or PNG signature here),
never by a name or a declared type.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel

from campusdesk_common.contracts.places import (
    DIRECTORY_CSV_HEADER,
    MAX_PHOTO_BYTES,
    Building,
    DirectoryPreview,
    DirectoryReplaced,
    DirectoryRowCheck,
    PhotoRef,
    PlaceDirectory,
    Room,
    RoomMatches,
)
from campusdesk_common.problems import ProblemDetail

NOW = datetime(2025, 3, 10, 12, 0, tzinfo=UTC)
# A 1x1 PNG: the smallest bytes the fake (like the real service) accepts as a photo.
TINY_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
IMAGE_SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}
DEMO_CSV = (
    "building_code,building_name,floor,room_code,room_name\n"
    "MAIN,Main building,1,MAIN-101,Lecture hall 101\n"
    "MAIN,Main building,2,MAIN-201,Library reading room\n"
    "MAIN,Main building,2,MAIN-202,Library study room\n"
    "LAB,Laboratory building,G,LAB-G01,Chemistry lab\n"
)


def room(code: str = "MAIN-101", name: str = "Lecture hall 101", floor: str = "1", *, retired: bool = False) -> Room:
    building_code = code.split("-")[0]
    building_name = {"MAIN": "Main building", "LAB": "Laboratory building"}.get(building_code, building_code)
    return Room(
        room_code=code,
        room_name=name,
        floor=floor,
        building_code=building_code,
        building_name=building_name,
        retired=retired,
    )


def building(code: str, name: str, rooms: list[Room]) -> Building:
    return Building(code=code, name=name, rooms=rooms)


def directory(rooms: list[Room]) -> PlaceDirectory:
    """The directory of the current rooms, buildings by code, rooms by floor then code."""
    by_code: dict[str, list[Room]] = {}
    names: dict[str, str] = {}
    for r in rooms:
        if not r.retired:
            by_code.setdefault(r.building_code, []).append(r)
            names[r.building_code] = r.building_name
    return PlaceDirectory(
        buildings=[
            building(code, names[code], sorted(by_code[code], key=lambda r: (r.floor, r.room_code)))
            for code in sorted(by_code)
        ]
    )


def room_matches(rooms: list[Room]) -> RoomMatches:
    return RoomMatches(items=rooms)


def directory_preview(rows: list[DirectoryRowCheck], errors: list[str], retired: list[str]) -> DirectoryPreview:
    good = [r for r in rows if r.error is None]
    return DirectoryPreview(
        rows=rows,
        errors=errors,
        valid=not errors and len(good) == len(rows),
        buildings=len({r.building_code for r in good}),
        rooms=len(good),
        retired_rooms=retired,
        removed_rooms=[],
    )


def directory_replaced(buildings: int, rooms: int, retired: int) -> DirectoryReplaced:
    return DirectoryReplaced(buildings=buildings, rooms=rooms, retired_rooms=retired)


def photo_ref(photo_id: int = 1, content_type: str = "image/png") -> PhotoRef:
    return PhotoRef.model_validate(
        {
            "id": photo_id,
            "content_type": content_type,
            "width": 1,
            "height": 1,
            "thumbnail_width": 1,
            "thumbnail_height": 1,
            "created_at": NOW,
        }
    )


def _answer(model: BaseModel, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=model.model_dump(mode="json"))


def _problem(status: int, detail: str) -> httpx.Response:
    body = ProblemDetail(type="about:blank", title="Error", status=status, detail=detail)
    return httpx.Response(
        status,
        json=body.model_dump(mode="json", exclude_none=True),
        headers={"content-type": "application/problem+json"},
    )


def check_rows(text: str) -> tuple[list[DirectoryRowCheck], list[str], list[Room]]:
    """Each data row of a directory CSV with its error, the file's errors, and the rooms it defines."""
    lines = list(csv.reader(io.StringIO(text)))
    if not lines or tuple(c.strip() for c in lines[0]) != DIRECTORY_CSV_HEADER:
        return [], ["The first line must be the header " + ",".join(DIRECTORY_CSV_HEADER) + "."], []
    rows, rooms, seen = [], [], set()
    for number, cells in enumerate(lines[1:], start=2):
        values = [*(c.strip() for c in cells), "", "", "", "", ""][:5]
        error = None
        if len(cells) != 5 or not all(values):
            error = "A row needs five non-empty fields."
        elif " " in values[3] or " " in values[0]:
            error = "A code has no spaces."
        elif values[3] in seen:
            error = f"Room code {values[3]} appears twice."
        seen.add(values[3])
        rows.append(DirectoryRowCheck(line=number, **dict(zip(DIRECTORY_CSV_HEADER, values, strict=True)), error=error))
        if error is None:
            rooms.append(
                Room(
                    room_code=values[3],
                    room_name=values[4],
                    floor=values[2],
                    building_code=values[0],
                    building_name=values[1],
                    retired=False,
                )
            )
    return rows, ([] if rows else ["The file has no rooms."]), rooms


@dataclass
class FakePlaces:
    """The directory (with retired rooms) and the stored photos; `used_rooms` are the rooms tickets refer to."""

    rooms: dict[str, Room] = field(default_factory=dict)
    photos: dict[int, tuple[PhotoRef, bytes]] = field(default_factory=dict)
    attached: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.rooms:
            self.rooms = {r.room_code: r for r in check_rows(DEMO_CSV)[2]}

    def search(self, q: str, limit: int) -> list[Room]:
        words = q.casefold().split()
        found = [
            r
            for r in self.rooms.values()
            if not r.retired
            and all(w in f"{r.room_code} {r.room_name} {r.building_code} {r.building_name}".casefold() for w in words)
        ]
        return sorted(found, key=lambda r: (r.room_code.casefold() != q.casefold(), r.room_code))[:limit]

    def handle(self, request: httpx.Request, role: str, used_rooms: set[str]) -> httpx.Response:
        path = request.url.path
        if path == "/places" and request.method == "GET":
            return _answer(directory(list(self.rooms.values())))
        if path == "/places/rooms":
            limit = int(request.url.params.get("limit", "10"))
            return _answer(room_matches(self.search(request.url.params.get("q", ""), limit)))
        if path in ("/places", "/places/preview"):
            if role != "helpdesk":
                return _problem(403, "Only the helpdesk can change the campus directory.")
            return self._directory_upload(request, used_rooms)
        if path == "/photos" and request.method == "POST":
            return self._store_photo(request.content)
        return _problem(404, "There is nothing at this address.")

    def _directory_upload(self, request: httpx.Request, used_rooms: set[str]) -> httpx.Response:
        rows, errors, rooms = check_rows(json.loads(request.content)["csv"])
        codes = {r.room_code for r in rooms}
        retired = sorted(c for c in used_rooms if c not in codes)
        preview = directory_preview(rows, errors, retired)
        if request.method == "POST":
            return _answer(preview)
        if not preview.valid:
            return _problem(422, "The directory has errors: " + "; ".join(errors or [r.error or "" for r in rows]))
        kept = {c: self.rooms[c].model_copy(update={"retired": True}) for c in retired}
        self.rooms = {**kept, **{r.room_code: r for r in rooms}}
        return _answer(directory_replaced(len({r.building_code for r in rooms}), len(rooms), len(kept)))

    def _store_photo(self, content: bytes) -> httpx.Response:
        if len(content) > MAX_PHOTO_BYTES:
            return _problem(413, "A photo is at most 10 MB.")
        kind = next((t for sig, t in IMAGE_SIGNATURES.items() if content.startswith(sig)), None)
        if kind is None:
            return _problem(422, "This file is not a JPEG, PNG, WebP or HEIC image.")
        ref = photo_ref(len(self.photos) + 1, kind)
        self.photos[ref.id] = (ref, content)
        return _answer(ref, 201)

    def attach(self, photo_ids: list[int]) -> list[PhotoRef] | None:
        """The photos for a new ticket or message, or None when one is unknown or already attached."""
        if any(i not in self.photos or i in self.attached for i in photo_ids):
            return None
        self.attached.update(photo_ids)
        return [self.photos[i][0] for i in photo_ids]

    def serve(self, photo_id: int) -> httpx.Response:
        ref, content = self.photos[photo_id]
        headers = {"content-type": ref.content_type, "x-content-type-options": "nosniff"}
        # The real thumbnail is a smaller re-encoding; the gateway passes either through unchanged.
        return httpx.Response(200, content=content, headers=headers)
