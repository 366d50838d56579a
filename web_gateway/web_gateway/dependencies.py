"""Dependencies shared by the pages: the person's role, CSRF checking, the ticket API."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from web_gateway.rendering import NeedsRole, PageError
from web_gateway.security import Role, csrf_is_valid, current_role
from web_gateway.upstream import TicketApi


async def require_csrf(request: Request) -> None:
    """Refuse a state-changing request that does not carry this browser's CSRF token, or whose text is not UTF-8."""
    if request.scope.get("state", {}).get("form_not_utf8"):
        raise PageError(400, "Unreadable text", "The form contained text that is not valid UTF-8; nothing was saved.")
    if not await csrf_is_valid(request):
        raise PageError(
            403,
            "This form has expired",
            "The form was not sent from this CampusDesk page (its security token is missing or wrong). "
            "Reload the page and try again.",
        )


def require_role(request: Request) -> Role:
    role = current_role(request)
    if role is None:
        raise NeedsRole()
    return role


def require_helpdesk(role: Annotated[Role, Depends(require_role)]) -> Role:
    if role != "helpdesk":
        raise PageError(403, "Not allowed for your role", "Only helpdesk staff can do this.")
    return role


def ticket_api(request: Request, role: Annotated[Role, Depends(require_role)]) -> TicketApi:
    return TicketApi(request.app.state.tickets, role)


RoleDep = Annotated[Role, Depends(require_role)]
HelpdeskDep = Annotated[Role, Depends(require_helpdesk)]
TicketApiDep = Annotated[TicketApi, Depends(ticket_api)]
CsrfDep = Depends(require_csrf)
