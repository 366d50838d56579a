"""Places on the gateway's side: the "Where?" text resolved to a room, QR codes, a ticket's place in words.

Rooms come from the ticket service (`campusdesk_common.contracts.places`); the gateway only
matches what a person typed against its answers and draws QR codes for the report address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import segno
from markupsafe import Markup

from campusdesk_common.contracts.places import Building, Place, Room
from web_gateway.forms import InvalidForm
from web_gateway.ticket_api import TicketApi

# A room code as QR stickers and the CSV carry it (the contract's PlaceCode).
ROOM_CODE = re.compile(r"[A-Za-z0-9._-]{1,32}")
CANDIDATES_SHOWN = 10


class UnclearPlace(InvalidForm):
    """The "Where?" text names no room, or several: the form comes back with the candidates."""

    def __init__(self, message: str, candidates: list[Room]) -> None:
        super().__init__("where", message)
        self.candidates = candidates


def room_label(room: Room) -> str:
    """ "Room 101 (A-101), Main building, floor 1"."""
    return f"{room.room_name} ({room.room_code}), {room.building_name}, floor {room.floor}"


async def resolve_place(api: TicketApi, typed: str) -> Room | None:
    """The room the person means: none when nothing was typed; an exact code, else the one match.

    Without JavaScript the field is plain text, so the whole resolution happens here.
    """
    text = typed.strip()
    if not text:
        return None
    matches = await api.rooms(text, CANDIDATES_SHOWN)
    exact = [room for room in matches if room.room_code.casefold() == text.casefold()]
    if len(exact) == 1:
        return exact[0]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise UnclearPlace(
            f"No room matches “{text}”. Type a building or room name or a room code, or leave the field empty.",
            [],
        )
    raise UnclearPlace(f"Several rooms match “{text}”: type the room code of the one you mean.", matches)


async def room_by_code(api: TicketApi, code: str) -> Room | None:
    """The current room with this exact code (a QR sticker's), or None."""
    if not ROOM_CODE.fullmatch(code):
        return None
    return next((room for room in await api.rooms(code) if room.room_code.casefold() == code.casefold()), None)


def report_path(room_code: str) -> str:
    """The gateway's own report address for a room code (only a code's characters are kept)."""
    code = room_code.strip()
    return f"/report?{urlencode({'room': code})}" if ROOM_CODE.fullmatch(code) else "/report"


def report_url(public_url: str, room_code: str) -> str:
    """The absolute address a QR sticker carries (from the configured public URL, never the Host header)."""
    return public_url.rstrip("/") + report_path(room_code)


@dataclass(frozen=True)
class QrCard:
    """One card of the print sheet: a room and its QR code as inline SVG."""

    room: Room
    url: str
    svg: Markup


def qr_svg(url: str) -> Markup:
    """The QR code of `url` as an inline SVG drawn here (scalable: a viewBox, no fixed size)."""
    code = segno.make(url, error="m", micro=False)
    # segno writes only its own markup (path data and numbers); the URL is not in the SVG text.
    return Markup(code.svg_inline(scale=1, border=4, omitsize=True, svgclass="qr-code", lineclass=None))


def qr_cards(building: Building, public_url: str) -> list[QrCard]:
    cards = []
    for room in building.rooms:
        url = report_url(public_url, room.room_code)
        cards.append(QrCard(room, url, qr_svg(url)))
    return cards


def place_summary(place: Place | None) -> str:
    """A ticket's place in one line for lists ("" when the reporter did not say)."""
    if place is None:
        return ""
    room = place.room
    retired = " (retired)" if room.retired else ""
    return f"{room.room_name} ({room.room_code}){retired}, {room.building_name}"
