"""The words every service and page uses: statuses, roles, categories, history events.

Each is defined once here (its API value and the customer's word for people) and
imported everywhere else, so a label or a status can never drift between services.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Status = Literal["open", "active", "closed"]
STATUSES: Final[tuple[Status, ...]] = get_args(Status)
# "Not closed yet": what simple users see, and what the open-tickets analysis counts.
NOT_CLOSED: Final[tuple[Status, ...]] = ("open", "active")
# The only moves a ticket makes: it never goes back and never skips a step.
NEXT_STATUS: Final[dict[Status, Status]] = {"open": "active", "active": "closed"}
# The customer's words, and the short hint shown beside them.
STATUS_LABELS: Final[dict[Status, str]] = {"open": "Open", "active": "Active", "closed": "Closed"}
STATUS_HINTS: Final[dict[Status, str]] = {
    "open": "waiting for the helpdesk",
    "active": "work has started",
    "closed": "the helpdesk has finished",
}

Role = Literal["user", "helpdesk"]
ROLES: Final[tuple[Role, ...]] = get_args(Role)
ROLE_LABELS: Final[dict[Role, str]] = {"user": "Simple user", "helpdesk": "Helpdesk staff"}
# Who wrote a message or made a change, as the thread and history show it.
AUTHOR_LABELS: Final[dict[Role, str]] = {"user": "Reporter", "helpdesk": "Helpdesk"}

Category = Literal["facility_management", "technical_it", "services_complaints"]
# Also the fixed display order of every chart, table and CSV.
CATEGORIES: Final[tuple[Category, ...]] = get_args(Category)
CATEGORY_LABELS: Final[dict[Category, str]] = {
    "facility_management": "Facility management",
    "technical_it": "Technical IT",
    "services_complaints": "Services and complaints",
}

# `auto`: the model chose the category; `helpdesk`: staff corrected it (never re-classified).
CategorySource = Literal["auto", "helpdesk"]
CATEGORY_SOURCES: Final[tuple[CategorySource, ...]] = get_args(CategorySource)

EventKind = Literal["created", "description_changed", "status_changed", "category_changed"]
EVENT_KINDS: Final[tuple[EventKind, ...]] = get_args(EventKind)
EVENT_LABELS: Final[dict[EventKind, str]] = {
    "created": "Ticket reported",
    "description_changed": "Description changed",
    "status_changed": "Status changed",
    "category_changed": "Category changed",
}

# A private link (`/t/<token>`): the reporter's own, or one taken with "This affects me too".
LinkKind = Literal["reporter", "follower"]
LINK_KINDS: Final[tuple[LinkKind, ...]] = get_args(LinkKind)

# "Is it fixed?", asked once per private link after closure.
FixAnswer = Literal["fixed", "broken"]
FIX_ANSWERS: Final[tuple[FixAnswer, ...]] = get_args(FixAnswer)
FIX_ANSWER_LABELS: Final[dict[FixAnswer, str]] = {"fixed": "Yes, it's fixed", "broken": "Still broken"}
# "Still broken" files a follow-up ticket only this many days after closure.
FOLLOW_UP_DAYS: Final = 14

# What an e-mail update tells the reporter about.
NotificationEvent = Literal["answered", "started", "closed", "follow_up"]
NOTIFICATION_EVENTS: Final[tuple[NotificationEvent, ...]] = get_args(NotificationEvent)
NOTIFICATION_SUBJECTS: Final[dict[NotificationEvent, str]] = {
    "answered": "The helpdesk answered",
    "started": "Work has started",
    "closed": "The helpdesk closed it",
    "follow_up": "A follow-up was filed",
}
# An e-mail address given for updates is erased this many days after the ticket closes.
EMAIL_RETENTION_DAYS: Final = 30
