"""SQL for tickets, messages and their history (SQLAlchemy Core: these are the hot paths).

Functions take a connection and never commit: the caller's unit of work does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Integer,
    Table,
    bindparam,
    case,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.vocabulary import NOT_CLOSED, STATUSES
from ticket_service import places
from ticket_service.domain import EventDraft
from ticket_service.models import BigId, CategoryCorrection, Message, Ticket, TicketEvent, UTCDateTime

tickets = cast(Table, Ticket.__table__)
messages = cast(Table, Message.__table__)
events = cast(Table, TicketEvent.__table__)
corrections = cast(Table, CategoryCorrection.__table__)

TICKET_COLUMNS = (
    tickets.c.id,
    tickets.c.description,
    tickets.c.category,
    tickets.c.category_confidence,
    tickets.c.category_source,
    tickets.c.status,
    tickets.c.opened_at,
    tickets.c.updated_at,
    tickets.c.closed_at,
    tickets.c.version,
    tickets.c.message_count,
    tickets.c.room_code,
    tickets.c.place_note,
    tickets.c.affected_count,
    tickets.c.follows_up,
)
MESSAGE_COLUMNS = (messages.c.id, messages.c.ticket_id, messages.c.author_role, messages.c.body, messages.c.created_at)
EVENT_COLUMNS = (events.c.id, events.c.kind, events.c.role, events.c.at, events.c.old_value, events.c.new_value)

# Literal text, exactly as the partial index ix_tickets_not_closed_updated_at_id is defined, so the
# planner can use it (a bound parameter would not match the index predicate in a generic plan).
NOT_CLOSED_PREDICATE = text("status <> 'closed'")


# Built once: a prebuilt statement memoises its cache key, which matters on the hottest path.
_GET_TICKET = select(*TICKET_COLUMNS).where(tickets.c.id == bindparam("ticket_id"))


async def get_ticket(connection: AsyncConnection, ticket_id: int) -> RowMapping | None:
    """One ticket by id, or None."""
    result = await connection.execute(_GET_TICKET, {"ticket_id": ticket_id})
    return result.mappings().first()


async def ticket_status(connection: AsyncConnection, ticket_id: int) -> str | None:
    """The status of a ticket, or None when it does not exist."""
    status: str | None = await connection.scalar(select(tickets.c.status).where(tickets.c.id == ticket_id))
    return status


async def insert_ticket(
    connection: AsyncConnection,
    *,
    description: str,
    category: str,
    confidence: float,
    role: str,
    now: datetime,
    room_code: str | None = None,
    place_note: str | None = None,
    follows_up: int | None = None,
) -> RowMapping:
    """Store a new open ticket and its `created` history event."""
    values = {
        "follows_up": follows_up,
        "room_code": room_code,
        "place_note": place_note,
        "description": description,
        "category": category,
        "category_confidence": confidence,
        "category_source": "auto",
        "status": "open",
        "opened_at": now,
        "updated_at": now,
        "version": 1,
        "message_count": 0,
    }
    result = await connection.execute(insert(tickets).values(values).returning(*TICKET_COLUMNS))
    row = result.mappings().one()
    await add_events(connection, row["id"], role=role, at=now, drafts=[EventDraft("created", None, description)])
    return row


async def update_ticket(
    connection: AsyncConnection,
    ticket_id: int,
    *,
    expected_version: int,
    expected_status: str,
    values: dict[str, Any],
) -> RowMapping | None:
    """Apply `values` only if the ticket is still at that version and status (one atomic statement).

    None means another request changed the ticket in between: nothing was written.
    """
    statement = (
        update(tickets)
        .where(tickets.c.id == ticket_id, tickets.c.version == expected_version, tickets.c.status == expected_status)
        .values(values)
        .returning(*TICKET_COLUMNS)
    )
    result = await connection.execute(statement)
    return result.mappings().first()


async def add_events(
    connection: AsyncConnection, ticket_id: int, *, role: str, at: datetime, drafts: Sequence[EventDraft]
) -> None:
    """Append history events to a ticket."""
    if not drafts:
        return
    rows = [
        {
            "ticket_id": ticket_id,
            "kind": d.kind,
            "role": role,
            "at": at,
            "old_value": d.old_value,
            "new_value": d.new_value,
        }
        for d in drafts
    ]
    await connection.execute(insert(events), rows)


async def add_correction(
    connection: AsyncConnection, *, ticket_id: int, description: str, predicted: str, corrected: str, at: datetime
) -> None:
    """Record a helpdesk category correction: a labelled example for retraining."""
    await connection.execute(
        insert(corrections).values(
            ticket_id=ticket_id,
            description=description,
            predicted_category=predicted,
            corrected_category=corrected,
            at=at,
        )
    )


async def count_new_message(connection: AsyncConnection, ticket_id: int, *, now: datetime) -> datetime | None:
    """Count a message as activity on a ticket that is not closed; None when there is no such ticket.

    Returns the ticket's new `updated_at`, which never goes backwards: use it as the message's time,
    so that within a thread times follow id order. The row lock this UPDATE takes orders concurrent
    messages to one ticket.
    """
    statement = (
        update(tickets)
        .where(tickets.c.id == ticket_id, NOT_CLOSED_PREDICATE)
        .values(
            message_count=tickets.c.message_count + 1,
            updated_at=case((tickets.c.updated_at > literal(now, UTCDateTime()), tickets.c.updated_at), else_=now),
        )
        .returning(tickets.c.updated_at)
    )
    updated_at: datetime | None = (await connection.execute(statement)).scalar()
    return updated_at


async def add_follower(connection: AsyncConnection, ticket_id: int) -> bool:
    """Count one more person affected by a ticket that is not closed (atomic); False when there is none such."""
    statement = (
        update(tickets)
        .where(tickets.c.id == ticket_id, NOT_CLOSED_PREDICATE)
        .values(affected_count=tickets.c.affected_count + 1)
        .returning(tickets.c.id)
    )
    return (await connection.execute(statement)).first() is not None


async def insert_message(
    connection: AsyncConnection, ticket_id: int, *, role: str, body: str, now: datetime
) -> RowMapping:
    """Store a message in a ticket's thread."""
    statement = (
        insert(messages)
        .values(ticket_id=ticket_id, author_role=role, body=body, created_at=now)
        .returning(*MESSAGE_COLUMNS)
    )
    return (await connection.execute(statement)).mappings().one()


def _status_predicate(statuses: Collection[str]) -> ColumnElement[bool]:
    if set(statuses) >= set(STATUSES):
        return true()
    if set(statuses) == set(NOT_CLOSED):
        return NOT_CLOSED_PREDICATE  # type: ignore[return-value]
    return tickets.c.status.in_(sorted(statuses))


def _search_predicate(connection: AsyncConnection, q: str) -> ColumnElement[bool]:
    """The text in the description, or in the code or name of the ticket's room or building."""
    if connection.dialect.name == "sqlite":
        # SQLite's LIKE folds ASCII only; campusdesk_casefold (registered per connection) folds all of Unicode.
        in_description = func.instr(func.campusdesk_casefold(tickets.c.description), q.casefold()) > 0
    else:
        escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        in_description = tickets.c.description.ilike(f"%{escaped}%", escape="\\")  # the pg_trgm GIN index
    return or_(in_description, places.place_search_predicate(connection, q))


async def list_tickets(
    connection: AsyncConnection,
    *,
    statuses: Collection[str],
    categories: Collection[str],
    q: str | None,
    after: tuple[Any, ...] | None,
    limit: int,
    room: str | None = None,
    building: str | None = None,
    by_affected: bool = False,
    min_affected: int | None = None,
) -> Sequence[RowMapping]:
    """Tickets newest activity first, keyset-paginated on (updated_at, id).

    `by_affected`: most people affected first, then newest activity; the keyset is then
    (affected_count, updated_at, id) and `after` starts with the affected count.
    """
    if not statuses:
        return []
    statement = select(*TICKET_COLUMNS).where(_status_predicate(statuses))
    if categories:
        statement = statement.where(tickets.c.category.in_(sorted(categories)))
    if room is not None:
        statement = statement.where(tickets.c.room_code == room)
    if building is not None:
        statement = statement.where(places.building_predicate(building))
    if q:
        statement = statement.where(_search_predicate(connection, q))
    if min_affected is not None:
        statement = statement.where(tickets.c.affected_count >= min_affected)
    keys: tuple[ColumnElement[Any], ...] = (tickets.c.updated_at, tickets.c.id)
    if by_affected:
        keys = (tickets.c.affected_count, *keys)
    if after is not None:
        types = (Integer(), UTCDateTime(), BigId)[-len(after) :]
        statement = statement.where(tuple_(*keys) < tuple_(*(literal(v, t) for v, t in zip(after, types, strict=True))))
    statement = statement.order_by(*(key.desc() for key in keys)).limit(limit)
    return (await connection.execute(statement)).mappings().all()


async def list_messages(
    connection: AsyncConnection, ticket_id: int, *, after: int | None, limit: int | None
) -> Sequence[RowMapping]:
    """A ticket's messages in id order (the order they were stored in)."""
    statement = select(*MESSAGE_COLUMNS).where(messages.c.ticket_id == ticket_id)
    if after is not None:
        statement = statement.where(messages.c.id > after)
    statement = statement.order_by(messages.c.id)
    if limit is not None:
        statement = statement.limit(limit)
    return (await connection.execute(statement)).mappings().all()


async def list_events(connection: AsyncConnection, ticket_id: int) -> Sequence[RowMapping]:
    """A ticket's history, oldest first."""
    statement = select(*EVENT_COLUMNS).where(events.c.ticket_id == ticket_id).order_by(events.c.id)
    return (await connection.execute(statement)).mappings().all()
