"""The text of an e-mail update: what happened, the private link, and a one-click unsubscribe (RFC 8058)."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from campusdesk_common.vocabulary import NOTIFICATION_SUBJECTS, NotificationEvent
from ticket_service.mail.addresses import message_id

# How much of the ticket's description the message repeats, so the reader knows which ticket it is.
_DESCRIPTION_CHARS = 120


@dataclass(frozen=True)
class Notification:
    """One outbox row with what its message needs; the tokens are derived, never read from the database."""

    outbox_key: str
    ticket_id: int
    event: NotificationEvent
    detail: str | None
    description: str
    to: str
    link_token: str
    unsubscribe_token: str


def subject(ticket_id: int, event: NotificationEvent) -> str:
    return f"[CampusDesk #{ticket_id}] {NOTIFICATION_SUBJECTS[event]}"


def private_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/t/{token}"


def unsubscribe_link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/unsubscribe/{token}"


def _what_happened(note: Notification) -> str:
    ticket = f"ticket #{note.ticket_id}"
    if note.event == "answered":
        answer = note.detail or ""
        return f"The helpdesk answered your {ticket}:\n\n" + textwrap.indent(answer, "> ", lambda _: True)
    if note.event == "started":
        return f"The helpdesk has started work on your {ticket}."
    if note.event == "closed":
        return f"The helpdesk closed your {ticket}. Open it to read how it ended, and tell us whether it is fixed."
    note_text = f":\n\n{textwrap.indent(note.detail, '> ', lambda _: True)}" if note.detail else "."
    return f"A follow-up ticket was filed after your {ticket} was closed{note_text}"


def _about(description: str) -> str:
    line = " ".join(description.split())
    return line if len(line) <= _DESCRIPTION_CHARS else line[: _DESCRIPTION_CHARS - 1].rstrip() + "…"


def compose(note: Notification, *, sender: Address, public_url: str, now: datetime) -> EmailMessage:
    """The message of one outbox row (text/plain, UTF-8), with its stable Message-ID."""
    unsubscribe = unsubscribe_link(public_url, note.unsubscribe_token)
    body = "\n".join(
        [
            "Hello,",
            "",
            _what_happened(note),
            "",
            f"Your ticket: “{_about(note.description)}”",
            f"See it, and write to the helpdesk: {private_link(public_url, note.link_token)}",
            "Keep this link to yourself: whoever has it can read and answer the ticket.",
            "",
            "-- ",
            "You get this message because this address asked for updates on this ticket alone.",
            f"Stop these e-mails with one click: {unsubscribe}",
        ]
    )
    message = EmailMessage()
    message["Subject"] = subject(note.ticket_id, note.event)
    message["From"] = sender
    message["To"] = note.to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(note.outbox_key, sender)
    message["List-Unsubscribe"] = f"<{unsubscribe}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to it
    message.set_content(body + "\n", charset="utf-8")
    return message
