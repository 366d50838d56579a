"""What a private link lets its holder do: follow a ticket ("This affects me too"), answer "Is it fixed?".

"Still broken" within FOLLOW_UP_DAYS of closure files one follow-up ticket, linked to the closed
one by `follows_up`; the closed ticket itself is never written to (not its version, nor updated_at).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.links import (
    FixAnswerCreate,
    FixAnswerRead,
    LinkedTicket,
    LinkedTickets,
    LinkState,
    PrivateLink,
)
from campusdesk_common.contracts.tickets import MAX_TEXT_LENGTH
from campusdesk_common.problems import Conflict, NotFound
from ticket_service import counters, domain, links, repository, rollups, service, tokens
from ticket_service.links import IssuedLink
from ticket_service.mail import outbox


def no_such_link() -> NotFound:
    return NotFound("There is no such private link (it may have been mistyped or revoked).", slug="link-not-found")


async def live_link(connection: AsyncConnection, token: str | None) -> RowMapping:
    """The link of `token`, or 404."""
    link = await links.find(connection, token)
    if link is None:
        raise no_such_link()
    return link


async def link_state(connection: AsyncConnection, link: RowMapping, *, email_available: bool) -> LinkState:
    ticket = await repository.get_ticket(connection, link["ticket_id"])
    assert ticket is not None  # a link is deleted with its ticket
    unread = await links.unread_answers(connection, [link["id"]])
    return links.state(link, ticket, unread=unread.get(link["id"], 0), email_available=email_available)


async def follow(connection: AsyncConnection, secret: bytes, ticket_id: int, *, now: datetime) -> IssuedLink:
    """Count one more person affected by an open or active ticket, and give them its private link."""
    if not await repository.add_follower(connection, ticket_id):
        # Only open and active tickets take followers, and followers are simple users, to whom a
        # closed ticket does not exist: the same 404 as a missing one, never "it is closed".
        raise domain.no_such_ticket(ticket_id)
    return await links.issue(connection, secret, ticket_id=ticket_id, kind="follower", now=now)


@dataclass(frozen=True, slots=True)
class FixOutcome:
    answer: FixAnswerRead
    first: bool  # this request recorded the answer (201); otherwise it repeats the recorded one (200)


async def answer_fix(
    connection: AsyncConnection, secret: bytes, link: RowMapping, answer: FixAnswerCreate, *, now: datetime
) -> FixOutcome:
    """Record the link's one answer to "Is it fixed?"; "broken" in time files a follow-up ticket."""
    if link["fix_answer"] is not None:
        return FixOutcome(await _recorded(connection, secret, link), first=False)
    # The ticket's answers are counted one transaction after the other (verified-fix facts).
    await rollups.lock_fix_facts(connection, link["ticket_id"])
    closed = await repository.get_ticket(connection, link["ticket_id"])
    assert closed is not None
    if closed["status"] != "closed":
        raise Conflict(
            f"Ticket {closed['id']} is not closed yet: “Is it fixed?” is asked once the helpdesk closes it.",
            slug="ticket-not-closed",
        )
    # Conditional: of two concurrent answers (a double click) only one finds fix_answer still empty.
    claim = (
        update(links.links)
        .where(links.links.c.id == link["id"], links.links.c.fix_answer.is_(None))
        .values(fix_answer=answer.answer, fix_answered_at=now)
        .returning(links.links.c.id)
    )
    if (await connection.execute(claim)).first() is None:
        again = await links.by_id(connection, link["id"])
        assert again is not None
        return FixOutcome(await _recorded(connection, secret, again), first=False)
    await rollups.record_fix_answer(
        connection,
        ticket_id=closed["id"],
        link_id=link["id"],
        answer=answer.answer,
        category=closed["category"],
        closed_at=closed["closed_at"],
    )
    follow_up: IssuedLink | None = None
    until = links.follow_up_until(closed["closed_at"])
    if answer.answer == "broken" and until is not None and now <= until:
        follow_up = await _file_follow_up(connection, secret, closed, link, answer.note, now=now)
    return FixOutcome(
        FixAnswerRead(
            answer=answer.answer,
            answered_at=now,
            follow_up=None if follow_up is None else follow_up.link,
            follow_up_ticket_id=None if follow_up is None else follow_up.link.ticket_id,
        ),
        first=True,
    )


async def _file_follow_up(
    connection: AsyncConnection,
    secret: bytes,
    closed: RowMapping,
    link: RowMapping,
    note: str | None,
    *,
    now: datetime,
) -> IssuedLink:
    """A new ticket continuing `closed`: same category and place, its own reporter link for this holder."""
    description = note or follow_up_description(closed["id"], closed["description"])
    await rollups.record_follow_up(
        connection, ticket_id=closed["id"], category=closed["category"], closed_at=closed["closed_at"], opened_at=now
    )
    row = await repository.insert_ticket(
        connection,
        description=description,
        category=closed["category"],
        confidence=closed["category_confidence"],
        role="user",
        now=now,
        room_code=closed["room_code"],
        place_note=closed["place_note"],
        follows_up=closed["id"],
    )
    await counters.record_created(connection, category=row["category"], opened_at=row["opened_at"])
    issued = await links.issue(connection, secret, ticket_id=row["id"], kind="reporter", now=now)
    await connection.execute(
        update(links.links).where(links.links.c.id == link["id"]).values(follow_up_ticket_id=row["id"])
    )
    # The closed ticket's subscribers hear of it; the follow-up's own link starts without an address.
    await outbox.enqueue(connection, ticket_id=closed["id"], event="follow_up", at=now, detail=description)
    return issued


def follow_up_description(closed_id: int, closed_description: str) -> str:
    """A follow-up's description when the holder wrote no note: the closed ticket, named and quoted."""
    text = f"Still broken after ticket #{closed_id} was closed. It said: {closed_description}"
    return text[:MAX_TEXT_LENGTH].rstrip()


async def _recorded(connection: AsyncConnection, secret: bytes, link: RowMapping) -> FixAnswerRead:
    """The answer the link gave, with the follow-up it filed (and that follow-up's link, for this holder)."""
    follow_up_id = link["follow_up_ticket_id"]
    follow_up = None
    if follow_up_id is not None:
        reporter = (
            select(links.links.c.id)
            .where(links.links.c.ticket_id == follow_up_id, links.links.c.kind == "reporter", links.LIVE)
            .order_by(links.links.c.id)
            .limit(1)
        )
        reporter_id = await connection.scalar(reporter)
        if reporter_id is not None:
            token = tokens.link_token(secret, reporter_id)
            follow_up = PrivateLink(token=token, ticket_id=follow_up_id, kind="reporter")
    return FixAnswerRead(
        answer=link["fix_answer"],
        answered_at=link["fix_answered_at"],
        follow_up=follow_up,
        follow_up_ticket_id=follow_up_id,
    )


async def lookup(connection: AsyncConnection, asked: Sequence[str]) -> LinkedTickets:
    """The tickets of the tokens a browser keeps ("My tickets"), newest activity first."""
    positions: dict[str, int] = {}
    for position, token in enumerate(asked):
        token_hash = links.hash_of(token)
        if token_hash is not None:
            positions.setdefault(token_hash, position)
    found = await links.live_links(connection, list(positions))
    rows = await links.tickets_by_id(connection, (link["ticket_id"] for link in found))
    reads = {read.id: read for read in await service.ticket_reads(connection, rows)}
    unread = await links.unread_answers(connection, (link["id"] for link in found))
    items = [
        LinkedTicket(
            position=positions[link["token_hash"]],
            kind=link["kind"],
            unread_answers=unread.get(link["id"], 0),
            ticket=reads[link["ticket_id"]],
        )
        for link in found
    ]
    items.sort(key=lambda item: (-item.ticket.updated_at.timestamp(), -item.ticket.id, item.position))
    return LinkedTickets(items=items)
