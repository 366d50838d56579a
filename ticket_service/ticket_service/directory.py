"""Checking an uploaded campus directory (CSV): every row's problems, without touching the database.

Plain functions over text, so the rules are tested without a database; `places` applies a
checked upload.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from campusdesk_common.contracts.places import DIRECTORY_CSV_HEADER, DirectoryRowCheck

_CODE = re.compile(r"^[A-Za-z0-9._-]{1,32}$")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LIMITS = {"building_name": 120, "room_name": 120, "floor": 32}


@dataclass(frozen=True, slots=True)
class CheckedDirectory:
    """An upload read row by row: each row with its error (None when fine), and the file's own problems."""

    rows: list[DirectoryRowCheck]
    errors: list[str]

    @property
    def valid(self) -> bool:
        return not self.errors and all(row.error is None for row in self.rows)

    @property
    def buildings(self) -> dict[str, str]:
        """Building code -> name, from the rows without errors."""
        return {row.building_code: row.building_name for row in self.rows if row.error is None}

    @property
    def room_codes(self) -> set[str]:
        return {row.room_code for row in self.rows if row.error is None}


def check_directory(text: str) -> CheckedDirectory:
    """Read a directory CSV (header `building_code,building_name,floor,room_code,room_name`, any column order)."""
    text = text.removeprefix("\ufeff")  # spreadsheets save UTF-8 with a byte order mark
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as error:
        return CheckedDirectory([], [f"The file is not readable CSV: {error}."])
    records_with_lines = [(number, record) for number, record in enumerate(records, start=1) if any(record)]
    if not records_with_lines:
        return CheckedDirectory([], ["The file is empty: it needs a header line and at least one room."])
    _, header = records_with_lines[0]
    columns, header_errors = _read_header(header)
    if header_errors:
        return CheckedDirectory([], header_errors)
    rows = [_check_row(number, record, columns) for number, record in records_with_lines[1:]]
    errors = [] if rows else ["The file has a header but no rooms."]
    _check_across_rows(rows)
    return CheckedDirectory(rows, errors)


def _read_header(header: list[str]) -> tuple[dict[str, int], list[str]]:
    names = [name.strip().casefold() for name in header]
    errors = [
        f"The header has no `{column}` column (expected: {','.join(DIRECTORY_CSV_HEADER)})."
        for column in DIRECTORY_CSV_HEADER
        if column not in names
    ]
    errors += [f"The header has an unknown column `{name}`." for name in names if name not in DIRECTORY_CSV_HEADER]
    errors += [f"The header names `{name}` twice." for name in sorted(set(names)) if names.count(name) > 1]
    return {name: index for index, name in enumerate(names)}, errors


def _check_row(number: int, record: list[str], columns: dict[str, int]) -> DirectoryRowCheck:
    values = {column: record[index].strip() if index < len(record) else "" for column, index in columns.items()}
    problems: list[str] = []
    if len(record) != len(columns):
        problems.append(f"has {len(record)} fields where the header has {len(columns)}")
    for column in ("building_code", "room_code"):
        if not values[column]:
            problems.append(f"{column} is empty")
        elif not _CODE.match(values[column]):
            problems.append(f"{column} {values[column]!r} must be 1 to 32 letters, digits, '.', '_' or '-'")
    for column, limit in _LIMITS.items():
        value = values[column]
        if not value:
            problems.append(f"{column} is empty")
        elif len(value) > limit:
            problems.append(f"{column} is longer than {limit} characters")
        elif _CONTROLS.search(value):
            problems.append(f"{column} contains a control character")
    return DirectoryRowCheck(line=number, **values, error="; ".join(problems) or None)


def _check_across_rows(rows: list[DirectoryRowCheck]) -> None:
    """Duplicate room codes and buildings named twice: the later row is the one in error."""
    first_room: dict[str, int] = {}
    building_name: dict[str, tuple[str, int]] = {}
    for index, row in enumerate(rows):
        problems = [row.error] if row.error else []
        if row.room_code in first_room:
            problems.append(f"room_code {row.room_code!r} is already on line {first_room[row.room_code]}")
        elif row.room_code:
            first_room[row.room_code] = row.line
        named = building_name.get(row.building_code)
        if named is not None and named[0] != row.building_name:
            problems.append(
                f"building {row.building_code!r} is named {named[0]!r} on line {named[1]}, not {row.building_name!r}"
            )
        elif named is None and row.building_code and row.building_name:
            building_name[row.building_code] = (row.building_name, row.line)
        rows[index] = row.model_copy(update={"error": "; ".join(problems) or None})
