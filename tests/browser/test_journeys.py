"""The two journeys, live messages, the no-JavaScript path, escaping, accessibility and screenshots,
in Debian's Chromium against the five real services."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.browser.conftest import PHONE, Stack, axe_violations, screenshot

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect
# A reporter lands on the ticket's private page (/t/<token>): its number is in the heading.
TICKET_HEADING = re.compile(r"Ticket #(\d+)")


def _ticket_id(page: Any) -> int:
    found = TICKET_HEADING.search(page.get_by_role("heading", level=1).inner_text())
    assert found, page.url
    return int(found.group(1))


def _report(page: Any, description: str) -> int:
    page.goto("/tickets/new")
    page.get_by_label("Description").fill(description)
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_text("Your ticket has been submitted")).to_be_visible()
    return _ticket_id(page)


def _assert_accessible(page: Any, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], (where, violations)
    assert page.csp_violations == [], (where, page.csp_violations)


# Tables wider than what holds them: a phone would have to scroll them sideways to read a column.
TABLES_WIDER_THAN_THEIR_BOX = """() => [...document.querySelectorAll('table')]
  .filter(t => t.getClientRects().length && t.scrollWidth > t.parentElement.clientWidth + 1)
  .map(t => `${t.id || t.className || 'table'}: ${t.scrollWidth} > ${t.parentElement.clientWidth}`)"""


def _assert_fits_the_phone(page: Any, where: str) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"], (where, width)
    assert page.evaluate(TABLES_WIDER_THAN_THEIR_BOX) == [], where


def test_user_journey_report_suggestion_edit_message(open_page: Callable[..., Any]) -> None:
    page = open_page("user")
    expect(page.get_by_text("Role: Simple user")).to_be_visible()
    assert page.url.endswith("/tickets/new")
    page.get_by_label("Description").press_sequentially("The elevator in building B is stuck", delay=5)
    preview = page.locator("#preview")
    expect(preview).to_contain_text("This will be filed under", timeout=10_000)
    expect(preview).to_contain_text("Facility management")
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_text("Your ticket has been submitted")).to_be_visible()
    ticket_id = _ticket_id(page)
    expect(page.locator("#ticket-status")).to_have_text(re.compile(r"^Open\b"))
    # Dates are shown in local time with a relative hint once the script has run.
    expect(page.locator("time").first).to_contain_text(re.compile(r"\(just now\)|ago"))

    page.get_by_label("Description", exact=True).fill("The elevator in building B is stuck on floor 2")
    page.get_by_role("button", name="Save description").click()
    expect(page.get_by_text("The description has been saved.")).to_be_visible()
    expect(page.locator(".description").first).to_have_text("The elevator in building B is stuck on floor 2")

    page.get_by_label("Message").fill("Someone is trapped? No, but please hurry.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#messages")).to_contain_text("Someone is trapped? No, but please hurry.")
    expect(page.get_by_label("Message")).to_have_value("")
    assert "/t/" in page.url

    page.goto("/tickets")
    expect(page.get_by_role("link", name=re.compile(f"#{ticket_id}"))).to_be_visible()
    assert page.dialogs == []


def test_helpdesk_journey_find_start_reply_close_and_analytics(open_page: Callable[..., Any]) -> None:
    marker = f"projector{uuid.uuid4().hex[:6]}"
    reporter = open_page("user")
    ticket_id = _report(reporter, f"The {marker} in lecture hall 3 shows no image")

    page = open_page("helpdesk")
    expect(page.get_by_text("Role: Helpdesk staff")).to_be_visible()
    # Enter as well as typing: a test types within milliseconds of the boosted page swap, before
    # htmx may have wired the live search; Enter submits the same search either way.
    page.get_by_label("Search").fill(marker)
    page.get_by_label("Search").press("Enter")
    expect(page).to_have_url(re.compile(f"q={marker}"))
    link = page.get_by_role("link", name=re.compile(f"#{ticket_id}"))
    expect(link).to_be_visible()
    expect(page.locator(".ticket-row")).to_have_count(1)
    link.click()
    expect(page.get_by_role("heading", name=f"Ticket #{ticket_id}")).to_be_visible()
    expect(page.get_by_text("Why this category?")).to_be_visible()

    page.get_by_role("button", name="Start work").click()
    expect(page.get_by_text("Work has started on this ticket.")).to_be_visible()
    expect(page.locator("#ticket-status")).to_have_text(re.compile(r"^Active\b"))

    page.get_by_label("Message").fill("A technician is on the way.")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#messages")).to_contain_text("A technician is on the way.")

    page.get_by_role("button", name="Close ticket").click()
    expect(page.get_by_text("The ticket is closed.")).to_be_visible()
    expect(page.locator("#ticket-status")).to_have_text(re.compile(r"^Closed\b"))
    assert [kind for kind, _ in page.dialogs] == ["confirm"]
    expect(page.locator(".history")).to_contain_text("Status changed")

    page.goto("/analytics")
    month = time.strftime("%Y-%m", time.gmtime())
    row = page.locator("#resolution-panel tbody tr", has_text=month)
    expect(row).to_have_count(1)
    closed = int(row.locator("td").nth(1).inner_text())
    assert closed >= 1
    expect(page.locator("#category-panel table")).to_contain_text("Facility management")
    expect(page.locator("#open-panel")).to_contain_text(re.compile(r"still open or active", re.IGNORECASE))
    page.get_by_role("spinbutton", name="Period").fill("24")
    page.locator("#open-unit").select_option("hours")
    page.locator("#open-panel").get_by_role("button", name="Show").click()
    expect(page.locator("#open-panel")).to_contain_text("in the last 24 hours")
    with page.expect_download() as download_info:
        page.locator("#category-panel").get_by_role("link", name="Download CSV").click()
    assert download_info.value.suggested_filename == "campusdesk-category.csv"


def test_a_message_arrives_live_in_the_other_roles_open_page(open_page: Callable[..., Any]) -> None:
    reporter = open_page("user")
    ticket_id = _report(reporter, "The WiFi in the library drops every ten minutes")
    staff = open_page("helpdesk")
    staff.goto(f"/tickets/{ticket_id}")
    staff.get_by_label("Message").fill("Which floor of the library?")
    staff.get_by_role("button", name="Send").click()
    # No reload: the reporter's page polls every 2 s in this stack.
    expect(reporter.locator("#messages")).to_contain_text("Which floor of the library?", timeout=8_000)
    reporter.get_by_label("Message").fill("Second floor, near the windows.")
    reporter.get_by_role("button", name="Send").click()
    expect(staff.locator("#messages")).to_contain_text("Second floor, near the windows.", timeout=8_000)
    expect(reporter.locator("#messages li")).to_have_count(2)


def test_ticket_creation_and_closing_work_without_javascript(open_page: Callable[..., Any]) -> None:
    page = open_page("user", javascript=False)
    assert page.url.endswith("/tickets/new")
    page.get_by_label("Description").fill("")
    page.get_by_role("button", name="Submit ticket").click()
    # The wording is the form model's; what matters is a visible error on the description.
    expect(page.get_by_role("alert")).to_contain_text(re.compile(r"description", re.IGNORECASE))
    page.get_by_label("Description").fill("No hot water in the sports centre showers")
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.get_by_text("Your ticket has been submitted")).to_be_visible()
    ticket_id = _ticket_id(page)
    expect(page.locator(".description").first).to_have_text("No hot water in the sports centre showers")
    # Dates stay readable in UTC without the script.
    expect(page.locator("time").first).to_contain_text("UTC")

    staff = open_page("helpdesk", javascript=False)
    staff.goto(f"/tickets/{ticket_id}")
    staff.get_by_role("button", name="Start work").click()
    expect(staff.locator("#ticket-status")).to_have_text(re.compile(r"^Active\b"))
    staff.get_by_role("button", name="Close ticket").click()
    expect(staff.get_by_role("heading", name=f"Close ticket #{ticket_id}?")).to_be_visible()
    staff.get_by_role("button", name="Close ticket").click()
    expect(staff.locator("#ticket-status")).to_have_text(re.compile(r"^Closed\b"))


def test_a_script_payload_is_shown_as_text_and_never_runs(open_page: Callable[..., Any], stack: Stack) -> None:
    payload = "<script>alert(1)</script><img src=x onerror=alert(2)> broken door"
    page = open_page("user")
    ticket_id = _report(page, payload)
    expect(page.locator(".description").first).to_have_text(payload)
    page.get_by_label("Message").fill(payload)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#messages")).to_contain_text(payload)
    page.goto("/tickets")
    expect(page.get_by_role("link", name=re.compile(f"#{ticket_id}"))).to_contain_text("<script>alert(1)</script>")
    staff = open_page("helpdesk")
    staff.goto(f"/tickets/{ticket_id}")
    expect(staff.locator(".description").first).to_have_text(payload)
    page.wait_for_timeout(500)
    assert page.dialogs == []
    assert staff.dialogs == []


def test_every_page_passes_axe_and_screenshots_at_desktop_and_phone(
    open_page: Callable[..., Any], stack: Stack
) -> None:
    with httpx.Client(base_url=stack.ticket_url, headers={"X-Role": "user"}) as api:
        for text in (
            "The heating in room A204 is off and it is 14 degrees",
            "Cannot log in to the student portal since the password reset",
            "The canteen closes at 13:30 although the sign says 14:30",
        ):
            api.post("/tickets", json={"description": text}).raise_for_status()
        active = api.post("/tickets", json={"description": "The lift in the library smells of smoke"}).json()["id"]
        api.patch(f"/tickets/{active}", json={"status": "active"}, headers={"X-Role": "helpdesk"}).raise_for_status()
    reporter = open_page("user")
    sample = _report(reporter, "Printer on floor 2 of the library jams on every page")
    sample_private_path = reporter.url.split("?")[0].removeprefix(stack.gateway_url)
    staff_setup = open_page("helpdesk")
    staff_setup.goto(f"/tickets/{sample}")
    staff_setup.get_by_label("Message").fill("Thanks, we have ordered a new roller.")
    staff_setup.get_by_role("button", name="Send").click()
    expect(staff_setup.locator("#messages")).to_contain_text("new roller")

    for size_name, viewport in (("desktop", None), ("phone", PHONE)):
        kwargs = {"viewport": viewport} if viewport else {}
        entry = open_page(None, **kwargs)
        pages: list[tuple[str, Any, str]] = [("entry", entry, "/")]
        user = open_page("user", **kwargs)
        staff = open_page("helpdesk", **kwargs)
        pages += [
            ("report", user, "/tickets/new"),
            ("user-list", user, "/tickets"),
            ("user-ticket", user, f"/tickets/{sample}"),
            # Opening the private link keeps it in this browser, so "My tickets" lists the sample.
            ("private-page", user, sample_private_path),
            ("my-tickets", user, "/my-tickets"),
            ("helpdesk-list", staff, "/tickets?status=all"),
            ("helpdesk-ticket", staff, f"/tickets/{sample}"),
            ("analytics", staff, "/analytics"),
            ("close-confirmation", staff, f"/tickets/{active}/close"),
            ("not-found", staff, "/tickets/987654"),
        ]
        for name, page, path in pages:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            if name == "report":
                page.get_by_label("Description").press_sequentially("the printer in the library", delay=5)
                expect(page.locator("#preview")).to_contain_text("This will be filed under")
            if name == "private-page":
                expect(page.get_by_role("heading", name="Your private link")).to_be_visible()
                page.get_by_text("Open it on my phone").click()  # the QR code is folded away until asked for
                expect(page.locator(".private-link svg.qr-code")).to_be_visible()
            if name == "my-tickets":
                expect(page.locator("#my-tickets")).to_contain_text("Printer on floor 2")
            _assert_accessible(page, f"{name} ({size_name})")
            if size_name == "phone":
                _assert_fits_the_phone(page, name)
            if name not in ("not-found", "close-confirmation"):
                screenshot(page, f"{name}-{size_name}")
