"""Private links (`/t/<token>`): the ticket service's answers about a ticket followed without an account.

A token is issued by the ticket service, shown once to whoever took the link, and stored
there only as a SHA-256 hash. It travels in the `X-Private-Link` header (never in an API
path, so no log line can hold it); `GET /tickets/{id}` and its thread also accept it, so a
closed ticket stays readable to the holder of its link.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from campusdesk_common.contracts.common import Timestamp
from campusdesk_common.contracts.tickets import TicketRead, TicketText
from campusdesk_common.vocabulary import FixAnswer, LinkKind

PRIVATE_LINK_HEADER = "X-Private-Link"
# 24 random-looking bytes in URL-safe base64: 192 bits, more than the 128 a guess would need to beat.
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{32}$"
# How many private links one browser's "My tickets" may ask about at once.
MAX_LOOKUP = 100

Token = Annotated[
    str,
    Field(
        min_length=32,
        max_length=32,
        pattern=TOKEN_PATTERN,
        description="A private link's token: 32 URL-safe characters.",
    ),
]

# Deliberately plain: a mailbox name, one @, a domain with a dot. Delivery is the real test.
_EMAIL = re.compile(
    r"[^@\s<>()\[\],;:\"\\\x00-\x1f\x7f]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)


def clean_email(value: str) -> str:
    """Trim an e-mail address and refuse what is not one; the domain is lower-cased."""
    value = value.strip()
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise ValueError("must be an e-mail address such as name@example.edu")
    local, domain = value.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


EmailAddress = Annotated[
    str,
    AfterValidator(clean_email),
    Field(min_length=3, max_length=254, description="An e-mail address (name@domain), at most 254 characters."),
]


class PrivateLink(BaseModel):
    """A private link just issued: the only answer that ever carries its token."""

    token: Token
    ticket_id: int
    kind: LinkKind


class TicketCreated(TicketRead):
    """A new ticket; for a `user`, with the reporter's private link."""

    private_link: PrivateLink | None = Field(
        default=None, description="The reporter's private link (role `user`); null for the helpdesk."
    )


class LinkState(BaseModel):
    """What the holder of a private link sees beside the ticket itself."""

    ticket_id: int
    kind: LinkKind
    created_at: Timestamp
    seen_message_id: int = Field(ge=0, description="The newest message the holder has seen (0: none).")
    unread_answers: int = Field(ge=0, description="Helpdesk messages newer than `seen_message_id`.")
    fix_answer: FixAnswer | None = Field(description="The answer to “Is it fixed?”, once given.")
    fix_answered_at: Timestamp | None
    can_answer_fix: bool = Field(description="The ticket is closed and this link has not answered yet.")
    follow_up_until: Timestamp | None = Field(
        description="Until when “Still broken” files a follow-up (closure + 14 days); null while not closed."
    )
    follow_up_ticket_id: int | None = Field(description="The follow-up this link's “Still broken” filed.")
    email_updates: bool = Field(description="This link sends e-mail updates (the address itself is never shown).")
    email_available: bool = Field(description="The service can send e-mail (SMTP is configured).")


class LinkLookup(BaseModel):
    """The tokens a browser keeps: which tickets are “mine”."""

    model_config = ConfigDict(extra="forbid")

    tokens: list[Token] = Field(max_length=MAX_LOOKUP, description=f"At most {MAX_LOOKUP} tokens.")


class LinkedTicket(BaseModel):
    """A ticket reached through one of the tokens asked about."""

    position: int = Field(ge=0, description="The token's index in the request.")
    kind: LinkKind
    unread_answers: int = Field(ge=0)
    ticket: TicketRead


class LinkedTickets(BaseModel):
    """The tickets of the tokens asked about, newest activity first; unknown or revoked tokens are left out."""

    items: list[LinkedTicket]


class SeenUpdate(BaseModel):
    """The holder has read the thread up to this message."""

    model_config = ConfigDict(extra="forbid")

    message_id: int = Field(ge=0, le=2**63 - 1)


class FixAnswerCreate(BaseModel):
    """“Is it fixed?”: answered once per link, after closure."""

    model_config = ConfigDict(extra="forbid")

    answer: FixAnswer
    note: TicketText | None = Field(
        default=None, description="What is still wrong (with `broken`): the follow-up ticket's description."
    )


class FixAnswerRead(BaseModel):
    """The answer as recorded (a repeated answer returns the first one), and the follow-up it filed."""

    answer: FixAnswer
    answered_at: Timestamp
    follow_up: PrivateLink | None = Field(
        default=None,
        description="“Still broken” within 14 days of closure: the follow-up ticket and its private link "
        "for this holder, in every answer to this link (a double submit must not lose it).",
    )
    follow_up_ticket_id: int | None = None


class EmailSubscription(BaseModel):
    """An address that gets this ticket's updates, for this link alone."""

    model_config = ConfigDict(extra="forbid")

    email: EmailAddress


class Unsubscribe(BaseModel):
    """The token of an e-mail's unsubscribe link."""

    model_config = ConfigDict(extra="forbid")

    token: Token


class Unsubscribed(BaseModel):
    """E-mail updates stopped (also when they had already stopped)."""

    ticket_id: int
