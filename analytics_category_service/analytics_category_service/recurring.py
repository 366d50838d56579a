"""What "recurring problems" means: parameters, window, order, CSV.

Pure functions on plain data, so the semantics can be tested without HTTP.

- A recurring problem is a room with at least `min_tickets` tickets of the same category
  opened in the last `days` days, whatever their status now (a closed ticket still says the
  problem happened there). The window is `[until - days, until)` where `until` is now.
- The ticket service answers the (room, category) pairs with their exact count and the ids of
  the newest tickets (at most `MAX_TICKET_IDS_PER_PLACE`: a busy place gathers tens of thousands
  at scale); this service owns the threshold's meaning (it checks every pair again), the labels
  and the order: most tickets first, then building code, room code and the vocabulary's category order, so the
  same facts always give the same table.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from campusdesk_common.contracts.analytics_category import RecurringPlace, RecurringProblems
from campusdesk_common.contracts.places import PlaceTicketCounts
from campusdesk_common.problems import InvalidInput
from campusdesk_common.vocabulary import CATEGORIES, CATEGORY_LABELS, Category

DEFAULT_MIN_TICKETS = 3
DEFAULT_DAYS = 30
MAX_MIN_TICKETS = 1000
MAX_DAYS = 3650
PARAMETER_RULE = (
    f"`min_tickets` is a whole number from 1 to {MAX_MIN_TICKETS} (default {DEFAULT_MIN_TICKETS}) and `days` "
    f"one from 1 to {MAX_DAYS} (default {DEFAULT_DAYS})."
)
CSV_HEADER = (
    "building_code",
    "building_name",
    "floor",
    "room_code",
    "room_name",
    "retired",
    "category",
    "label",
    "count",
    "ticket_ids",
)


def parse_count(name: str, raw: str | None, default: int, maximum: int) -> int:
    """A whole number from 1 to `maximum`, or the default when absent; anything else is a 422."""
    if raw is None:
        return default
    text = raw.strip()
    # The length check first: int() of thousands of digits is slow, and refused past 4300.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)) or not 1 <= int(text) <= maximum:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"  # a detail people can read, whatever was sent
        raise InvalidInput(f"{name} must be a whole number between 1 and {maximum}, not {shown!r}.")
    return int(text)


def window(days: int, now: datetime) -> tuple[datetime, datetime]:
    """`(since, until)` of the last `days` days ending now, in UTC."""
    until = now.astimezone(UTC)
    return until - timedelta(days=days), until


def build_answer(min_tickets: int, days: int, counts: PlaceTicketCounts) -> RecurringProblems:
    """The pairs with enough tickets, labelled and ordered; a ticket service answer this service
    cannot read as such (an unknown category, a ticket listed twice) is a ValueError."""
    places: list[RecurringPlace] = []
    for cell in counts.cells:
        category = _category(cell.category)
        if len(set(cell.ticket_ids)) != len(cell.ticket_ids):
            raise ValueError(f"room {cell.room.room_code} lists a ticket twice")
        if cell.count < min_tickets:
            continue
        places.append(
            RecurringPlace(
                room=cell.room,
                category=category,
                label=CATEGORY_LABELS[category],
                count=cell.count,
                ticket_ids=cell.ticket_ids,
            )
        )
    places.sort(key=_order)
    return RecurringProblems(min_tickets=min_tickets, days=days, since=counts.since, until=counts.until, places=places)


def _category(word: str) -> Category:
    for category in CATEGORIES:
        if category == word:
            return category
    raise ValueError(f"{word!r} is not a category")


def _order(place: RecurringPlace) -> tuple[int, str, str, int]:
    return (-place.count, place.room.building_code, place.room.room_code, CATEGORIES.index(place.category))


def csv_filename(min_tickets: int, days: int) -> str:
    return f"recurring-problems-{min_tickets}-tickets-in-{days}-days.csv"


def render_csv(answer: RecurringProblems) -> str:
    """One row per place and category; the (newest) ticket ids separated by spaces in one cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for place in answer.places:
        room = place.room
        writer.writerow(
            [
                room.building_code,
                _text_cell(room.building_name),
                _text_cell(room.floor),
                room.room_code,
                _text_cell(room.room_name),
                "yes" if room.retired else "no",
                place.category,
                place.label,
                place.count,
                " ".join(str(ticket_id) for ticket_id in place.ticket_ids),
            ]
        )
    return out.getvalue()


def _text_cell(text: str) -> str:
    """Names come from an uploaded directory: one a spreadsheet would run as a formula is quoted."""
    if text[:1] in ("=", "+", "@", "\t", "\r") or (text.startswith("-") and not _is_number(text)):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
