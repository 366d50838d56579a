"""The four APIs under fuzzing: the ticket service on PostgreSQL with some tickets in every
status, and the three analytics services in front of it, all as real processes; and the
gateway's private-link pages, whose addresses carry a token (HTML, so not Schemathesis)."""

from __future__ import annotations

import html
import re
import time
from urllib.parse import quote

import httpx
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.reliability.fuzzing import FuzzReport, fuzz_api
from tests.reliability.harness import ANALYTICS_SERVICES, HELPDESK, USER, Browser, running_stack

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
    with running_stack(database_url) as stack:
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
        assert stack.gateway is not None
        examples = max_examples * PRIVATE_PAGES_FACTOR
        reports.append(fuzz_private_pages(stack.gateway.url, stack.ticket.url, max_examples=examples))
    return reports


# One operation with many shapes (prefix, token, action, method, fields): as many cases as an analytics API.
PRIVATE_PAGES_FACTOR = ANALYTICS_FACTOR
NO_SUCH_TICKET = "There is no ticket at this address."
WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{32}")
FIELDS = ("body", "description", "note", "email", "answer", "version", "submission_key", "homepage")
ACTIONS = (
    *("", "/", "/messages?after=0", "/messages", "/description", "/fix-answer", "/email", "/email/stop"),
    *("/photos/1", "/photos/1/thumbnail"),
)


def fuzz_private_pages(gateway_url: str, ticket_url: str, *, max_examples: int, derandomize: bool = True) -> FuzzReport:
    """Random tokens, actions and form fields against `/t/<token>` and `/unsubscribe/<token>`, as a browser that
    chose "simple user" and sends its CSRF token: never a 5xx, a token that is not a live link's is the
    missing-ticket 404, and no address repeats a token back (in the page or a Location) but a live one."""
    report = FuzzReport("web_gateway private pages")
    with httpx.Client(base_url=ticket_url, timeout=10) as api:
        created = api.post("/tickets", json={"description": "Fuzzed through its private link"}, headers=USER)
        created.raise_for_status()
    live = created.json()["private_link"]["token"]
    browser = Browser(gateway_url, "user")
    tokens = st.one_of(st.text(max_size=80), st.from_regex(WELL_FORMED, fullmatch=True), st.just(live))
    forms = st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=300), max_size=5)
    started = time.monotonic()

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(
        prefix=st.sampled_from(["/t/", "/unsubscribe/"]),
        token=tokens,
        action=st.sampled_from(ACTIONS),
        post=st.booleans(),
        form=forms,
    )
    def run(prefix: str, token: str, action: str, post: bool, form: dict[str, str]) -> None:
        address = prefix + quote(token, safe="")
        path = address + (action if prefix == "/t/" else "")
        label = f"{'POST' if post else 'GET'} {prefix}<token>{action if prefix == '/t/' else ''}"
        if post:
            response = browser.client.post(path, data={**form, "csrf_token": browser.token})
        else:
            response = browser.client.get(path)
        report.cases += 1
        report.cases_per_operation[label] += 1
        report.statuses[response.status_code] += 1
        why = _private_page_failure(prefix, token, action, form if post else None, live, response)
        if why:
            report.add_failure(f"{label}: {why}", f"{why}\n{path[:300]!r} {form!r}\n{response.text[:500]!r}")

    run()
    report.seconds = time.monotonic() - started
    browser.client.close()
    return report


def _private_page_failure(
    prefix: str, token: str, action: str, form: dict[str, str] | None, live: str, response: httpx.Response
) -> str | None:
    """Why this answer breaks the private pages' rules, or None (`form` is None for a GET)."""
    if response.status_code >= 500:
        return f"server error {response.status_code}"
    if token == live or (form is not None and form.get("homepage")):
        return None  # a live link's own page, or a bot answered as if accepted
    shown = {prefix + token, html.escape(prefix + token), prefix + quote(token, safe="")}
    asking_to_unsubscribe = prefix == "/unsubscribe/" and form is None and WELL_FORMED.fullmatch(token)
    location = response.headers.get("location", "")
    if len(token) >= 4 and not asking_to_unsubscribe and any(s in response.text or s in location for s in shown):
        return "the token is repeated back"
    photo = action.startswith("/photos/")
    if prefix == "/t/" and response.status_code == 404 and not photo and NO_SUCH_TICKET not in response.text:
        return "a wrong token's 404 is not the missing-ticket page"
    if prefix == "/t/" and response.status_code not in (400, 403, 404, 405, 413, 422, 429):
        return f"a wrong token was answered {response.status_code}"
    return None
