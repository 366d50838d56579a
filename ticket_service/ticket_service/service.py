"""Use cases of the ticket API: each turns a request into repository calls under the domain rules."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.tickets import (
    HistoryPage,
    MessagePage,
    MessageRead,
    TicketCreate,
    TicketPage,
    TicketRead,
)
from campusdesk_common.problems import Conflict, InvalidInput
from campusdesk_common.vocabulary import Category, NotificationEvent, Status
from ticket_service import counters, domain, links, photo_store, places, repository, rollups
from ticket_service.classifier import Prediction
from ticket_service.dependencies import MAX_ID, UnitOfWork
from ticket_service.mail import outbox

# A PATCH that loses a race re-reads the ticket and decides again; this bounds the retries.
_MAX_ATTEMPTS = 5
# affected_count is an INTEGER column.
MAX_AFFECTED = 2**31 - 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def state_of(row: RowMapping) -> domain.TicketState:
    return domain.TicketState(
        id=row["id"],
        description=row["description"],
        category=row["category"],
        category_source=row["category_source"],
        status=row["status"],
        version=row["version"],
        opened_at=row["opened_at"],
    )


async def ticket_reads(connection: AsyncConnection, rows: Sequence[RowMapping]) -> list[TicketRead]:
    """Tickets as the API shows them: each row with its place, its report's photos and its links' facts."""
    found_places = await places.places_of(connection, rows)
    photos = await photo_store.refs_of_tickets(connection, (row["id"] for row in rows))
    facts = await links.ticket_facts(connection, [row["id"] for row in rows])
    reads = []
    for row in rows:
        fact = facts.get(row["id"], links.NO_FACTS)
        extra = {"followed_up_by": fact.followed_up_by, "email_updates": fact.email_updates}
        place = found_places.get(row["id"])
        reads.append(TicketRead.model_validate({**row, **extra, "place": place, "photos": photos.get(row["id"], [])}))
    return reads


async def ticket_read(connection: AsyncConnection, row: RowMapping) -> TicketRead:
    return (await ticket_reads(connection, [row]))[0]


async def create_ticket(
    connection: AsyncConnection, report: TicketCreate, *, role: str, prediction: Prediction, secret: bytes
) -> tuple[TicketRead, links.IssuedLink | None]:
    """Open a ticket with its predicted category, its place and its photos; a `user` gets its private link."""
    if report.place_note is not None and report.room_code is None:
        raise InvalidInput("A place note needs a room: send room_code with place_note.", slug="note-without-room")
    if report.room_code is not None:
        await places.ensure_reportable_room(connection, report.room_code)
    now = utcnow()
    row = await repository.insert_ticket(
        connection,
        description=report.description,
        category=prediction.category,
        confidence=min(max(float(prediction.confidence), 0.0), 1.0),
        role=role,
        now=now,
        room_code=report.room_code,
        place_note=report.place_note,
    )
    await photo_store.attach(connection, report.photo_ids, ticket_id=row["id"], message_id=None, now=now)
    await counters.record_created(connection, category=row["category"], opened_at=row["opened_at"])
    issued = None
    if role == "user":
        issued = await links.issue(connection, secret, ticket_id=row["id"], kind="reporter", now=now)
    return await ticket_read(connection, row), issued


async def update_ticket(
    uow: UnitOfWork,
    ticket_id: int,
    *,
    role: str,
    change: domain.RequestedChange,
    if_match: list[int | None] | None,
    on_correction: Callable[[], Awaitable[None]],
) -> TicketRead:
    """Apply a PATCH atomically: the write happens only if the ticket is still as it was read."""
    connection = await uow.connection()
    for _ in range(_MAX_ATTEMPTS):
        row = await repository.get_ticket(connection, ticket_id)
        if row is None:
            raise domain.no_such_ticket(ticket_id)
        domain.check_permissions(role, change)
        domain.check_if_match(if_match, row["version"])
        ticket = state_of(row)
        now = utcnow()
        plan = domain.plan_change(ticket, role, change, now=now)
        if not plan.changes_anything:
            return await ticket_read(connection, row)
        updated = await repository.update_ticket(
            connection, ticket_id, expected_version=ticket.version, expected_status=ticket.status, values=plan.values
        )
        if updated is None:
            continue  # another request changed it first: decide again on what is there now
        await _record_change(connection, uow, ticket, updated, role, plan, now, on_correction)
        return await ticket_read(connection, updated)
    raise Conflict("The ticket is being changed by others right now; read it again and retry.", slug="busy-ticket")


async def _record_change(
    connection: AsyncConnection,
    uow: UnitOfWork,
    before: domain.TicketState,
    after: RowMapping,
    role: str,
    plan: domain.ChangePlan,
    now: datetime,
    on_correction: Callable[[], Awaitable[None]],
) -> None:
    await repository.add_events(connection, before.id, role=role, at=now, drafts=plan.events)
    if plan.corrected_category is not None:
        await repository.add_correction(
            connection,
            ticket_id=before.id,
            description=after["description"],
            predicted=before.category,
            corrected=plan.corrected_category,
            at=now,
        )
        uow.after_commit(on_correction)
    if (after["status"], after["category"]) != (before.status, before.category):
        # `after` is the row the conditional UPDATE returned: the write happened, so must the count.
        await counters.record_transition(
            connection,
            opened_at=after["opened_at"],
            before=(before.status, before.category),
            after=(after["status"], after["category"]),
        )
    if plan.closes:
        await rollups.record_resolution(
            connection, category=after["category"], opened_at=after["opened_at"], closed_at=after["closed_at"]
        )
    if after["status"] != before.status and after["status"] != "open":  # started or closed
        # The reporter's e-mail, queued in this transaction: sent only if the change is committed.
        event: NotificationEvent = "started" if after["status"] == "active" else "closed"
        await outbox.enqueue(connection, ticket_id=before.id, event=event, at=now)


async def post_message(
    connection: AsyncConnection, ticket_id: int, *, role: str, body: str, photo_ids: Sequence[int] = ()
) -> MessageRead:
    """Add a message to a ticket that is not closed; it counts as activity (updated_at), not as a version."""
    now = utcnow()
    at = await repository.count_new_message(connection, ticket_id, now=now)
    if at is None:
        domain.ensure_accepts_messages(ticket_id, await repository.ticket_status(connection, ticket_id))
        raise Conflict(f"Ticket {ticket_id} takes no new messages.", slug="ticket-closed")  # not reached
    message = await repository.insert_message(connection, ticket_id, role=role, body=body, now=at)
    if role == "helpdesk":
        await outbox.enqueue(connection, ticket_id=ticket_id, event="answered", at=now, detail=body)
    await photo_store.attach(connection, photo_ids, ticket_id=ticket_id, message_id=message["id"], now=now)
    photos = await photo_store.refs_of_messages(connection, [message["id"]])
    return MessageRead.model_validate({**message, "photos": photos.get(message["id"], [])})


TicketSort = Literal["activity", "affected"]


def encode_cursor(row: Mapping[Any, Any], sort: TicketSort = "activity") -> str:
    """Where a page ends, in the page's sort: `[updated_at, id]`, or `[affected, updated_at, id]`."""
    key: list[Any] = [row["updated_at"].isoformat(), row["id"]]
    if sort == "affected":
        key.insert(0, row["affected_count"])
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, sort: TicketSort = "activity") -> tuple[Any, ...]:
    """The sort key a page ends at; 422 for anything this service did not issue for this sort."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
        if not isinstance(key, list) or len(key) != (3 if sort == "affected" else 2):
            raise ValueError("not a cursor of this sort")
        *affected, updated_at, ticket_id = key
        moment = datetime.fromisoformat(updated_at)
        if moment.tzinfo is None or type(ticket_id) is not int or not 0 < ticket_id <= MAX_ID:
            raise ValueError("not a cursor")
        if affected and (type(affected[0]) is not int or not 0 <= affected[0] <= MAX_AFFECTED):
            raise ValueError("not a cursor")
        # A moment at the edge of the calendar (0001-01-01+05:00) has no UTC equivalent.
        moment = moment.astimezone(UTC)
    except (ValueError, TypeError, OverflowError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(
            "The cursor is not one this service issued for this sort; start again without a cursor "
            "and follow `next_cursor`.",
            slug="invalid-cursor",
        ) from None
    return (*affected, moment, ticket_id)


async def list_tickets(
    connection: AsyncConnection,
    *,
    role: str,
    statuses: Collection[Status] | None,
    categories: Collection[Category] | None,
    q: str | None,
    cursor: str | None,
    limit: int,
    room: str | None = None,
    building: str | None = None,
    sort: TicketSort = "activity",
    min_affected: int | None = None,
) -> TicketPage:
    """One page of tickets the role may see, newest activity (or most people affected) first."""
    after = decode_cursor(cursor, sort) if cursor else None
    rows = await repository.list_tickets(
        connection,
        statuses=domain.visible_statuses(role, statuses),
        categories=categories or (),
        q=q.strip() if q else None,
        after=after,
        limit=limit + 1,
        room=room,
        building=building,
        by_affected=sort == "affected",
        min_affected=min_affected,
    )
    next_cursor = encode_cursor(rows[limit - 1], sort) if len(rows) > limit else None
    return TicketPage(items=await ticket_reads(connection, rows[:limit]), next_cursor=next_cursor)


async def list_messages(
    connection: AsyncConnection, ticket_id: int, *, after: int | None, limit: int | None
) -> MessagePage:
    """A ticket's thread, oldest first."""
    rows = await repository.list_messages(
        connection, ticket_id, after=after, limit=None if limit is None else limit + 1
    )
    more = limit is not None and len(rows) > limit
    rows = rows[:limit] if limit is not None else rows
    photos = await photo_store.refs_of_messages(connection, (row["id"] for row in rows))
    items = [MessageRead.model_validate({**row, "photos": photos.get(row["id"], [])}) for row in rows]
    return MessagePage(items=items, next_after=items[-1].id if more else None)


async def history(connection: AsyncConnection, ticket_id: int) -> HistoryPage:
    """Every change to a ticket, oldest first."""
    rows = await repository.list_events(connection, ticket_id)
    return HistoryPage.model_validate({"items": rows})
