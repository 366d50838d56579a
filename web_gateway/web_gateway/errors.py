"""Every failure becomes a page (or an htmx fragment) with a sentence a person can act on.

One handler turns the upstream problems (`web_gateway.upstream`) and refused forms
(`web_gateway.forms`) into pages: a refused form shows its own page again with the
reason and the person's text; anything else shows the error page.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from campusdesk_common.contracts.places import Room
from campusdesk_common.vocabulary import FIX_ANSWERS
from web_gateway.forms import SUBMISSION_KEY, FormEcho, InvalidForm, form_echo
from web_gateway.places import UnclearPlace
from web_gateway.private_pages import NO_SUCH_TICKET
from web_gateway.rate_limit import RateLimited
from web_gateway.security import current_role
from web_gateway.templating import render, render_block, see_other
from web_gateway.ticket_api import LinkApi, TicketApi
from web_gateway.ticket_pages import render_new_ticket, render_ticket_page
from web_gateway.upstream import (
    Conflict,
    NotFound,
    StaleVersion,
    UpstreamProblem,
    UpstreamRejected,
    UpstreamUnavailable,
)


class PageError(Exception):
    """Stop and show a page explaining what went wrong."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


class NeedsRole(Exception):
    """The person has not chosen a role yet: send them to the entry page."""


def error_page(request: Request, status: int, title: str, detail: str) -> Response:
    """The error page; for an htmx request, only its error box, swapped into whatever htmx targeted."""
    context = {"title": title, "detail": detail, "status": status}
    htmx_part = request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"
    if htmx_part and request.headers.get("hx-target"):
        return render_block(request, "error.html", "error", context, status=status)
    return render(request, "error.html", context, status=status)


async def show_form_again(
    request: Request,
    echo: FormEcho,
    status: int,
    *,
    field: str | None = None,
    message: str,
    unavailable: bool = False,
    candidates: Sequence[Room] = (),
) -> Response:
    """The page the form came from, with `message` under the refused field (or on top) and the text kept."""
    if echo.page == "new_ticket":
        key = echo.drafts.get("submission_key", "")
        return render_new_ticket(
            request,
            status=status,
            description=echo.drafts.get("description", ""),
            where=echo.drafts.get("where", ""),
            place_note=echo.drafts.get("place_note", ""),
            error=None if unavailable else message,
            error_field=field,
            candidates=candidates,
            unavailable=message if unavailable else None,
            submission_key=key if SUBMISSION_KEY.fullmatch(key) else None,
        )
    role = current_role(request)
    api: TicketApi
    if echo.token is not None:
        api = LinkApi(request.app.state.tickets, echo.token, request.app.state.recovery)
    elif echo.ticket_id is not None and role is not None:
        api = TicketApi(request.app.state.tickets, role, request.app.state.recovery)
    else:
        return error_page(request, status, "Your change was not applied", message)
    shown_under = field if field in ("description", "body") else None
    own_errors = {field: message} if field in ("note", "email") else {}
    try:
        return await render_ticket_page(
            request,
            api,
            echo.ticket_id or 0,
            status=status,
            drafts=echo.drafts,
            errors=own_errors,
            description_error=message if field == "description" else None,
            message_error=message if field == "body" else None,
            conflict=message if shown_under is None and not own_errors else None,
            draft_description=echo.drafts.get("description"),
            draft_message=echo.drafts.get("body", ""),
        )
    except NotFound:
        # A ticket this person may not see (or a wrong link): why the form was refused would say
        # something about it (e.g. that it is closed), so this is exactly the missing-ticket page.
        return no_such_ticket_page(request)
    except UpstreamProblem as exc:
        # The ticket cannot be shown again (the service went down meanwhile).
        return error_page(request, exc.status, exc.title, f"{message} ({exc.detail})")


def no_such_ticket_page(request: Request) -> Response:
    """The page of a ticket that does not exist, which a wrong or revoked private link also gets."""
    return error_page(request, NotFound.status, NotFound.title, NO_SUCH_TICKET)


def text_kept_page(
    request: Request, echo: FormEcho, exc: UpstreamUnavailable | RateLimited, status: int | None = None
) -> Response:
    """The ticket service cannot take the change now: the typed text in a form to send again, nothing lost.

    No other call is made (the ticket page itself would fail the same way). The form posts to the
    same address with the same version or one-time key, so sending it again is safe.
    """
    field = echo.text_field or ""
    status = status or exc.status
    hidden = {name: value for name, value in echo.drafts.items() if name != field and _sendable_again(name, value)}
    context = {
        "title": "Your text was not sent" if field in ("body", "note") else "Your change was not saved",
        "detail": exc.detail,
        "status": status,
        "action": request.url.path,
        "back_url": f"/t/{echo.token}" if echo.token else (f"/tickets/{echo.ticket_id}" if echo.ticket_id else None),
        "field": field,
        "label": KEPT_FIELDS.get(field, ("Text", "Send"))[0],
        "button": KEPT_FIELDS.get(field, ("Text", "Send"))[1],
        "text": echo.drafts.get(field, ""),
        "hidden": hidden,
    }
    return render(request, "text_kept.html", context, fragments=["thread"], status=status)


# A kept text box's label and the button that sends it again.
KEPT_FIELDS = {
    "body": ("Message", "Send"),
    "description": ("Description", "Save description"),
    "note": ("What is still wrong (optional)", "Send my answer"),
    "email": ("E-mail address", "Get e-mail updates"),
}


def rate_limited_page(request: Request, exc: RateLimited) -> Response:
    """429: the form again with the typed text (the report form itself, else the kept-text page)."""
    echo = form_echo(request)
    if echo is not None and echo.page == "new_ticket":
        return render_new_ticket(
            request,
            status=429,
            description=echo.drafts.get("description", ""),
            where=echo.drafts.get("where", ""),
            place_note=echo.drafts.get("place_note", ""),
            unavailable=exc.detail,
            submission_key=_kept_key(echo),
        )
    if echo is not None and echo.text_field is not None:
        return text_kept_page(request, echo, exc, status=429)
    return error_page(request, 429, "Too many requests", exc.detail)


def _kept_key(echo: FormEcho) -> str | None:
    key = echo.drafts.get("submission_key", "")
    return key if SUBMISSION_KEY.fullmatch(key) else None


def _sendable_again(name: str, value: str) -> bool:
    """Whether a kept hidden field has the shape to be sent again (the ticket service re-checks it anyway)."""
    if name == "version":
        return value.isascii() and value.isdigit()
    if name == "answer":
        return value in FIX_ANSWERS
    return name == "submission_key" and SUBMISSION_KEY.fullmatch(value) is not None


def _conflict_sentence(exc: UpstreamProblem, echo: FormEcho) -> str:
    if isinstance(exc, StaleVersion):
        sentence = (
            "Someone else changed this ticket while you were looking at it. "
            "Below is its current state; nothing was changed by your request."
        )
        if echo.drafts.get("description"):
            sentence += " Your text is still in the form: check it and save again if you still want it."
        return sentence
    return f"That change is not possible now: {exc.detail} The current state is shown below."


async def upstream_problem_page(request: Request, exc: UpstreamProblem) -> Response:
    echo = form_echo(request)
    if echo is not None and echo.page == "ticket" and isinstance(exc, NotFound):
        # A form about a ticket that is not there for this person (or sent through a wrong or revoked link):
        # the same page as a ticket that does not exist, whatever the service said about it.
        return no_such_ticket_page(request)
    if echo is None or not isinstance(exc, UpstreamRejected | Conflict | StaleVersion | UpstreamUnavailable):
        return error_page(request, exc.status, exc.title, exc.detail)
    if isinstance(exc, UpstreamUnavailable):
        if echo.page == "new_ticket":
            return await show_form_again(request, echo, exc.status, message=exc.detail, unavailable=True)
        if echo.text_field is not None:
            return text_kept_page(request, echo, exc)
        return error_page(request, exc.status, exc.title, exc.detail)
    if isinstance(exc, UpstreamRejected):
        return await show_form_again(request, echo, exc.status, field=echo.text_field, message=exc.detail)
    # A message refused by the thread is said in the thread (htmx swaps only the thread in).
    field = "body" if echo.text_field == "body" else None
    return await show_form_again(request, echo, exc.status, field=field, message=_conflict_sentence(exc, echo))


def install_page_error_handlers(app: FastAPI) -> None:
    """Errors become HTML pages (or fragments) with a sentence a person can act on."""

    @app.exception_handler(PageError)
    async def _page(request: Request, exc: PageError) -> Response:
        return error_page(request, exc.status, exc.title, exc.detail)

    @app.exception_handler(NeedsRole)
    async def _needs_role(request: Request, _: NeedsRole) -> Response:
        return see_other("/")

    @app.exception_handler(UpstreamProblem)
    async def _upstream(request: Request, exc: UpstreamProblem) -> Response:
        response = await upstream_problem_page(request, exc)
        if isinstance(exc, UpstreamUnavailable) and response.status_code == 503:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RateLimited)
    async def _rate_limited(request: Request, exc: RateLimited) -> Response:
        response = rate_limited_page(request, exc)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(InvalidForm)
    async def _invalid_form(request: Request, exc: InvalidForm) -> Response:
        echo = form_echo(request)
        if echo is None:
            return error_page(request, exc.status, "Please check the form", exc.message)
        candidates = exc.candidates if isinstance(exc, UnclearPlace) else []
        return await show_form_again(
            request, echo, exc.status, field=exc.field, message=exc.message, candidates=candidates
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        parts = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path"))
            parts.append(f"{where}: {err.get('msg', 'is invalid')}")
        return error_page(request, 422, "Please check the address or form", "; ".join(parts))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_page(request, 404, "Page not found", "There is nothing at this address.")
        detail = exc.detail if isinstance(exc.detail, str) else "The request could not be handled."
        return error_page(request, exc.status_code, "Request refused", detail)
