"""SQL for photos: store an upload, attach it to a ticket or message, read it back.

Functions take a connection and never commit: the caller's unit of work does.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, delete, insert, literal, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.places import PhotoRef
from campusdesk_common.problems import InvalidInput
from ticket_service.models import Photo, Ticket, UTCDateTime
from ticket_service.photos import ProcessedPhoto

photos = cast(Table, Photo.__table__)
tickets = cast(Table, Ticket.__table__)

# An upload waits this long for the report or message that takes it; then it is deleted.
UNATTACHED_LIFETIME = timedelta(hours=1)
REF_COLUMNS = (
    photos.c.id,
    photos.c.content_type,
    photos.c.width,
    photos.c.height,
    photos.c.thumbnail_width,
    photos.c.thumbnail_height,
    photos.c.created_at,
)


def _new_id() -> int:
    # Random, below 2**53 so a browser's numbers hold it exactly: an unattached photo's id is
    # known only to whoever uploaded it, and nobody can attach or view others' uploads by counting.
    return secrets.randbelow(2**53 - 1) + 1


async def store(connection: AsyncConnection, photo: ProcessedPhoto, *, now: datetime) -> PhotoRef:
    """Store an unattached photo, and delete the uploads nobody attached in time."""
    expired = literal(now - UNATTACHED_LIFETIME, UTCDateTime())
    await connection.execute(delete(photos).where(photos.c.ticket_id.is_(None), photos.c.created_at < expired))
    values = {
        "id": _new_id(),
        "content_type": photo.content_type,
        "width": photo.width,
        "height": photo.height,
        "data": photo.data,
        "thumbnail": photo.thumbnail,
        "thumbnail_width": photo.thumbnail_width,
        "thumbnail_height": photo.thumbnail_height,
        "created_at": now,
        "position": 0,
    }
    row = (await connection.execute(insert(photos).values(values).returning(*REF_COLUMNS))).mappings().one()
    return PhotoRef.model_validate(row)


async def attach(
    connection: AsyncConnection, photo_ids: Sequence[int], *, ticket_id: int, message_id: int | None, now: datetime
) -> None:
    """Give unattached, recent photos to a ticket (or one of its messages), in the order given; 422 otherwise."""
    if len(set(photo_ids)) != len(photo_ids):
        raise InvalidInput("The same photo is listed twice in photo_ids.", slug="invalid-photo")
    oldest = now - UNATTACHED_LIFETIME
    for position, photo_id in enumerate(photo_ids):
        # Conditional: of two requests attaching the same upload, exactly one succeeds.
        statement = (
            update(photos)
            .where(
                photos.c.id == photo_id,
                photos.c.ticket_id.is_(None),
                photos.c.created_at >= literal(oldest, UTCDateTime()),
            )
            .values(ticket_id=ticket_id, message_id=message_id, position=position)
        )
        if (await connection.execute(statement)).rowcount != 1:
            raise InvalidInput(
                f"Photo {photo_id} cannot be attached: it does not exist, is attached already, or was uploaded "
                f"more than {int(UNATTACHED_LIFETIME.total_seconds() // 60)} minutes ago. Upload it again.",
                slug="invalid-photo",
            )


async def refs_of_tickets(connection: AsyncConnection, ticket_ids: Iterable[int]) -> dict[int, list[PhotoRef]]:
    """The report photos (not the messages') of each ticket, in upload order."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    statement = (
        select(photos.c.ticket_id, *REF_COLUMNS)
        .where(photos.c.ticket_id.in_(ids), photos.c.message_id.is_(None))
        .order_by(photos.c.ticket_id, photos.c.position)
    )
    return _grouped(await connection.execute(statement), "ticket_id")


async def refs_of_messages(connection: AsyncConnection, message_ids: Iterable[int]) -> dict[int, list[PhotoRef]]:
    """The photos of each message, in upload order."""
    ids = sorted(set(message_ids))
    if not ids:
        return {}
    statement = (
        select(photos.c.message_id, *REF_COLUMNS)
        .where(photos.c.message_id.in_(ids))
        .order_by(photos.c.message_id, photos.c.position)
    )
    return _grouped(await connection.execute(statement), "message_id")


def _grouped(result: object, key: str) -> dict[int, list[PhotoRef]]:
    grouped: dict[int, list[PhotoRef]] = {}
    for row in result.mappings():  # type: ignore[attr-defined]
        grouped.setdefault(row[key], []).append(PhotoRef.model_validate(row))
    return grouped


async def find_for_serving(
    connection: AsyncConnection, photo_id: int, *, thumbnail: bool, now: datetime
) -> RowMapping | None:
    """The bytes, type and owning ticket's status of a photo (status None: unattached); None when gone.

    An unattached upload past its lifetime counts as gone even before it is deleted.
    """
    statement = (
        select(
            photos.c.content_type,
            (photos.c.thumbnail if thumbnail else photos.c.data).label("data"),
            photos.c.ticket_id,
            tickets.c.status,
        )
        .select_from(photos.outerjoin(tickets, photos.c.ticket_id == tickets.c.id))
        .where(
            photos.c.id == photo_id,
            or_(
                photos.c.ticket_id.is_not(None),
                and_(photos.c.created_at >= literal(now - UNATTACHED_LIFETIME, UTCDateTime())),
            ),
        )
    )
    return (await connection.execute(statement)).mappings().first()
