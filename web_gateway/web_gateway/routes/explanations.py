"""Why a ticket has its category: the model's evidence, asked for only when staff want to see it.

The ticket page does not wait for it (model work on every staff view): opening "Why this
category?" loads the `evidence-body` fragment with htmx; without JavaScript the link inside
the disclosure opens the same evidence as a page of its own.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web_gateway.dependencies import HelpdeskOnly, TicketApiDep
from web_gateway.templating import render, wants_fragment
from web_gateway.views import part

router = APIRouter()

EVIDENCE_FRAGMENTS = ["evidence-body"]


@router.get("/tickets/{ticket_id}/category-evidence", dependencies=[HelpdeskOnly])
async def category_evidence(request: Request, ticket_id: int, api: TicketApiDep) -> Response:
    """Helpdesk: the words that weighed most for a ticket's category and the nearest labelled examples."""
    if wants_fragment(request, EVIDENCE_FRAGMENTS):
        # The fragment goes into the ticket page, which already shows the ticket.
        context = {"explanation": await part(api.explanation(ticket_id))}
        return render(request, "ticket_evidence.html", context, fragments=EVIDENCE_FRAGMENTS)
    ticket, explanation = await asyncio.gather(api.get(ticket_id), part(api.explanation(ticket_id)))
    return render(request, "ticket_evidence.html", {"ticket": ticket, "explanation": explanation})
