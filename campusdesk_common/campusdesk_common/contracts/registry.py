"""Which model answers which operation of which provider: what the contract tests check.

Keys are `(method, path template)` exactly as the provider's OpenAPI document names
them; values are the success status and the model of its JSON body.
"""

from __future__ import annotations

from typing import NamedTuple

from pydantic import BaseModel

from campusdesk_common.contracts import (
    analytics_category,
    analytics_open,
    analytics_resolution,
    links,
    places,
    stats,
    tickets,
)


class Answer(NamedTuple):
    status: int
    model: type[BaseModel]


Operation = tuple[str, str]

PROVIDERS: dict[str, dict[Operation, Answer]] = {
    "ticket_service": {
        ("GET", "/tickets"): Answer(200, tickets.TicketPage),
        ("POST", "/tickets"): Answer(201, links.TicketCreated),
        ("GET", "/tickets/{ticket_id}"): Answer(200, tickets.TicketRead),
        ("PATCH", "/tickets/{ticket_id}"): Answer(200, tickets.TicketRead),
        ("GET", "/tickets/{ticket_id}/messages"): Answer(200, tickets.MessagePage),
        ("POST", "/tickets/{ticket_id}/messages"): Answer(201, tickets.MessageRead),
        ("GET", "/tickets/{ticket_id}/history"): Answer(200, tickets.HistoryPage),
        ("GET", "/tickets/{ticket_id}/category-explanation"): Answer(200, tickets.CategoryExplanation),
        ("GET", "/tickets/similar"): Answer(200, tickets.SimilarTicketPage),
        ("POST", "/classify"): Answer(200, tickets.CategoryPrediction),
        ("GET", "/stats/open-tickets"): Answer(200, stats.OpenTicketCounts),
        ("GET", "/stats/resolution-monthly"): Answer(200, stats.ResolutionMonthly),
        ("GET", "/stats/active-by-category"): Answer(200, stats.ActiveCounts),
        ("GET", "/stats/verified-fixes"): Answer(200, stats.VerifiedFixFacts),
        ("GET", "/stats/place-tickets"): Answer(200, places.PlaceTicketCounts),
        ("GET", "/places"): Answer(200, places.PlaceDirectory),
        ("GET", "/places/rooms"): Answer(200, places.RoomMatches),
        ("POST", "/places/preview"): Answer(200, places.DirectoryPreview),
        ("PUT", "/places"): Answer(200, places.DirectoryReplaced),
        ("POST", "/photos"): Answer(201, places.PhotoRef),
        ("POST", "/tickets/{ticket_id}/followers"): Answer(201, links.PrivateLink),
        ("GET", "/links/self"): Answer(200, links.LinkState),
        ("PUT", "/links/self/seen"): Answer(200, links.LinkState),
        ("POST", "/links/lookup"): Answer(200, links.LinkedTickets),
        ("POST", "/links/self/fix-answer"): Answer(201, links.FixAnswerRead),
        ("PUT", "/links/self/email"): Answer(200, links.LinkState),
        ("DELETE", "/links/self/email"): Answer(200, links.LinkState),
        ("POST", "/unsubscribe"): Answer(200, links.Unsubscribed),
    },
    "analytics_open_service": {("GET", "/open-tickets"): Answer(200, analytics_open.OpenTickets)},
    "analytics_resolution_service": {
        ("GET", "/resolution-time"): Answer(200, analytics_resolution.ResolutionTime),
        ("GET", "/verified-fixes"): Answer(200, analytics_resolution.VerifiedFixes),
    },
    "analytics_category_service": {
        ("GET", "/active-by-category"): Answer(200, analytics_category.ActiveByCategory),
        ("GET", "/recurring-problems"): Answer(200, analytics_category.RecurringProblems),
    },
}
