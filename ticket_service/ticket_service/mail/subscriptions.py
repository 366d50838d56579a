"""An address for one link's updates: set, erased, and stopped by the token of an unsubscribe link.

The unsubscribe token is derived from the link and the moment the address was given, so a new
subscription gets a new token and an old message cannot stop it; the database keeps only its hash.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ticket_service import tokens
from ticket_service.links import links as _links


def unsubscribe_token(secret: bytes, link_id: int, email_since: datetime) -> str:
    """The token of the unsubscribe link in every message of this subscription."""
    since = email_since.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%f")
    return tokens.derive(secret, tokens.UNSUBSCRIBE, link_id, since)


async def subscribe(connection: AsyncConnection, link_id: int, *, email: str, now: datetime, secret: bytes) -> None:
    """Send this link's updates to `email`; the same address again keeps its subscription (and token)."""
    current = await connection.scalar(select(_links.c.email).where(_links.c.id == link_id))
    if current == email:
        return
    token = unsubscribe_token(secret, link_id, now)
    await connection.execute(
        update(_links)
        .where(_links.c.id == link_id)
        .values(email=email, email_since=now, unsubscribe_hash=tokens.token_hash(token))
    )


async def erase(connection: AsyncConnection, link_id: int) -> None:
    """Forget the address; messages not sent yet are dropped by the sender when it reaches them."""
    await connection.execute(update(_links).where(_links.c.id == link_id).values(email=None, email_since=None))


async def unsubscribe(connection: AsyncConnection, token: str) -> int | None:
    """Stop the updates this token was issued for: the ticket id, or None for a token never issued.

    A second click answers the same: the hash stays after the address is erased.
    """
    row = (
        await connection.execute(
            select(_links.c.id, _links.c.ticket_id).where(_links.c.unsubscribe_hash == tokens.token_hash(token))
        )
    ).first()
    if row is None:
        return None
    await erase(connection, row.id)
    ticket_id: int = row.ticket_id
    return ticket_id
