"""The four APIs under fuzzing: the ticket service on PostgreSQL with some tickets in every
status, and the three analytics services in front of it, all as real processes."""

from __future__ import annotations

import httpx

from tests.reliability.fuzzing import FuzzReport, fuzz_api
from tests.reliability.harness import ANALYTICS_SERVICES, HELPDESK, USER, running_stack

SEED_DESCRIPTIONS = [
    "The projector in lecture hall B does not turn on",
    "Wi-Fi eduroam keeps disconnecting in the library",
    "The cafeteria charged me twice for lunch",
    "Heating is broken in room 2.14",
    "I cannot log in to the learning platform",
    "Complaint about the rude answer at the student office",
]


def seed_tickets(ticket_url: str) -> list[int]:
    """A few tickets through the API: open, active and closed ones, with messages."""
    ids: list[int] = []
    with httpx.Client(base_url=ticket_url, timeout=10) as client:
        for index, description in enumerate(SEED_DESCRIPTIONS * 3):
            created = client.post("/tickets", json={"description": f"{description} #{index}"}, headers=USER)
            created.raise_for_status()
            ticket_id = created.json()["id"]
            ids.append(ticket_id)
            client.post(f"/tickets/{ticket_id}/messages", json={"body": "Any news?"}, headers=USER).raise_for_status()
            if index % 3 >= 1:
                client.patch(f"/tickets/{ticket_id}", json={"status": "active"}, headers=HELPDESK).raise_for_status()
            if index % 3 == 2:
                client.patch(f"/tickets/{ticket_id}", json={"status": "closed"}, headers=HELPDESK).raise_for_status()
    return ids


# The analytics APIs have one or two parameters each: more examples per operation give them
# a case count comparable to the ticket service's (whose fifteen operations share the budget).
ANALYTICS_FACTOR = 7


def fuzz_all_apis(database_url: str, *, max_examples: int, derandomize: bool = True) -> list[FuzzReport]:
    """Start the ticket and analytics services on `database_url` and fuzz each API.

    `max_examples` per operation, mode and role for the ticket service, seven times as many
    per operation and mode for each analytics service."""
    reports: list[FuzzReport] = []
    with running_stack(database_url, gateway=False) as stack:
        seed_tickets(stack.ticket.url)
        roles = [USER, HELPDESK]
        reports.append(
            fuzz_api(
                "ticket_service",
                stack.ticket.url,
                max_examples=max_examples,
                derandomize=derandomize,
                positive_headers=roles,
            )
        )
        for name in ANALYTICS_SERVICES:
            service = stack.analytics[name]
            examples = max_examples * ANALYTICS_FACTOR
            reports.append(fuzz_api(name, service.url, max_examples=examples, derandomize=derandomize))
    return reports
