"""The ticket service's private links, in memory, for `FakeTicketService` (answers built from `contracts.links`).

The rules the gateway relies on: a token reaches only its own ticket (also once closed), a wrong
token is the same 404 as no ticket, following and "Is it fixed?" count once (Idempotency-Key;
one answer per link), "Still broken" within 14 days of closure files one linked follow-up, and
e-mail updates are offered only when the service can send mail.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from campusdesk_common.contracts.links import (
    PRIVATE_LINK_HEADER,
    EmailSubscription,
    FixAnswerCreate,
    FixAnswerRead,
    LinkedTicket,
    LinkedTickets,
    LinkLookup,
    LinkState,
    PrivateLink,
    SeenUpdate,
    Unsubscribe,
    Unsubscribed,
)
from campusdesk_common.contracts.tickets import MessageRead, TicketRead
from campusdesk_common.vocabulary import FOLLOW_UP_DAYS, FixAnswer, LinkKind


def new_token() -> str:
    return secrets.token_urlsafe(24)


@dataclass
class Link:
    token: str
    ticket_id: int
    kind: LinkKind
    created_at: datetime
    seen_message_id: int = 0
    fix_answer: FixAnswer | None = None
    fix_answered_at: datetime | None = None
    follow_up_ticket_id: int | None = None
    email: str | None = None


@dataclass
class FakeLinks:
    """Links by token, the answers the fake ticket service gives about them, and its idempotency keys."""

    now: Callable[[], datetime]
    email_available: bool = True
    links: dict[str, Link] = field(default_factory=dict)
    # Idempotency-Key -> the token it issued (follows).
    issued: dict[str, str] = field(default_factory=dict)

    def issue(self, ticket_id: int, kind: LinkKind) -> PrivateLink:
        link = Link(new_token(), ticket_id, kind, self.now())
        self.links[link.token] = link
        return PrivateLink(token=link.token, ticket_id=ticket_id, kind=kind)

    def holder(self, request: httpx.Request) -> Link | None:
        return self.links.get(request.headers.get(PRIVATE_LINK_HEADER, ""))

    def may_see(self, request: httpx.Request, ticket_id: int) -> bool:
        """Whether the request's private link is one of this ticket's."""
        link = self.holder(request)
        return link is not None and link.ticket_id == ticket_id

    def state(self, link: Link, ticket: TicketRead, messages: list[MessageRead]) -> LinkState:
        closed_at = ticket.closed_at
        unread = [m for m in messages if m.author_role == "helpdesk" and m.id > link.seen_message_id]
        return LinkState(
            ticket_id=link.ticket_id,
            kind=link.kind,
            created_at=link.created_at,
            seen_message_id=link.seen_message_id,
            unread_answers=len(unread),
            fix_answer=link.fix_answer,
            fix_answered_at=link.fix_answered_at,
            can_answer_fix=ticket.status == "closed" and link.fix_answer is None,
            follow_up_until=closed_at + timedelta(days=FOLLOW_UP_DAYS) if closed_at else None,
            follow_up_ticket_id=link.follow_up_ticket_id,
            email_updates=link.email is not None,
            email_available=self.email_available,
        )

    def lookup(self, body: bytes, tickets: dict[int, TicketRead], messages: list[MessageRead]) -> LinkedTickets:
        asked = LinkLookup.model_validate_json(body)
        items = []
        for position, token in enumerate(asked.tokens):
            link = self.links.get(token)
            if link is None:
                continue
            state = self.state(link, tickets[link.ticket_id], _of(messages, link.ticket_id))
            items.append(
                LinkedTicket(
                    position=position,
                    kind=link.kind,
                    unread_answers=state.unread_answers,
                    ticket=tickets[link.ticket_id],
                )
            )
        items.sort(key=lambda item: item.ticket.updated_at, reverse=True)
        return LinkedTickets(items=items)

    def seen(self, link: Link, body: bytes) -> None:
        link.seen_message_id = max(link.seen_message_id, SeenUpdate.model_validate_json(body).message_id)

    def subscribe(self, link: Link, body: bytes) -> None:
        link.email = EmailSubscription.model_validate_json(body).email

    def unsubscribe(self, body: bytes) -> Unsubscribed | None:
        link = self.links.get(Unsubscribe.model_validate_json(body).token)
        if link is None:
            return None
        link.email = None
        return Unsubscribed(ticket_id=link.ticket_id)

    def answer_fix(
        self, link: Link, ticket: TicketRead, body: bytes, file_follow_up: Callable[[str], TicketRead]
    ) -> tuple[FixAnswerRead, bool]:
        """The recorded answer, and whether it was new (one answer per link: a repeat returns the first)."""
        if link.fix_answer is not None and link.fix_answered_at is not None:
            first = FixAnswerRead(
                answer=link.fix_answer,
                answered_at=link.fix_answered_at,
                follow_up_ticket_id=link.follow_up_ticket_id,
            )
            return first, False
        given = FixAnswerCreate.model_validate(json.loads(body))
        link.fix_answer, link.fix_answered_at = given.answer, self.now()
        follow_up = None
        closed_at = ticket.closed_at
        if given.answer == "broken" and closed_at and self.now() <= closed_at + timedelta(days=FOLLOW_UP_DAYS):
            new = file_follow_up(given.note or f"Still broken after ticket #{ticket.id} was closed.")
            follow_up = self.issue(new.id, "reporter")
            link.follow_up_ticket_id = new.id
        recorded = FixAnswerRead(
            answer=given.answer,
            answered_at=link.fix_answered_at,
            follow_up=follow_up,
            follow_up_ticket_id=link.follow_up_ticket_id,
        )
        return recorded, True


def _of(messages: list[MessageRead], ticket_id: int) -> list[MessageRead]:
    return [m for m in messages if m.ticket_id == ticket_id]
