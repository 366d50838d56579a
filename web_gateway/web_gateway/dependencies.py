"""Dependencies shared by the pages: the person's role, CSRF checking, the upstream APIs, the forms and filters."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query, Request

from campusdesk_common.vocabulary import CATEGORIES, NOT_CLOSED, STATUSES, Role, Status
from web_gateway.analytics_api import ANALYSES, Analysis, AnalyticsApi
from web_gateway.errors import NeedsRole, PageError
from web_gateway.forms import (
    AnalyticsQuery,
    CategoryForm,
    CloseForm,
    DescriptionForm,
    EmailForm,
    FixAnswerForm,
    FollowForm,
    MessageForm,
    NewTicketForm,
    TicketFilters,
    VersionForm,
    form_of,
)
from web_gateway.places import ROOM_CODE as PLACE_CODE
from web_gateway.security import csrf_is_valid, current_role
from web_gateway.ticket_api import TicketApi


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


def require_reporter(role: Annotated[Role, Depends(require_role)]) -> Role:
    if role != "user":
        raise PageError(403, "Not allowed for your role", "Helpdesk staff do not rewrite the reporter's description.")
    return role


def ticket_api(request: Request, role: Annotated[Role, Depends(require_role)]) -> TicketApi:
    return TicketApi(request.app.state.tickets, role, request.app.state.recovery)


def analytics_api(request: Request) -> AnalyticsApi:
    state = request.app.state
    return AnalyticsApi(state.analytics_open, state.analytics_resolution, state.analytics_category)


def statuses_listed(role: Role) -> tuple[Status, ...]:
    """Simple users follow their tickets until they are closed; staff see every status."""
    return STATUSES if role == "helpdesk" else NOT_CLOSED


def ticket_filters(
    role: Annotated[Role, Depends(require_role)],
    q: Annotated[str, Query(max_length=200)] = "",
    status: Annotated[str | None, Query(max_length=20)] = None,
    category: Annotated[str, Query(max_length=40)] = "",
    building: Annotated[str, Query(max_length=32)] = "",
    room: Annotated[str, Query(max_length=32)] = "",
    cursor: Annotated[str, Query(max_length=500)] = "",
    sort: Annotated[str, Query(max_length=20)] = "activity",
    min_affected: Annotated[str, Query(max_length=12)] = "",
) -> TicketFilters:
    """The list's filters; staff start on the Open tab, users on all open and active tickets.

    Staff may also sort by the number of people affected and list only tickets affecting at least so many.
    """
    status = ("open" if role == "helpdesk" else "") if status is None else status
    if status not in ("", "all", *statuses_listed(role)):
        raise PageError(422, "Unknown filter", f"There is no status filter called {status!r}.")
    if category not in ("", *CATEGORIES):
        raise PageError(422, "Unknown filter", f"There is no category called {category!r}.")
    for name, code in (("building", building), ("room", room)):
        if code and not PLACE_CODE.fullmatch(code):
            raise PageError(422, "Unknown filter", f"{code!r} is not a {name} code.")
    if role != "helpdesk":
        sort, min_affected = "activity", ""
    if sort not in LIST_SORTS:
        raise PageError(422, "Unknown sort", f"The list can be sorted by {' or '.join(LIST_SORTS)}, not {sort!r}.")
    min_affected = min_affected.strip()
    if min_affected and not (min_affected.isascii() and min_affected.isdigit() and 1 <= int(min_affected) <= 100_000):
        raise PageError(422, "Unknown filter", "“At least … affected” is a whole number from 1 to 100,000.")
    return TicketFilters(
        q=q,
        status=status,
        category=category,
        building=building,
        room=room,
        cursor=cursor,
        sort=sort,
        min_affected=str(int(min_affected)) if min_affected else "",
    )


LIST_SORTS = ("activity", "affected")


def analysis_named(analysis: str) -> Analysis:
    for known in ANALYSES:
        if analysis == known:
            return known
    raise PageError(404, "Page not found", "There is no such analysis.")


def analytics_query(
    unit: Annotated[str, Query(max_length=10)] = "days",
    value: Annotated[str, Query(max_length=12)] = "7",
    month_from: Annotated[str, Query(alias="from", max_length=12)] = "",
    month_to: Annotated[str, Query(alias="to", max_length=12)] = "",
    category: Annotated[list[str] | None, Query(max_length=40)] = None,
) -> AnalyticsQuery:
    """The Analytics page's parameters, passed to the services as given (they explain a refusal)."""
    return AnalyticsQuery(unit=unit, value=value, month_from=month_from, month_to=month_to, categories=category or [])


RoleDep = Annotated[Role, Depends(require_role)]
HelpdeskOnly = Depends(require_helpdesk)
ReporterOnly = Depends(require_reporter)
TicketApiDep = Annotated[TicketApi, Depends(ticket_api)]
AnalyticsApiDep = Annotated[AnalyticsApi, Depends(analytics_api)]
AnalysisDep = Annotated[Analysis, Depends(analysis_named)]
AnalyticsQueryDep = Annotated[AnalyticsQuery, Depends(analytics_query)]
TicketFiltersDep = Annotated[TicketFilters, Depends(ticket_filters)]
CsrfDep = Depends(require_csrf)

NewTicketFormDep = Annotated[NewTicketForm, Depends(form_of(NewTicketForm, "new_ticket"))]
DescriptionFormDep = Annotated[DescriptionForm, Depends(form_of(DescriptionForm, "ticket"))]
MessageFormDep = Annotated[MessageForm, Depends(form_of(MessageForm, "ticket"))]
VersionFormDep = Annotated[VersionForm, Depends(form_of(VersionForm, "ticket"))]
CloseFormDep = Annotated[CloseForm, Depends(form_of(CloseForm, "ticket"))]
CategoryFormDep = Annotated[CategoryForm, Depends(form_of(CategoryForm, "ticket"))]
FollowFormDep = Annotated[FollowForm, Depends(form_of(FollowForm, "ticket"))]
FixAnswerFormDep = Annotated[FixAnswerForm, Depends(form_of(FixAnswerForm, "ticket"))]
EmailFormDep = Annotated[EmailForm, Depends(form_of(EmailForm, "ticket"))]
