"""The rules about tickets: who may change what, and which status may follow which.

Plain functions over plain data, so they are tested without a database. They
raise `Problem`s, which the app renders as problem+json.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from campusdesk_common.problems import BadRequest, Conflict, Forbidden, NotFound, PreconditionFailed
from campusdesk_common.vocabulary import (
    NEXT_STATUS,
    ROLES,
    STATUSES,
    Category,
    CategorySource,
    EventKind,
    Role,
    Status,
)


@dataclass(frozen=True, slots=True)
class TicketState:
    """What the rules need to know about a stored ticket."""

    id: int
    description: str
    category: Category
    category_source: CategorySource
    status: Status
    version: int
    opened_at: datetime


@dataclass(frozen=True, slots=True)
class RequestedChange:
    """The fields a PATCH sent (None: not sent), plus the classifier's view of a new description."""

    description: str | None = None
    status: Status | None = None
    category: Category | None = None
    predicted_category: Category | None = None
    predicted_confidence: float | None = None


@dataclass(frozen=True, slots=True)
class EventDraft:
    kind: EventKind
    old_value: str | None
    new_value: str | None


@dataclass(slots=True)
class ChangePlan:
    """What to write for one accepted PATCH: column values, history events, side records."""

    values: dict[str, Any] = field(default_factory=dict)
    events: list[EventDraft] = field(default_factory=list)
    corrected_category: Category | None = None  # a helpdesk correction to record for retraining
    closes: bool = False

    @property
    def changes_anything(self) -> bool:
        return bool(self.values)


def parse_role(raw: str | None) -> Role:
    """The caller's role from the X-Role header; anything else is a 400."""
    for role in ROLES:
        if raw == role:
            return role
    shown = "missing" if raw is None else f"{raw!r}"
    raise BadRequest(
        f"The X-Role header is {shown}: send `X-Role: user` or `X-Role: helpdesk`.", slug="missing-or-unknown-role"
    )


def can_see(role: str, status: str) -> bool:
    """A user never receives closed tickets."""
    return role == "helpdesk" or status != "closed"


def no_such_ticket(ticket_id: int) -> NotFound:
    """The one answer for a ticket that does not exist or may not be seen: the two are indistinguishable."""
    return NotFound(f"There is no ticket {ticket_id}.", slug="ticket-not-found")


def ensure_visible(role: str, ticket_id: int, status: str | None) -> None:
    """404 for a ticket that does not exist, or that this role may not see."""
    if status is None or not can_see(role, status):
        raise no_such_ticket(ticket_id)


def visible_statuses(role: str, requested: Iterable[Status] | None) -> frozenset[Status]:
    """The statuses a list may contain: the requested ones (all when none), minus closed for a user."""
    wanted = frozenset(requested or ()) or frozenset(STATUSES)
    return wanted - {"closed"} if role == "user" else wanted


def parse_if_match(header: str | None) -> list[int | None] | None:
    """The versions an If-Match header accepts (None in the list stands for `*`); None without the header.

    Accepts `"3"`, bare `3` and comma-separated lists. A weak tag (`W/"3"`) never matches a
    write (RFC 9110 13.1.1 compares strongly), nor does any spelling this service never sends
    (`"03"`); anything unparsable matches nothing.
    """
    if header is None:
        return None
    accepted: list[int | None] = []
    for part in header.split(","):
        tag = part.strip()
        if tag == "*":
            accepted.append(None)
            continue
        if len(tag) >= 2 and tag[0] == tag[-1] == '"':
            tag = tag[1:-1]
        if tag.isascii() and tag.isdigit() and len(tag) < 12 and tag == str(int(tag)):
            accepted.append(int(tag))
    return accepted


def check_if_match(accepted: list[int | None] | None, version: int) -> None:
    """412 when the client's If-Match names another version than the stored one."""
    if accepted is None or None in accepted or version in accepted:
        return
    raise PreconditionFailed(
        f'The ticket has changed since you read it: it is now at version {version} (ETag "{version}"). '
        "Reload it, check the change still makes sense, and send it again with the new If-Match.",
        headers={"ETag": f'"{version}"'},
    )


def check_permissions(role: str, change: RequestedChange) -> None:
    """403 for a field the role may not change, whatever the ticket's state."""
    if role == "user" and change.status is not None:
        raise Forbidden("Only the helpdesk can change a ticket's status.", slug="role-may-not-change-status")
    if role == "user" and change.category is not None:
        raise Forbidden("Only the helpdesk can correct a ticket's category.", slug="role-may-not-change-category")
    if role == "helpdesk" and change.description is not None:
        raise Forbidden(
            "The helpdesk does not rewrite the reporter's description; post a message instead.",
            slug="role-may-not-change-description",
        )


def ensure_modifiable(ticket_id: int, status: str) -> None:
    """409 for any change to a closed ticket."""
    if status == "closed":
        raise Conflict(
            f"Ticket {ticket_id} is closed and can no longer be changed; report a new ticket instead.",
            slug="ticket-closed",
        )


def check_transition(current: Status, target: Status) -> None:
    """409 unless `target` is the one status that may follow `current`."""
    allowed = NEXT_STATUS.get(current)
    if allowed == target:
        return
    next_step = f"from '{current}' the only allowed status is '{allowed}'" if allowed else f"'{current}' is final"
    raise Conflict(
        f"A ticket cannot go from '{current}' to '{target}': {next_step} "
        "(the allowed transitions are open → active and active → closed).",
        slug="status-transition-not-allowed",
    )


def plan_change(ticket: TicketState, role: str, change: RequestedChange, *, now: datetime) -> ChangePlan:
    """Decide what an accepted PATCH writes; raises the 403/409 a refused one gets.

    Call `check_if_match` first: a stale client gets 412 before being told about conflicts.
    """
    check_permissions(role, change)
    ensure_modifiable(ticket.id, ticket.status)
    plan = ChangePlan()
    category: Category = ticket.category
    if change.description is not None and change.description != ticket.description:
        plan.values["description"] = change.description
        plan.events.append(EventDraft("description_changed", ticket.description, change.description))
        if ticket.category_source == "auto" and change.predicted_category is not None:
            category = change.predicted_category
            plan.values["category_confidence"] = change.predicted_confidence
    if change.category is not None and (change.category != category or ticket.category_source != "helpdesk"):
        category = change.category
        plan.corrected_category = change.category
        plan.values["category_source"] = "helpdesk"
        plan.values["category_confidence"] = 1.0
    if category != ticket.category:
        plan.values["category"] = category
        plan.events.append(EventDraft("category_changed", ticket.category, category))
    elif plan.corrected_category is not None:
        # A confirmation of the predicted category: recorded, as it is a labelled example too.
        plan.events.append(EventDraft("category_changed", ticket.category, category))
    if change.status is not None:
        check_transition(ticket.status, change.status)
        plan.values["status"] = change.status
        plan.events.append(EventDraft("status_changed", ticket.status, change.status))
        if change.status == "closed":
            plan.values["closed_at"] = now
            plan.closes = True
    if plan.values:
        plan.values["version"] = ticket.version + 1
        plan.values["updated_at"] = now
    return plan


def ensure_accepts_messages(ticket_id: int, status: str | None) -> None:
    """404 for an unknown ticket, 409 for a closed one."""
    if status is None:
        raise no_such_ticket(ticket_id)
    if status == "closed":
        raise Conflict(
            f"Ticket {ticket_id} is closed: it takes no new messages. Report a new ticket if the problem is back.",
            slug="ticket-closed",
        )
