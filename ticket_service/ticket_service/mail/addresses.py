"""The sender's address (`SMTP_FROM`) and the Message-ID of each notification."""

from __future__ import annotations

from email.errors import HeaderParseError
from email.headerregistry import Address
from email.utils import parseaddr


def sender_address(smtp_from: str) -> Address:
    """`SMTP_FROM` ("Name <box@domain>" or "box@domain") as an address; ValueError when it is none."""
    name, address = parseaddr(smtp_from.strip())
    try:
        parsed = Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError, HeaderParseError):  # the email package's parser refuses with these
        parsed = None
    if parsed is None or not parsed.username or not parsed.domain or any(c in address for c in "\r\n"):
        raise ValueError('SMTP_FROM must be an e-mail address such as "CampusDesk <helpdesk@example.edu>"')
    return parsed


def outbox_key(row_id: int, ticket_id: int) -> str:
    """What `mail_outbox.message_id` keeps: unique per row, fixed from the first attempt on."""
    return f"campusdesk-{row_id}-{ticket_id}"


def message_id(key: str, sender: Address) -> str:
    """The Message-ID header of a row: the same at every attempt, so a retry is recognisable."""
    return f"<{key}@{sender.domain}>"
