"""Issue 14 in Debian's Chromium against the five real services: a reporter keeps a ticket's private link,
the helpdesk answers, starts and closes it, a brand-new browser holding only the link sees how it ended,
nobody else sees it, "Still broken" clicked twice files exactly one linked follow-up, and staff see it
in the "Verified fixes" analysis."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC
from typing import Any

import httpx
import pytest

from campusdesk_common.contracts.tickets import TicketRead
from campusdesk_common.vocabulary import CATEGORY_LABELS
from tests.browser.conftest import Stack, axe_violations

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect
PRIVATE_PATH = re.compile(r"/t/([A-Za-z0-9_-]{32})$")


def _ticket(stack: Stack, ticket_id: int) -> TicketRead:
    """The ticket as the ticket service itself has it (asked as staff, straight from its API)."""
    answer = httpx.get(f"{stack.ticket_url}/tickets/{ticket_id}", headers={"X-Role": "helpdesk"}, timeout=10)
    assert answer.status_code == 200, answer.text
    return TicketRead.model_validate_json(answer.content)


def _assert_clean(page: Any, where: str) -> None:
    assert axe_violations(page) == [], where
    assert page.csp_violations == [], (where, page.csp_violations)


def test_the_reporters_private_link_follows_the_ticket_to_its_end(
    open_page: Callable[..., Any], chromium: Any, stack: Stack
) -> None:
    marker = f"radiator{uuid.uuid4().hex[:6]}"
    description = f"The {marker} in seminar room 4 is cold"

    # A simple user reports a ticket and keeps its private link.
    reporter = open_page("user")
    reporter.goto("/tickets/new")
    reporter.get_by_label("Description").fill(description)
    reporter.get_by_role("button", name="Submit ticket").click()
    expect(reporter.get_by_text("Keep your private link below")).to_be_visible()
    expect(reporter.get_by_role("heading", name="Your private link")).to_be_visible()
    expect(reporter.get_by_role("button", name="Copy link")).to_be_visible()  # shown by the script
    link = reporter.get_by_role("textbox", name="Your private link").input_value()
    found = PRIVATE_PATH.search(link)
    assert found is not None, link
    private_path = found.group(0)
    assert reporter.url.split("?")[0].endswith(private_path)
    assert link == f"{stack.gateway_url}{private_path}"  # the gateway's public address, as configured
    expect(reporter.locator(".private-link svg.qr-code")).to_have_count(1)
    ticket_id = int(re.sub(r"\D", "", reporter.get_by_role("heading", level=1).inner_text()))
    _assert_clean(reporter, "private page, open")
    reporter.goto("/my-tickets")
    expect(reporter.locator("#my-tickets")).to_contain_text(marker)

    # Staff answer, start and close it.
    staff = open_page("helpdesk")
    staff.goto(f"/tickets/{ticket_id}")
    staff.get_by_label("Message").fill("The valve was replaced; it should be warm within the hour.")
    staff.get_by_role("button", name="Send").click()
    expect(staff.locator("#messages")).to_contain_text("The valve was replaced")
    staff.get_by_role("button", name="Start work").click()
    expect(staff.locator("#ticket-status")).to_have_text(re.compile(r"^Active\b"))
    staff.get_by_role("button", name="Close ticket").click()
    expect(staff.locator("#ticket-status")).to_have_text(re.compile(r"^Closed\b"))

    # A brand-new browser holding only the link: no role chosen, no cookies.
    context = chromium.new_context(base_url=stack.gateway_url, locale="en-GB")
    try:
        holder = context.new_page()
        holder.csp_violations = []
        holder.on(
            "console",
            lambda m: holder.csp_violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        response = holder.goto(private_path)
        assert response is not None and response.status == 200
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        expect(holder.locator("#ticket-status")).to_have_text(re.compile(r"^Closed\b"))
        expect(holder.locator("#fixed-title")).to_contain_text("Closed")
        expect(holder.locator("#last-answer")).to_contain_text("The valve was replaced")
        expect(holder.locator(".description").first).to_have_text(description)
        expect(holder.get_by_label("Message")).to_have_count(0)  # read-only once closed
        _assert_clean(holder, "private page, closed")

        # Another simple user without the link: a 404, and in no list.
        other = open_page("user")
        refused = other.goto(f"/tickets/{ticket_id}")
        assert refused is not None and refused.status == 404
        for address in ("/tickets", "/tickets?status=active", f"/tickets?q={marker}", "/my-tickets"):
            other.goto(address)
            expect(other.locator(".ticket-row", has_text=marker)).to_have_count(0)

        # "Still broken", clicked twice: exactly one follow-up, linked both ways, its link kept by this browser.
        holder.get_by_label(re.compile("What is still wrong")).fill(f"The {marker} is cold again this morning")
        holder.get_by_role("button", name="Still broken").dblclick()
        expect(holder.locator("#fix-answer-recorded")).to_contain_text("Still broken")
        closed = _ticket(stack, ticket_id)
        assert closed.status == "closed"
        assert len(closed.followed_up_by) == 1, closed.followed_up_by
        follow_up = _ticket(stack, closed.followed_up_by[0])
        assert (follow_up.follows_up, follow_up.category, follow_up.status) == (ticket_id, closed.category, "open")
        assert follow_up.description == f"The {marker} is cold again this morning"
        follow_up_link = holder.locator("#follow-up a")
        expect(follow_up_link).to_have_text(f"ticket #{follow_up.id}")
        follow_up_link.click()
        expect(holder.get_by_role("heading", name=f"Ticket #{follow_up.id}")).to_be_visible()
        expect(holder.locator("#follows-up")).to_contain_text(f"#{ticket_id}")
        holder.goto("/my-tickets")
        expect(holder.locator("#my-tickets .ticket-row")).to_have_count(2)
    finally:
        context.close()

    # The analysis shows it: the month it was closed (UTC), its category, answered, not confirmed, followed up.
    assert closed.closed_at is not None
    month = closed.closed_at.astimezone(UTC).strftime("%Y-%m")
    label = CATEGORY_LABELS[closed.category]
    staff.goto("/analytics")
    rows = staff.locator("#verified-panel #verified-table tbody tr")
    row = rows.filter(has=staff.get_by_role("cell", name=month, exact=True)).filter(
        has=staff.get_by_role("cell", name=label, exact=True)
    )
    expect(row).to_have_count(1)
    # Month, category, closed, answered, confirmed fixed, share fixed, followed up (the only closed ticket here).
    expect(row.locator("td")).to_have_text([month, label, "1", "1", "0", "0.0%", "1"])
    _assert_clean(staff, "analytics after the follow-up")
