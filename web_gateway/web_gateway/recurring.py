"""Recurring problems in the gateway: the Analytics panel's view, and the "Recurring" badge for staff.

Both ask the category analytics service with its defaults (3 tickets in 30 days): the
service owns what "recurring" means; the gateway only shows its answer.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from fastapi import Request

from campusdesk_common.contracts.analytics_category import RecurringPlace, RecurringProblems
from campusdesk_common.contracts.tickets import TicketRead
from web_gateway.analytics_api import AnalyticsApi
from web_gateway.charts import BarChart, bar_chart
from web_gateway.security import current_role
from web_gateway.upstream import UpstreamProblem

# A badge is a hint: a ticket page or list never waits longer than this for it.
BADGE_WAIT_SECONDS = 1.5


@dataclass
class _BadgeAnswer:
    """The badge sentence of each recurring (room, category) of the last answer a process got (none
    until one arrives), the start of its window, and when it asked. A ticket is matched by its room
    and category, not by id: the answer lists only the newest ids of a busy place."""

    sentences: dict[tuple[str, str], str] = field(default_factory=dict)
    since: datetime | None = None
    asked_at: float = -math.inf
    asking: asyncio.Lock = field(default_factory=asyncio.Lock)


@dataclass(frozen=True)
class RecurringView:
    answer: RecurringProblems
    caption: str
    chart: BarChart


def place_label(place: RecurringPlace) -> str:
    """ "Lift lobby (B1-L0), Main building: Facility management" — a place and what keeps happening there."""
    room = place.room
    retired = " (retired)" if room.retired else ""
    return f"{room.room_name} ({room.room_code}){retired}, {room.building_name}: {place.label}"


def recurring_view(answer: RecurringProblems) -> RecurringView:
    places = len(answer.places)
    caption = (
        f"{places} place{'s' if places != 1 else ''} with at least {answer.min_tickets} tickets of the same "
        f"category opened in the last {answer.days} days."
    )
    chart = bar_chart(
        "Tickets of the same category per place",
        caption,
        "tickets",
        [(place_label(place), float(place.count)) for place in answer.places],
    )
    return RecurringView(answer, caption, chart)


async def recurring_badges(request: Request, tickets: Iterable[TicketRead]) -> dict[int, str]:
    """For staff: each of `tickets` that is part of a recurring problem (its room and category recur, and
    it was opened in the analysis' window), with a sentence saying which. Empty for simple users, and
    when the analysis is unavailable or slow (the page is shown without badges rather than late)."""
    if current_role(request) != "helpdesk":
        return {}
    answer = await _latest_answer(request)
    if answer.since is None:
        return {}
    badges: dict[int, str] = {}
    for ticket in tickets:
        if ticket.place is None or ticket.opened_at < answer.since:
            continue
        sentence = answer.sentences.get((ticket.place.room.room_code, ticket.category))
        if sentence is not None:
            badges[ticket.id] = sentence
    return badges


def _sentences(answer: RecurringProblems) -> dict[tuple[str, str], str]:
    return {
        (place.room.room_code, place.category): f"One of {place.count} {place.label} tickets at "
        f"{place.room.room_name} ({place.room.room_code}) opened in the last {answer.days} days."
        for place in answer.places
    }


async def _latest_answer(request: Request) -> _BadgeAnswer:
    """The cached answer, asked again once older than `recurring_badge_max_age` (a minute), by one
    request at a time; the others, and a failed or slow question, keep the previous answer."""
    state = request.app.state
    cache: _BadgeAnswer | None = getattr(state, "recurring_badge_answer", None)
    if cache is None:
        cache = state.recurring_badge_answer = _BadgeAnswer()
    max_age = state.settings.recurring_badge_max_age
    if time.monotonic() - cache.asked_at < max_age or cache.asking.locked():
        return cache
    async with cache.asking:
        cache.asked_at = time.monotonic()
        api = AnalyticsApi(state.analytics_open, state.analytics_resolution, state.analytics_category)
        try:
            async with asyncio.timeout(BADGE_WAIT_SECONDS):
                answer = await api.recurring_problems()
            cache.sentences, cache.since = _sentences(answer), answer.since
        except (UpstreamProblem, TimeoutError):
            pass
    return cache
