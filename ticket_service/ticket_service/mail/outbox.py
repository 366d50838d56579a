"""The mail outbox: rows written in the transaction of the event they tell about, claimed and settled by the sender.

A row is claimed by moving its `next_attempt_at` past the end of the claim's lease in a short
transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so workers never take the same row; SQLite:
the single writer). A process killed mid-delivery leaves the row unsent; once the lease runs out
any worker takes it again, with the same Message-ID.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import cast

from sqlalchemy import Table, delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.vocabulary import EMAIL_RETENTION_DAYS, NotificationEvent
from ticket_service.links import links as _links
from ticket_service.mail.addresses import outbox_key
from ticket_service.models import MailOutbox
from ticket_service.repository import tickets as _tickets

_outbox = cast(Table, MailOutbox.__table__)

# Set on the connection by `enqueue`; the sender's pool listener sees it when the connection is
# returned after its commit and wakes the sender at once (the poll is only the backup).
ENQUEUED_FLAG = "campusdesk_mail_enqueued"
# `next_attempt_at` of a row the sender gave up on: kept, with its last error, until it is purged.
GAVE_UP_AT = datetime(9999, 12, 31, tzinfo=UTC)
# The longest error text kept in `last_error`.
_ERROR_CHARS = 500


async def enqueue(
    connection: AsyncConnection,
    *,
    ticket_id: int,
    event: NotificationEvent,
    at: datetime,
    detail: str | None = None,
) -> int:
    """Queue one message per link of the ticket that has an address, in the caller's transaction.

    `detail` is shown in the message: the helpdesk's answer (`answered`), the reporter's note
    (`follow_up`). Returns how many messages were queued.
    """
    link_ids = (
        await connection.scalars(
            select(_links.c.id).where(
                _links.c.ticket_id == ticket_id, _links.c.email.is_not(None), _links.c.revoked_at.is_(None)
            )
        )
    ).all()
    for link_id in link_ids:
        row_id = await connection.scalar(
            insert(_outbox)
            .values(
                link_id=link_id,
                ticket_id=ticket_id,
                event=event,
                detail=detail,
                # The id is known only after the insert: a unique placeholder until the next statement.
                message_id=f"pending-{uuid.uuid4().hex}",
                created_at=at,
                next_attempt_at=at,
                attempts=0,
            )
            .returning(_outbox.c.id)
        )
        assert row_id is not None
        await connection.execute(
            update(_outbox).where(_outbox.c.id == row_id).values(message_id=outbox_key(row_id, ticket_id))
        )
    if link_ids:
        connection.info[ENQUEUED_FLAG] = True
    return len(link_ids)


@dataclass(frozen=True)
class Claimed:
    """A claimed row with what its message needs; `email` is None when the address went meanwhile."""

    id: int
    link_id: int
    ticket_id: int
    event: NotificationEvent
    detail: str | None
    outbox_key: str
    attempts: int
    email: str | None
    email_since: datetime | None
    description: str


async def claim_due(connection: AsyncConnection, *, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` due rows until `lease_until`; no other worker takes them before then."""
    due = (
        select(_outbox.c.id)
        .where(_outbox.c.sent_at.is_(None), _outbox.c.next_attempt_at <= now)
        .order_by(_outbox.c.next_attempt_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = (await connection.scalars(due)).all()
    if not ids:
        return []
    await connection.execute(update(_outbox).where(_outbox.c.id.in_(ids)).values(next_attempt_at=lease_until))
    rows = await connection.execute(
        select(
            _outbox.c.id,
            _outbox.c.link_id,
            _outbox.c.ticket_id,
            _outbox.c.event,
            _outbox.c.detail,
            _outbox.c.message_id,
            _outbox.c.attempts,
            # Revoked links get nothing: their address counts as gone.
            _links.c.email,
            _links.c.email_since,
            _links.c.revoked_at,
            _tickets.c.description,
        )
        .join(_links, _links.c.id == _outbox.c.link_id)
        .join(_tickets, _tickets.c.id == _outbox.c.ticket_id)
        .where(_outbox.c.id.in_(ids))
        .order_by(_outbox.c.id)
    )
    return [
        Claimed(
            id=row.id,
            link_id=row.link_id,
            ticket_id=row.ticket_id,
            event=row.event,
            detail=row.detail,
            outbox_key=row.message_id,
            attempts=row.attempts,
            email=row.email if row.revoked_at is None else None,
            email_since=row.email_since,
            description=row.description,
        )
        for row in rows
    ]


async def next_due(connection: AsyncConnection) -> datetime | None:
    """When the earliest unsent row falls due (a retry, or a claim whose lease runs out)."""
    due: datetime | None = await connection.scalar(
        select(func.min(_outbox.c.next_attempt_at)).where(_outbox.c.sent_at.is_(None))
    )
    return due


async def mark_sent(connection: AsyncConnection, row_id: int, *, at: datetime) -> None:
    await connection.execute(update(_outbox).where(_outbox.c.id == row_id).values(sent_at=at, last_error=None))


async def drop(connection: AsyncConnection, row_id: int) -> None:
    """Forget a row whose address was erased or unsubscribed before it could be sent."""
    await connection.execute(delete(_outbox).where(_outbox.c.id == row_id))


async def record_failure(
    connection: AsyncConnection, row_id: int, *, attempts: int, error: str, retry_at: datetime | None
) -> None:
    """Count a failed attempt; `retry_at` None means no more attempts (kept for inspection until purged)."""
    await connection.execute(
        update(_outbox)
        .where(_outbox.c.id == row_id)
        .values(attempts=attempts, last_error=error[:_ERROR_CHARS], next_attempt_at=retry_at or GAVE_UP_AT)
    )


def retention_cutoff(now: datetime) -> datetime:
    return now - timedelta(days=EMAIL_RETENTION_DAYS)


async def erase_expired(connection: AsyncConnection, *, now: datetime) -> int:
    """Erase the addresses of links whose ticket closed EMAIL_RETENTION_DAYS ago, with their messages.

    Also purges any row older than that (sent, or given up). Returns how many addresses were erased.
    The unsubscribe hash stays: it is no personal data, and an old message's unsubscribe link
    keeps answering "stopped" instead of "unknown".
    """
    cutoff = retention_cutoff(now)
    expired = (
        select(_links.c.id)
        .join(_tickets, _tickets.c.id == _links.c.ticket_id)
        .where(_links.c.email.is_not(None), _tickets.c.closed_at < cutoff)
        .scalar_subquery()
    )
    await connection.execute(delete(_outbox).where(_outbox.c.link_id.in_(expired)))
    erased = await connection.execute(
        update(_links).where(_links.c.id.in_(expired)).values(email=None, email_since=None)
    )
    await connection.execute(delete(_outbox).where(_outbox.c.created_at < cutoff))
    return erased.rowcount
