"""The words and formats people read: every label comes from `campusdesk_common.vocabulary`.

These functions are the Jinja filters and globals of every page (`web_gateway.templating`);
no page keeps a label table of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime

from markupsafe import Markup

from campusdesk_common.vocabulary import (
    AUTHOR_LABELS,
    CATEGORY_LABELS,
    EVENT_LABELS,
    ROLE_LABELS,
    STATUS_HINTS,
    STATUS_LABELS,
    Category,
    EventKind,
    Role,
    Status,
)


def status_label(status: Status) -> str:
    return STATUS_LABELS[status]


def status_hint(status: Status) -> str:
    return STATUS_HINTS[status]


def category_label(category: Category) -> str:
    return CATEGORY_LABELS[category]


def author_label(role: Role) -> str:
    return AUTHOR_LABELS[role]


def role_label(role: Role) -> str:
    return ROLE_LABELS[role]


def event_label(kind: EventKind) -> str:
    return EVENT_LABELS[kind]


def time_tag(moment: datetime | None) -> Markup:
    """A <time> whose text is UTC; static/campusdesk.js shows it in local time with "3 hours ago"."""
    if moment is None:
        return Markup("<span>—</span>")
    utc = moment.astimezone(UTC)
    return Markup('<time datetime="{}">{}</time>').format(
        utc.isoformat().replace("+00:00", "Z"), utc.strftime("%Y-%m-%d %H:%M UTC")
    )


def percent(fraction: float) -> str:
    """0.934 -> "93%"."""
    return f"{fraction * 100:.0f}%"


def hours(value: float | None) -> str:
    """A duration in hours as the analytics service rounded it, or a dash when there is none."""
    return "—" if value is None else f"{value:,.2f}"
