"""The ticket service's campus directory and photos: what it accepts and answers.

Places are buildings, their floors and rooms; a room is named by its code, unique on the
campus. A room removed from the directory while tickets refer to it is kept as retired.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from campusdesk_common.contracts.common import Timestamp

# Codes are what QR stickers and CSV files carry: short, printable, no spaces.
PlaceCode = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32, pattern=r"^[A-Za-z0-9._-]+$")
]
PlaceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)]
FloorName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=32)]
PlaceNote = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    Field(description='Where exactly, in the reporter\'s words ("next to the vending machine").'),
]
DIRECTORY_CSV_HEADER = ("building_code", "building_name", "floor", "room_code", "room_name")
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDE = 2048
# Per (room, category), at most this many ticket ids are sent along with the exact count: enough
# to open the latest, few enough that a place with tens of thousands stays a short answer and table.
MAX_TICKET_IDS_PER_PLACE = 20


class Room(BaseModel):
    """A room, with the building and floor it is on."""

    room_code: PlaceCode
    room_name: PlaceName
    floor: FloorName
    building_code: PlaceCode
    building_name: PlaceName
    retired: bool = Field(description="Removed from the directory but kept because tickets refer to it.")


class Building(BaseModel):
    """A building and its current (not retired) rooms, ordered by floor then code."""

    code: PlaceCode
    name: PlaceName
    rooms: list[Room]


class PlaceDirectory(BaseModel):
    """The whole campus directory, buildings ordered by code."""

    buildings: list[Building]


class RoomMatches(BaseModel):
    """Current rooms whose code or name (or their building's) matches a search, best first."""

    items: list[Room]


class DirectoryUpload(BaseModel):
    """A campus directory as CSV text with the header `building_code,building_name,floor,room_code,room_name`."""

    model_config = ConfigDict(extra="forbid")

    csv: str = Field(min_length=1, max_length=2_000_000)


class DirectoryRowCheck(BaseModel):
    """One data row of an uploaded directory and what is wrong with it, if anything."""

    line: int = Field(ge=2, description="Line number in the file (the header is line 1).")
    building_code: str
    building_name: str
    floor: str
    room_code: str
    room_name: str
    error: str | None = Field(description="Why the row cannot be used; null when it is fine.")


class DirectoryPreview(BaseModel):
    """What replacing the directory with the upload would do; nothing is changed by a preview."""

    rows: list[DirectoryRowCheck]
    errors: list[str] = Field(description="Problems with the file as a whole (header, duplicates, empty).")
    valid: bool = Field(description="True when no row and the file have errors: the upload can replace the directory.")
    buildings: int = Field(ge=0)
    rooms: int = Field(ge=0)
    retired_rooms: list[str] = Field(description="Codes of current rooms the upload leaves out that tickets refer to.")
    removed_rooms: list[str] = Field(
        description="Codes of current rooms the upload leaves out that no ticket refers to."
    )


class DirectoryReplaced(BaseModel):
    """The directory after one atomic replacement."""

    buildings: int = Field(ge=0)
    rooms: int = Field(ge=0)
    retired_rooms: int = Field(ge=0, description="Rooms kept as retired because tickets refer to them.")


class Place(BaseModel):
    """Where a ticket's problem is: a room of the directory (possibly retired since)."""

    room: Room
    note: PlaceNote | None = None


class PhotoRef(BaseModel):
    """A stored photo: re-encoded, without metadata, at most 2048 px on its longest side."""

    id: int
    content_type: Literal["image/jpeg", "image/png", "image/webp"]
    width: int = Field(ge=1, le=MAX_PHOTO_SIDE)
    height: int = Field(ge=1, le=MAX_PHOTO_SIDE)
    thumbnail_width: int = Field(ge=1)
    thumbnail_height: int = Field(ge=1)
    created_at: Timestamp


class PlaceTickets(BaseModel):
    """Not-closed and closed tickets of one category at one room, opened in the window."""

    room: Room
    category: str
    count: int = Field(ge=1, description="How many tickets, exactly (`ticket_ids` may list only the newest).")
    ticket_ids: list[int] = Field(
        description=f"Ids of the newest tickets, newest first: all of them up to {MAX_TICKET_IDS_PER_PLACE}, "
        f"else the newest {MAX_TICKET_IDS_PER_PLACE} (a place can gather tens of thousands)."
    )

    @model_validator(mode="before")
    @classmethod
    def _count_of_an_older_answer(cls, data: Any) -> Any:
        # Answers from before `count` listed every id: their number is the count.
        if isinstance(data, dict) and "count" not in data and isinstance(data.get("ticket_ids"), list):
            return {**data, "count": len(data["ticket_ids"])}
        return data

    @model_validator(mode="after")
    def _ids_within_count(self) -> PlaceTickets:
        if len(self.ticket_ids) > self.count:
            raise ValueError("more ticket ids than `count`")
        return self


class PlaceTicketCounts(BaseModel):
    """Raw facts for the recurring-problems analysis: tickets per (room, category) in `[since, until)`,
    only the pairs with at least `min_count` tickets."""

    since: Timestamp
    until: Timestamp
    min_count: int = Field(ge=1)
    cells: list[PlaceTickets]
