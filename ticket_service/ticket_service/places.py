"""The campus directory: read it, search it, preview and replace it, and the places of tickets.

Functions take a connection and never commit: the caller's unit of work does.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Select,
    Table,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.places import (
    MAX_TICKET_IDS_PER_PLACE,
    Building,
    DirectoryPreview,
    DirectoryReplaced,
    Place,
    PlaceDirectory,
    PlaceTickets,
    Room,
    RoomMatches,
)
from campusdesk_common.problems import InvalidInput
from ticket_service.directory import CheckedDirectory, check_directory
from ticket_service.models import Building as BuildingRow
from ticket_service.models import Room as RoomRow
from ticket_service.models import Ticket, UTCDateTime

buildings = cast(Table, BuildingRow.__table__)
rooms = cast(Table, RoomRow.__table__)
tickets = cast(Table, Ticket.__table__)

ROOM_COLUMNS = (
    rooms.c.code.label("room_code"),
    rooms.c.name.label("room_name"),
    rooms.c.floor,
    rooms.c.building_code,
    buildings.c.name.label("building_name"),
    rooms.c.retired,
)
_ROOMS = select(*ROOM_COLUMNS).join_from(rooms, buildings, rooms.c.building_code == buildings.c.code)


def _floor_order(room: Room) -> tuple[int, float, str, str]:
    """Numbered floors in number order ("-1", "0", "2", "10"), then named ones, then by room code."""
    number = re.fullmatch(r"-?\d+", room.floor)
    return (0, float(room.floor), "", room.room_code) if number else (1, 0.0, room.floor, room.room_code)


async def directory(connection: AsyncConnection) -> PlaceDirectory:
    """Buildings with their current rooms, by code; buildings left with retired rooms only are not listed."""
    rows = (await connection.execute(_ROOMS.where(rooms.c.retired.is_(False)))).mappings().all()
    by_building: dict[str, list[Room]] = {}
    names: dict[str, str] = {}
    for row in rows:
        by_building.setdefault(row["building_code"], []).append(Room.model_validate(row))
        names[row["building_code"]] = row["building_name"]
    return PlaceDirectory(
        buildings=[
            Building(code=code, name=names[code], rooms=sorted(by_building[code], key=_floor_order))
            for code in sorted(by_building)
        ]
    )


def _folded(connection: AsyncConnection, column: ColumnElement[str]) -> ColumnElement[str]:
    # SQLite's lower() folds ASCII only; campusdesk_casefold (registered per connection) folds all of Unicode.
    if connection.dialect.name == "sqlite":
        return func.campusdesk_casefold(column)
    return func.lower(column)


def _position(connection: AsyncConnection, column: ColumnElement[str], needle: str) -> ColumnElement[int]:
    """1-based position of `needle` in the folded column, 0 when absent."""
    folded = _folded(connection, column)
    if connection.dialect.name == "sqlite":
        return func.instr(folded, literal(needle))
    return func.strpos(folded, literal(needle))


def _fold(connection: AsyncConnection, text: str) -> str:
    return text.casefold() if connection.dialect.name == "sqlite" else text.lower()


async def search_rooms(connection: AsyncConnection, q: str, *, limit: int) -> RoomMatches:
    """Current rooms whose code or name, or building's code or name, contain every word of `q`, any case.

    Best first: the room code itself, then codes and names that start with the text, then the rest.
    """
    text = _fold(connection, " ".join(q.split()))
    fields = (rooms.c.code, rooms.c.name, buildings.c.code, buildings.c.name)
    statement = _ROOMS.where(rooms.c.retired.is_(False))
    for word in text.split(" "):
        statement = statement.where(or_(*(_position(connection, field, word) > 0 for field in fields)))
    rank = case(
        (_folded(connection, rooms.c.code) == literal(text), 0),
        (_position(connection, rooms.c.code, text) == 1, 1),
        (_position(connection, rooms.c.name, text) == 1, 2),
        (_position(connection, buildings.c.code, text) == 1, 3),
        (_position(connection, buildings.c.name, text) == 1, 3),
        else_=4,
    )
    statement = statement.order_by(rank, rooms.c.building_code, rooms.c.code).limit(limit)
    rows = (await connection.execute(statement)).mappings().all()
    return RoomMatches(items=[Room.model_validate(row) for row in rows])


def place_search_predicate(connection: AsyncConnection, q: str) -> ColumnElement[bool]:
    """Tickets whose room's code or name, or building's code or name, contain `q` (the ticket list's search)."""
    needle = _fold(connection, q)
    fields = (rooms.c.code, rooms.c.name, buildings.c.code, buildings.c.name)
    matching = (
        select(rooms.c.code)
        .join_from(rooms, buildings, rooms.c.building_code == buildings.c.code)
        .where(or_(*(_position(connection, field, needle) > 0 for field in fields)))
    )
    return tickets.c.room_code.in_(matching)


def building_predicate(building_code: str) -> ColumnElement[bool]:
    return tickets.c.room_code.in_(select(rooms.c.code).where(rooms.c.building_code == building_code))


async def rooms_by_code(connection: AsyncConnection, codes: Iterable[str]) -> dict[str, Room]:
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = (await connection.execute(_ROOMS.where(rooms.c.code.in_(wanted)))).mappings().all()
    return {row["room_code"]: Room.model_validate(row) for row in rows}


async def places_of(connection: AsyncConnection, ticket_rows: Sequence[RowMapping]) -> dict[int, Place]:
    """The place of each ticket that has one, by ticket id."""
    found = await rooms_by_code(connection, (row["room_code"] for row in ticket_rows if row["room_code"]))
    return {
        row["id"]: Place(room=found[row["room_code"]], note=row["place_note"])
        for row in ticket_rows
        if row["room_code"] in found
    }


async def ensure_reportable_room(connection: AsyncConnection, room_code: str) -> None:
    """422 unless the room is in the directory and current.

    On PostgreSQL the row is share-locked until the ticket commits, so a replacement of the
    directory (which locks the table) cannot retire or remove it in between.
    """
    statement = select(rooms.c.retired).where(rooms.c.code == room_code).with_for_update(key_share=True, read=True)
    retired = await connection.scalar(statement)
    if retired is None:
        raise InvalidInput(f"There is no room {room_code!r} in the campus directory.", slug="unknown-room")
    if retired:
        raise InvalidInput(
            f"Room {room_code!r} is no longer in the campus directory; choose another place.", slug="retired-room"
        )


async def _referenced_codes(connection: AsyncConnection, codes: Collection[str]) -> set[str]:
    if not codes:
        return set()
    statement = select(rooms.c.code).where(
        rooms.c.code.in_(sorted(codes)), exists().where(tickets.c.room_code == rooms.c.code)
    )
    return set((await connection.scalars(statement)).all())


async def _current_codes(connection: AsyncConnection) -> set[str]:
    return set((await connection.scalars(select(rooms.c.code).where(rooms.c.retired.is_(False)))).all())


async def preview(connection: AsyncConnection, csv_text: str) -> DirectoryPreview:
    """What replacing the directory with `csv_text` would do; nothing changes."""
    return await _preview(connection, check_directory(csv_text))


async def _preview(connection: AsyncConnection, checked: CheckedDirectory) -> DirectoryPreview:
    left_out = await _current_codes(connection) - checked.room_codes
    referenced = await _referenced_codes(connection, left_out)
    return DirectoryPreview(
        rows=checked.rows,
        errors=checked.errors,
        valid=checked.valid,
        buildings=len(checked.buildings),
        rooms=len(checked.room_codes),
        retired_rooms=sorted(referenced),
        removed_rooms=sorted(left_out - referenced),
    )


async def replace(connection: AsyncConnection, csv_text: str) -> DirectoryReplaced:
    """Replace the directory in the caller's transaction; rooms tickets refer to are kept, retired.

    An invalid upload is a 422 carrying every row's error, and nothing changes.
    """
    if connection.dialect.name == "postgresql":
        # Readers go on; ticket creations naming a room wait (their FOR KEY SHARE) until this commits.
        await connection.exec_driver_sql("LOCK TABLE rooms IN EXCLUSIVE MODE")
    checked = check_directory(csv_text)
    if not checked.valid:
        answer = await _preview(connection, checked)
        errors: list[dict[str, int | str | None]] = [{"line": None, "error": error} for error in answer.errors]
        errors += [{"line": row.line, "error": row.error} for row in answer.rows if row.error]
        raise InvalidInput(
            f"The directory was not replaced: {len(errors)} problem(s); fix them and upload again.",
            slug="invalid-directory",
            errors=errors,
        )
    new_rooms = {row.room_code: row for row in checked.rows}
    existing_buildings = set((await connection.scalars(select(buildings.c.code))).all())
    for code, name in checked.buildings.items():
        if code in existing_buildings:
            await connection.execute(update(buildings).where(buildings.c.code == code).values(name=name))
        else:
            await connection.execute(insert(buildings).values(code=code, name=name))
    all_rooms = set((await connection.scalars(select(rooms.c.code))).all())
    left_out = all_rooms - set(new_rooms)
    referenced = await _referenced_codes(connection, left_out)
    if left_out - referenced:
        await connection.execute(delete(rooms).where(rooms.c.code.in_(sorted(left_out - referenced))))
    if referenced:
        await connection.execute(update(rooms).where(rooms.c.code.in_(sorted(referenced))).values(retired=True))
    for code, row in new_rooms.items():
        values = {"building_code": row.building_code, "floor": row.floor, "name": row.room_name, "retired": False}
        if code in all_rooms:
            await connection.execute(update(rooms).where(rooms.c.code == code).values(values))
        else:
            await connection.execute(insert(rooms).values(code=code, **values))
    # Buildings with no room left, current or retired, go.
    await connection.execute(delete(buildings).where(~exists().where(rooms.c.building_code == buildings.c.code)))
    retired = await connection.scalar(select(func.count()).select_from(rooms).where(rooms.c.retired.is_(True)))
    return DirectoryReplaced(buildings=len(checked.buildings), rooms=len(new_rooms), retired_rooms=int(retired or 0))


def _newest_per_place(dialect: str, *, since: datetime, until: datetime, min_count: int) -> Select[Any]:
    """(id, room_code, category, count) of the newest tickets of each pair with `min_count`, pair by pair, newest first.

    PostgreSQL counts the pairs from `ix_tickets_placed_opened_at` (the window's entries only), then
    takes each pair's newest ids as the first entries of its range in
    `ix_tickets_placed_room_category_opened_at` (LATERAL ... LIMIT): nothing is sorted but the
    ids it answers. SQLite has no LATERAL: it numbers the window's tickets per pair.
    """
    in_window = (
        tickets.c.room_code.is_not(None),
        tickets.c.opened_at >= literal(since, UTCDateTime()),
        tickets.c.opened_at < literal(until, UTCDateTime()),
    )
    pair = (tickets.c.room_code, tickets.c.category)
    if dialect == "postgresql":
        pairs = (
            select(*pair, func.count().label("count"))
            .where(*in_window)
            .group_by(*pair)
            .having(func.count() >= min_count)
            .subquery("pairs")
        )
        placed = tickets.alias("placed")
        newest = (
            select(placed.c.id, placed.c.opened_at)
            .where(
                placed.c.room_code == pairs.c.room_code,
                placed.c.category == pairs.c.category,
                placed.c.room_code.is_not(None),
                placed.c.opened_at >= literal(since, UTCDateTime()),
                placed.c.opened_at < literal(until, UTCDateTime()),
            )
            .order_by(placed.c.opened_at.desc(), placed.c.id.desc())
            .limit(MAX_TICKET_IDS_PER_PLACE)
            .lateral("newest")
        )
        return (
            select(newest.c.id, pairs.c.room_code, pairs.c.category, pairs.c.count)
            .select_from(pairs.join(newest, true()))
            .order_by(pairs.c.room_code, pairs.c.category, newest.c.opened_at.desc(), newest.c.id.desc())
        )
    numbered = (
        select(
            tickets.c.id,
            *pair,
            func.count().over(partition_by=pair).label("count"),
            func.row_number()
            .over(partition_by=pair, order_by=(tickets.c.opened_at.desc(), tickets.c.id.desc()))
            .label("position"),
        )
        .where(*in_window)
        .subquery()
    )
    return (
        select(numbered.c.id, numbered.c.room_code, numbered.c.category, numbered.c.count)
        .where(numbered.c.count >= min_count, numbered.c.position <= MAX_TICKET_IDS_PER_PLACE)
        .order_by(numbered.c.room_code, numbered.c.category, numbered.c.position)
    )


async def place_ticket_cells(
    connection: AsyncConnection, *, since: datetime, until: datetime, min_count: int
) -> list[PlaceTickets]:
    """Per (room, category), how many tickets were opened in `[since, until)` (any status) and the ids of
    the newest `MAX_TICKET_IDS_PER_PLACE`, for pairs with at least `min_count` of them; most tickets first.

    One statement (so the counts and the ids are of one snapshot, see `_newest_per_place`); a busy
    place's tens of thousands of ids never leave the database.
    """
    statement = _newest_per_place(connection.dialect.name, since=since, until=until, min_count=min_count)
    rows = await connection.execute(statement)
    counts: dict[tuple[str, str], int] = {}
    ids: dict[tuple[str, str], list[int]] = {}
    for ticket_id, room_code, category, count in rows:  # newest first within each pair
        counts[(room_code, category)] = int(count)
        ids.setdefault((room_code, category), []).append(ticket_id)
    if not counts:
        return []
    found = await rooms_by_code(connection, {room for room, _ in counts})
    cells = [
        PlaceTickets(room=found[room], category=category, count=count, ticket_ids=ids[(room, category)])
        for (room, category), count in counts.items()
    ]
    return sorted(cells, key=lambda cell: (-cell.count, cell.room.room_code, cell.category))
