"""Private links: issuing them, finding a ticket by its token, and what a holder sees beside it.

A link is found only by the SHA-256 of its token (tokens.py); a token that is malformed, unknown,
revoked or of another ticket finds nothing, and every caller answers that the same way as a
ticket that does not exist.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import BigInteger, Table, and_, func, insert, null, select, union_all, update
from sqlalchemy import cast as sql_cast
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.links import TOKEN_PATTERN, LinkState, PrivateLink
from campusdesk_common.vocabulary import FOLLOW_UP_DAYS, LinkKind
from ticket_service import tokens
from ticket_service.models import PrivateLink as PrivateLinkRow
from ticket_service.repository import TICKET_COLUMNS, messages, tickets

links = cast(Table, PrivateLinkRow.__table__)

_TOKEN = re.compile(TOKEN_PATTERN)
LINK_COLUMNS = (
    links.c.id,
    links.c.ticket_id,
    links.c.kind,
    links.c.created_at,
    links.c.seen_message_id,
    links.c.fix_answer,
    links.c.fix_answered_at,
    links.c.follow_up_ticket_id,
    links.c.email.is_not(None).label("email_updates"),  # the address itself never leaves this module
)
LIVE = links.c.revoked_at.is_(None)


def hash_of(token: str | None) -> str | None:
    """The hash to look a token up by; None for anything that cannot be a token (no query needed)."""
    if token is None or not _TOKEN.fullmatch(token):
        return None
    return tokens.token_hash(token)


@dataclass(frozen=True, slots=True)
class IssuedLink:
    """A link just issued: its row id (what an idempotent answer stores) and the link with its token."""

    id: int
    link: PrivateLink

    def stored(self) -> dict[str, Any]:
        """The link as a stored answer keeps it: its id where the token would be (see `revealer`)."""
        return {"link_id": self.id, "ticket_id": self.link.ticket_id, "kind": self.link.kind}


async def issue(
    connection: AsyncConnection, secret: bytes, *, ticket_id: int, kind: LinkKind, now: datetime
) -> IssuedLink:
    """A new link to `ticket_id`; its token is derived from the new row's id, so the row is stored first."""
    placeholder = secrets.token_hex(32)  # unique, and the hash of no token anyone holds
    statement = (
        insert(links)
        .values(ticket_id=ticket_id, kind=kind, token_hash=placeholder, created_at=now)
        .returning(links.c.id)
    )
    link_id: int = (await connection.execute(statement)).scalar_one()
    token = tokens.link_token(secret, link_id)
    await connection.execute(update(links).where(links.c.id == link_id).values(token_hash=tokens.token_hash(token)))
    return IssuedLink(link_id, PrivateLink(token=token, ticket_id=ticket_id, kind=kind))


async def find(connection: AsyncConnection, token: str | None) -> RowMapping | None:
    """The live link of `token`, or None."""
    token_hash = hash_of(token)
    if token_hash is None:
        return None
    statement = select(*LINK_COLUMNS).where(links.c.token_hash == token_hash, LIVE)
    return (await connection.execute(statement)).mappings().first()


async def by_id(connection: AsyncConnection, link_id: int) -> RowMapping | None:
    """Link `link_id` as it is now (read again after a concurrent change)."""
    statement = select(*LINK_COLUMNS).where(links.c.id == link_id, LIVE)
    return (await connection.execute(statement)).mappings().first()


async def tickets_by_id(connection: AsyncConnection, ticket_ids: Iterable[int]) -> Sequence[RowMapping]:
    """These tickets' rows (any status: a link opens closed tickets too)."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return []
    return (await connection.execute(select(*TICKET_COLUMNS).where(tickets.c.id.in_(ids)))).mappings().all()


async def ticket_by_token(connection: AsyncConnection, ticket_id: int, token: str | None) -> RowMapping | None:
    """Ticket `ticket_id` when `token` is a live link to it (in any status), else None."""
    token_hash = hash_of(token)
    if token_hash is None:
        return None
    statement = (
        select(*TICKET_COLUMNS)
        .join(links, links.c.ticket_id == tickets.c.id)
        .where(tickets.c.id == ticket_id, links.c.token_hash == token_hash, LIVE)
    )
    return (await connection.execute(statement)).mappings().first()


async def opens_ticket(connection: AsyncConnection, ticket_id: int, token: str | None) -> bool:
    """`token` is a live link to `ticket_id`."""
    token_hash = hash_of(token)
    if token_hash is None:
        return False
    statement = select(links.c.id).where(links.c.ticket_id == ticket_id, links.c.token_hash == token_hash, LIVE)
    return (await connection.execute(statement)).first() is not None


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What a ticket's read shows about its links: follow-ups filed after it, e-mail updates."""

    followed_up_by: list[int]
    email_updates: bool


NO_FACTS = TicketFacts([], False)


async def ticket_facts(connection: AsyncConnection, ticket_ids: Sequence[int]) -> dict[int, TicketFacts]:
    """Follow-ups and e-mail updates of many tickets in one query (a page of the list is one round trip)."""
    if not ticket_ids:
        return {}
    follow_ups = select(tickets.c.follows_up.label("ticket_id"), tickets.c.id.label("other")).where(
        tickets.c.follows_up.in_(ticket_ids)
    )
    subscribed = (
        select(links.c.ticket_id, sql_cast(null(), BigInteger).label("other"))
        .where(links.c.ticket_id.in_(ticket_ids), links.c.email.is_not(None), LIVE)
        .distinct()
    )
    rows = (await connection.execute(union_all(follow_ups, subscribed))).all()
    followed: defaultdict[int, list[int]] = defaultdict(list)
    emailed: set[int] = set()
    for ticket_id, other in rows:
        if other is None:
            emailed.add(ticket_id)
        else:
            followed[ticket_id].append(other)
    return {
        ticket_id: TicketFacts(sorted(followed.get(ticket_id, [])), ticket_id in emailed)
        for ticket_id in set(followed) | emailed
    }


async def unread_answers(connection: AsyncConnection, link_ids: Iterable[int]) -> dict[int, int]:
    """Helpdesk messages newer than what each link's holder has seen, by link id (absent: none)."""
    ids = sorted(set(link_ids))
    if not ids:
        return {}
    newer = and_(
        messages.c.ticket_id == links.c.ticket_id,
        messages.c.id > links.c.seen_message_id,
        messages.c.author_role == "helpdesk",
    )
    statement = (
        select(links.c.id, func.count(messages.c.id))
        .select_from(links.join(messages, newer))
        .where(links.c.id.in_(ids))
        .group_by(links.c.id)
    )
    return {link_id: count for link_id, count in (await connection.execute(statement)).all()}


def follow_up_until(closed_at: datetime | None) -> datetime | None:
    """Until when "Still broken" files a follow-up; None while the ticket is not closed."""
    return None if closed_at is None else closed_at + timedelta(days=FOLLOW_UP_DAYS)


def state(link: RowMapping, ticket: RowMapping, *, unread: int, email_available: bool) -> LinkState:
    return LinkState(
        ticket_id=link["ticket_id"],
        kind=link["kind"],
        created_at=link["created_at"],
        seen_message_id=link["seen_message_id"],
        unread_answers=unread,
        fix_answer=link["fix_answer"],
        fix_answered_at=link["fix_answered_at"],
        can_answer_fix=ticket["status"] == "closed" and link["fix_answer"] is None,
        follow_up_until=follow_up_until(ticket["closed_at"]),
        follow_up_ticket_id=link["follow_up_ticket_id"],
        email_updates=link["email_updates"],
        email_available=email_available,
    )


async def mark_seen(connection: AsyncConnection, link: RowMapping, message_id: int) -> None:
    """Move what the holder has seen forward, never back and never past the thread's newest message."""
    newest = select(func.coalesce(func.max(messages.c.id), 0)).where(messages.c.ticket_id == link["ticket_id"])
    target = min(message_id, int(await connection.scalar(newest) or 0))
    statement = (
        update(links).where(links.c.id == link["id"], links.c.seen_message_id < target).values(seen_message_id=target)
    )
    await connection.execute(statement)


async def live_links(connection: AsyncConnection, token_hashes: Sequence[str]) -> Sequence[RowMapping]:
    """The live links of these hashes, with the hash (to tell which token each answers)."""
    if not token_hashes:
        return []
    statement = select(*LINK_COLUMNS, links.c.token_hash).where(links.c.token_hash.in_(token_hashes), LIVE)
    return (await connection.execute(statement)).mappings().all()


def revealer(secret: bytes) -> Callable[[str], str]:
    """Turns a stored answer back into the answer to send: each stored link gets its token again."""

    def reveal_link(value: Any) -> Any:
        if isinstance(value, dict) and set(value) == {"link_id", "ticket_id", "kind"}:
            token = tokens.link_token(secret, value["link_id"])
            return PrivateLink(token=token, ticket_id=value["ticket_id"], kind=value["kind"]).model_dump()
        return value

    def reveal(body: str) -> str:
        answer = json.loads(body)
        if isinstance(answer, dict):
            answer = reveal_link(answer)
            if "private_link" in answer:
                answer["private_link"] = reveal_link(answer["private_link"])
        return json.dumps(answer, ensure_ascii=False, separators=(",", ":"))  # as responses.compact_json

    return reveal
