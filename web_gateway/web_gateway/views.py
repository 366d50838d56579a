"""View models of the ticket pages: small objects built from the ticket service's contract models.

A page made of several calls shows each part on its own (`Part`): when one call
fails, that part says why and the rest of the page still works.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from campusdesk_common.contracts.tickets import (
    MAX_TEXT_LENGTH,
    CategoryPrediction,
    HistoryEvent,
    MessageRead,
    SimilarTicket,
    TicketRead,
    clean_text,
)
from campusdesk_common.vocabulary import (
    AUTHOR_LABELS,
    CATEGORIES,
    CATEGORY_LABELS,
    EVENT_LABELS,
    STATUS_LABELS,
    STATUSES,
)
from web_gateway.ticket_api import TicketApi
from web_gateway.upstream import UpstreamProblem

T = TypeVar("T")


@dataclass(frozen=True)
class Part(Generic[T]):
    """One part of a page: its value, or the sentence saying why it is missing."""

    value: T | None = None
    error: str | None = None


async def part(call: Awaitable[T], shown: type[UpstreamProblem] = UpstreamProblem) -> Part[T]:
    """Await `call`; a `shown` problem becomes the part's error instead of failing the whole page."""
    try:
        return Part(await call)
    except shown as exc:
        return Part(error=exc.detail)


async def skipped(empty: T) -> T:
    """A part the page does not show this time."""
    return empty


@dataclass(frozen=True)
class HistoryLine:
    """A change as the history shows it: what, who, when, and the old and new value in people's words."""

    at: datetime
    what: str
    who: str
    change: tuple[str, str] | None
    previous_text: str | None


def _word(value: str | None) -> str:
    # Stored as plain text by the ticket service: a status or category for those kinds of change.
    if value in STATUSES:
        return STATUS_LABELS[value]
    if value in CATEGORIES:
        return CATEGORY_LABELS[value]
    return value or "—"


def history_line(event: HistoryEvent) -> HistoryLine:
    change = None
    if event.kind in ("status_changed", "category_changed"):
        change = (_word(event.old_value), _word(event.new_value))
    previous = event.old_value if event.kind == "description_changed" else None
    return HistoryLine(event.at, EVENT_LABELS[event.kind], AUTHOR_LABELS[event.role], change, previous)


@dataclass
class TicketView:
    """Everything the ticket page shows."""

    ticket: TicketRead
    messages: Part[list[MessageRead]]
    history: Part[list[HistoryLine]] = field(default_factory=Part)

    @property
    def last_message_id(self) -> int:
        return max((m.id for m in self.messages.value or []), default=0)


async def _history(api: TicketApi, ticket_id: int) -> list[HistoryLine]:
    return [history_line(event) for event in await api.history(ticket_id)]


async def ticket_view(api: TicketApi, ticket_id: int, *, thread_only: bool = False) -> TicketView:
    """The ticket (a failure here fails the page) and its parts (each may fail alone). The category's
    evidence is not one of them: it is model work, asked for only when staff open it (routes/explanations.py)."""
    with_history = not thread_only
    ticket, messages, history = await asyncio.gather(
        api.get(ticket_id),
        part(api.messages(ticket_id)),
        part(_history(api, ticket_id)) if with_history else skipped(Part[list[HistoryLine]]()),
    )
    return TicketView(ticket, messages, history)


def poll_context(ticket_path: str, after: int, messages: Part[list[MessageRead]], poll_seconds: int) -> dict[str, Any]:
    """The thread's poller: the new messages and where to poll next (`ticket_path`: `/tickets/<id>` or a
    private link's `/t/<token>`), or why live updates paused."""
    new = messages.value or []
    return {
        "ticket_path": ticket_path,
        "photo_prefix": ticket_path if ticket_path.startswith("/t/") else "",
        "new_messages": new,
        "last_message_id": max((m.id for m in new), default=after),
        "poll_error": messages.error,
        "poll_seconds": poll_seconds,
    }


@dataclass(frozen=True)
class Preview:
    """What the report form shows while the person types: the category it would get and similar tickets."""

    text: str
    prediction: Part[CategoryPrediction]
    similar: Part[list[SimilarTicket]]

    @property
    def unavailable(self) -> bool:
        return self.prediction.error is not None or self.similar.error is not None


PREVIEW_MIN_LENGTH = 3


async def preview(api: TicketApi, draft: str) -> Preview | None:
    """Suggestions for a draft; none while it is too short or not yet text the ticket service accepts."""
    try:
        text = clean_text(draft[:MAX_TEXT_LENGTH])
    except ValueError:
        return None
    if len(text) < PREVIEW_MIN_LENGTH:
        return None
    prediction, similar = await asyncio.gather(part(api.classify(text)), part(api.similar(text)))
    return Preview(text, prediction, similar)
