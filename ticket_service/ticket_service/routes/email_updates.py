"""E-mail updates of a private link: give an address, take it back, and the one-click unsubscribe."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.links import EmailSubscription, LinkState, Unsubscribe, Unsubscribed
from campusdesk_common.problems import Conflict, NotFound, problem_responses
from campusdesk_common.vocabulary import EMAIL_RETENTION_DAYS
from ticket_service import link_actions, links, repository
from ticket_service.dependencies import LinkSecretDep, PrivateLinkDep, TicketRoute, UnitOfWorkDep
from ticket_service.mail import subscriptions
from ticket_service.mail.outbox import retention_cutoff
from ticket_service.routes.responses import json_response

router = APIRouter(tags=["e-mail updates"], route_class=TicketRoute)


def _ensure_mail_available(request: Request) -> None:
    if not request.app.state.mail_enabled:
        raise Conflict(
            "E-mail updates are not available: this service has no SMTP server configured.",
            slug="email-updates-unavailable",
        )


async def _state(connection: AsyncConnection, link_id: int) -> Response:
    link = await links.by_id(connection, link_id)
    assert link is not None  # the link was live in this same transaction
    return json_response(await link_actions.link_state(connection, link, email_available=True))


def _ensure_within_retention(ticket: RowMapping, now: datetime) -> None:
    closed_at = ticket["closed_at"]
    if closed_at is not None and closed_at < retention_cutoff(now):
        raise Conflict(
            f"Ticket {ticket['id']} closed more than {EMAIL_RETENTION_DAYS} days ago: it sends no more e-mail.",
            slug="ticket-closed-long-ago",
        )


@router.put("/links/self/email", response_model=LinkState, responses=problem_responses(404, 409, 413, 422, 503))
async def subscribe(
    payload: EmailSubscription, request: Request, token: PrivateLinkDep, secret: LinkSecretDep, uow: UnitOfWorkDep
) -> Response:
    """Send this link's holder an e-mail when the helpdesk answers, starts work, closes, or a follow-up is filed.

    The address serves this link alone, is never shown in any answer (only `email_updates: true`)
    and is erased 30 days after the ticket closes. Giving it again keeps the subscription; another
    address replaces it. 409 when the service sends no e-mail or the ticket closed too long ago.
    """
    connection = await uow.connection()
    # The token first: a wrong one learns nothing, not even whether this service sends e-mail.
    link = await link_actions.live_link(connection, token)
    _ensure_mail_available(request)
    ticket = await repository.get_ticket(connection, link["ticket_id"])
    assert ticket is not None  # a link is deleted with its ticket
    now = datetime.now(UTC)
    _ensure_within_retention(ticket, now)
    await subscriptions.subscribe(connection, link["id"], email=payload.email, now=now, secret=secret)
    return await _state(connection, link["id"])


@router.delete("/links/self/email", response_model=LinkState, responses=problem_responses(404, 409, 503))
async def stop_email(request: Request, token: PrivateLinkDep, uow: UnitOfWorkDep) -> Response:
    """Stop this link's e-mail updates and erase its address (also when it had none)."""
    connection = await uow.connection()
    link = await link_actions.live_link(connection, token)
    await subscriptions.erase(connection, link["id"])
    erased = await links.by_id(connection, link["id"])
    assert erased is not None
    available: bool = request.app.state.mail_enabled
    return json_response(await link_actions.link_state(connection, erased, email_available=available))


@router.post("/unsubscribe", response_model=Unsubscribed, responses=problem_responses(404, 413, 422, 503))
async def unsubscribe(payload: Unsubscribe, uow: UnitOfWorkDep) -> Response:
    """One-click unsubscribe (RFC 8058): the token of a message's unsubscribe link stops that address's updates.

    The same token again answers the same; a token never issued is a 404.
    """
    ticket_id = await subscriptions.unsubscribe(await uow.connection(), payload.token)
    if ticket_id is None:
        raise NotFound("There is no such unsubscribe link (it may have been mistyped).", slug="unsubscribe-not-found")
    return json_response(Unsubscribed(ticket_id=ticket_id))
