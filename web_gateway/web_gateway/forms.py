"""The forms people send, as models with their own validation messages.

A form dependency first remembers where the form came from and what the person
typed (`FormEcho`, kept in `request.state`), then validates. When the form is
refused, here or by the ticket service, the error handler shows the same page
again with the reason and the typed text kept; nothing is changed.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import Request
from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, ValidationError

from campusdesk_common.contracts.links import clean_email
from campusdesk_common.contracts.tickets import clean_text
from campusdesk_common.vocabulary import Category, FixAnswer
from web_gateway.analytics_api import Analysis, Params, open_params, resolution_params

SUBMISSION_KEY = re.compile(r"[0-9a-f]{32}")
VERSION_PROBLEM = (
    "This form does not say which version of the ticket you saw (it needs a positive whole number), "
    "so nothing was changed. Reload the page and try again."
)


def _text(what: str) -> AfterValidator:
    """The ticket service's rules for a description or message body, worded for this form."""

    def check(value: str) -> str:
        try:
            return clean_text(value)
        except ValueError as exc:
            raise ValueError(f"The {what} {exc}.") from None

    return AfterValidator(check)


# A version is a positive BIGINT on the ticket service; longer digit strings are not versions it could have.
MAX_VERSION = 2**63 - 1


def _version(value: object) -> int:
    text = value if isinstance(value, str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 19 or not 1 <= int(text) <= MAX_VERSION:
        raise ValueError(VERSION_PROBLEM)
    return int(text)


def _submission_key(value: object) -> str | None:
    # Only a key we issued (32 hex digits) is forwarded; anything else is ignored, not refused.
    return value if isinstance(value, str) and SUBMISSION_KEY.fullmatch(value) else None


Version = Annotated[int, BeforeValidator(_version), Field(default="", validate_default=True)]
SubmissionKey = Annotated[str | None, BeforeValidator(_submission_key), Field(default=None, validate_default=True)]


class Form(BaseModel):
    """A form; `kept` names the fields shown again as typed when it is refused, `text_field` its text box."""

    kept: ClassVar[tuple[str, ...]] = ()
    text_field: ClassVar[str | None] = None


def _email(value: str) -> str:
    try:
        return clean_email(value)
    except ValueError as exc:
        raise ValueError(f"The e-mail address {exc}.") from None


def _place_note(value: str) -> str | None:
    text = value.strip()
    if len(text) > MAX_NOTE_LENGTH:
        raise ValueError(f"Where exactly is at most {MAX_NOTE_LENGTH} characters.")
    return text or None


def _where(value: str) -> str:
    if len(value.strip()) > MAX_WHERE_LENGTH:
        raise ValueError(f"Where is at most {MAX_WHERE_LENGTH} characters: a building or room name or a room code.")
    return value.strip()


MAX_NOTE_LENGTH = 200
MAX_WHERE_LENGTH = 200


# The honeypot: a field people never see (hidden by CSS, aria-hidden, out of the tab order).
# Whatever fills it is a program; its form is answered as if accepted and nothing is stored.
HONEYPOT = "homepage"


class HoneypotForm(Form):
    homepage: str = ""

    @property
    def filled_by_a_bot(self) -> bool:
        return self.homepage != ""


class NewTicketForm(HoneypotForm):
    # "where" is resolved to a room by the route (`web_gateway.places.resolve_place`).
    kept, text_field = ("description", "submission_key", "where", "place_note"), "description"
    description: Annotated[str, _text("description"), Field(default="", validate_default=True)]
    submission_key: SubmissionKey
    where: Annotated[str, AfterValidator(_where)] = ""
    place_note: Annotated[str | None, AfterValidator(lambda v: _place_note(v or ""))] = None


class DescriptionForm(Form):
    # The version too: a page that keeps the text to send again must send the version the person saw.
    kept, text_field = ("description", "version"), "description"
    description: Annotated[str, _text("description"), Field(default="", validate_default=True)]
    version: Version


class MessageForm(HoneypotForm):
    kept, text_field = ("body", "submission_key"), "body"
    body: Annotated[str, _text("message"), Field(default="", validate_default=True)]
    submission_key: SubmissionKey


class VersionForm(Form):
    version: Version


class CloseForm(Form):
    version: Version
    # Only "yes" (the confirmation step's hidden field) closes; anything else asks first.
    confirmed: Annotated[bool, BeforeValidator(lambda value: value == "yes")] = False


class CategoryForm(Form):
    version: Version
    category: Annotated[Category, Field(default="", validate_default=True)]


class FollowForm(Form):
    """“This affects me too”: only the form's one-time key (a double click follows once)."""

    submission_key: SubmissionKey


def _note(value: str) -> str | None:
    return clean_text(value) if value.strip() else None


class FixAnswerForm(Form):
    """“Is it fixed?”, answered on a private page; the note becomes a follow-up's description."""

    kept, text_field = ("note", "answer", "submission_key"), "note"
    answer: Annotated[FixAnswer, Field(default="", validate_default=True)]
    note: Annotated[str | None, BeforeValidator(lambda v: v if isinstance(v, str) else ""), AfterValidator(_note)] = (
        None
    )
    submission_key: SubmissionKey


class EmailForm(Form):
    kept, text_field = ("email",), "email"
    email: Annotated[str, AfterValidator(_email), Field(default="", validate_default=True)]


Page = Literal["new_ticket", "ticket"]
F = TypeVar("F", bound=Form)


@dataclass(frozen=True)
class FormEcho:
    """The page a form came from and the text it carried, to show that page again when it is refused."""

    page: Page
    ticket_id: int | None
    text_field: str | None = None
    drafts: dict[str, str] = field(default_factory=dict)
    # The private link whose page (`/t/<token>`) the form came from, if any.
    token: str | None = None


class InvalidForm(Exception):
    """A form field did not pass its checks; `message` says why in a sentence."""

    def __init__(self, field_name: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message
        self.status = status


def parse_form(model: type[F], data: dict[str, str]) -> F:
    """The form as `model`, or `InvalidForm` naming the first field that failed."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else ""
        raise InvalidForm(name, _sentence(name, first)) from None


def _sentence(name: str, error: Any) -> str:
    cause = error.get("ctx", {}).get("error")
    if isinstance(cause, ValueError):
        return str(cause)
    if name == "category":
        return "Choose one of the three categories."
    return f"{name}: {error['msg']}"


def form_echo(request: Request) -> FormEcho | None:
    echo = getattr(request.state, "form_echo", None)
    return echo if isinstance(echo, FormEcho) else None


def form_of(model: type[F], page: Page) -> Callable[[Request], Awaitable[F]]:
    """A dependency reading the request's form as `model`, remembering the page and text first."""

    async def read(request: Request) -> F:
        data = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        ticket_id = str(request.path_params.get("ticket_id", ""))
        token = request.path_params.get("token")
        drafts = {k: data.get(k, "") for k in model.kept}
        request.state.form_echo = FormEcho(
            page,
            int(ticket_id) if ticket_id.isdigit() else None,
            model.text_field,
            drafts,
            token if isinstance(token, str) else None,
        )
        return parse_form(model, data)

    return read


class TicketFilters(BaseModel):
    """The ticket list's search, filters and page, as the address gives them."""

    q: str = ""
    # "" (the role's default list), "all", or one status the role may list.
    status: str = ""
    category: str = ""
    building: str = ""
    room: str = ""
    cursor: str = ""
    # Staff only: "activity" (latest first) or "affected" (most people affected first), and a minimum.
    sort: str = "activity"
    min_affected: str = ""

    def search_params(self, limit: int) -> list[tuple[str, str]]:
        """The ticket service's query for this list."""
        params = [("limit", str(limit))]
        params += [("sort", self.sort)] if self.sort != "activity" else []
        params += [("min_affected", self.min_affected)] if self.min_affected else []
        params += [("q", self.q.strip())] if self.q.strip() else []
        params += [("status", self.status)] if self.status not in ("", "all") else []
        params += [("category", self.category)] if self.category else []
        params += [("building", self.building)] if self.building else []
        params += [("room", self.room)] if self.room else []
        return params + ([("cursor", self.cursor)] if self.cursor else [])

    def url(self, **changes: str) -> str:
        """This list's address with `changes` (empty values left out, the cursor dropped unless given)."""
        values = {
            "q": self.q,
            "status": self.status,
            "category": self.category,
            "building": self.building,
            "room": self.room,
            "sort": "" if self.sort == "activity" else self.sort,
            "min_affected": self.min_affected,
            **changes,
        }
        return "/tickets?" + urlencode({k: v for k, v in values.items() if v})


class AnalyticsQuery(BaseModel):
    """The Analytics page's parameters, sent to the services as typed (each service checks its own)."""

    unit: str = "days"
    value: str = "7"
    month_from: str = ""
    month_to: str = ""
    categories: list[str] = []

    def address_params(self, analysis: Analysis) -> Params:
        """The gateway's own query for `analysis` (its page and CSV addresses)."""
        if analysis == "open":
            return [("unit", self.unit), ("value", self.value)]
        return self.params(analysis)

    def params(self, analysis: Analysis) -> Params:
        """The analytics service's query for `analysis`."""
        if analysis == "open":
            return open_params(self.unit, self.value)
        if analysis in ("resolution", "verified"):
            return resolution_params(self.month_from, self.month_to, self.categories)
        return []
