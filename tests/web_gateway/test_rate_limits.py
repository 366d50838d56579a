"""Anonymous writes limited per client address (a 429 that keeps the typed text), the client address behind a
trusted proxy only, and log lines that never hold a private link's token (issue 14, points 1 and 6)."""

from __future__ import annotations

import logging
from ipaddress import ip_network
from typing import Any

import pytest

from tests.web_gateway.conftest import Browser
from tests.web_gateway.fakes import FakeTicketService
from web_gateway.private_paths import RedactTokens, redact
from web_gateway.rate_limit import SlidingWindow, client_address

TOKEN = "A" * 20 + "b-c_" + "9" * 8


@pytest.fixture
def gateway_settings() -> dict[str, Any]:
    return {
        "rate_limit_tickets": 2,
        "rate_limit_messages": 1,
        "rate_limit_follows": 1,
        "rate_limit_fix_answers": 1,
        "rate_limit_window_seconds": 600,
    }


async def test_the_third_report_from_one_address_is_a_429_that_keeps_the_text(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    for text in ("Lamp out in room 1", "Lamp out in room 2"):
        assert (await user.post("/tickets", {"description": text})).status_code == 303
    refused = await user.post(
        "/tickets", {"description": "Lamp out in <room 3>", "where": "MAIN-101", "place_note": "by the door"}
    )
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 600
    assert "Too many tickets reported from your network: at most 2 in 10 minutes." in refused.text
    assert "Lamp out in &lt;room 3&gt;</textarea>" in refused.text
    assert 'value="MAIN-101"' in refused.text and 'value="by the door"' in refused.text
    assert [t.description for t in fake_tickets.tickets.values()] == ["Lamp out in room 1", "Lamp out in room 2"]


async def test_a_second_message_is_a_429_whose_text_can_be_sent_again(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    ticket = fake_tickets.add("WiFi drops")
    assert (await user.post(f"/tickets/{ticket.id}/messages", {"body": "First"})).status_code == 303
    refused = await user.post(f"/tickets/{ticket.id}/messages", {"body": "Second, kept"})
    assert refused.status_code == 429
    assert "retry-after" in refused.headers
    assert ">Second, kept</textarea>" in refused.text
    assert f'action="/tickets/{ticket.id}/messages"' in refused.text
    assert [m.body for m in fake_tickets.messages] == ["First"]


async def test_the_link_holders_message_and_fix_answer_are_limited_too(
    user: Browser, fake_tickets: FakeTicketService
) -> None:
    ticket = fake_tickets.add("WiFi drops")
    token = fake_tickets.links.issue(ticket.id, "reporter").token
    assert (await user.post(f"/t/{token}/messages", {"body": "First"})).status_code == 303
    refused = await user.post(f"/t/{token}/messages", {"body": "Again"})
    assert refused.status_code == 429
    assert f'<a href="/t/{token}">Back to the ticket</a>' in refused.text
    closed = fake_tickets.add("Door stuck")
    fake_tickets.tickets[closed.id] = closed.model_copy(update={"status": "closed", "closed_at": closed.opened_at})
    closed_token = fake_tickets.links.issue(closed.id, "reporter").token
    first = await user.post(f"/t/{closed_token}/fix-answer", {"answer": "fixed"})
    assert first.status_code == 303
    again = await user.post(f"/t/{closed_token}/fix-answer", {"answer": "broken", "note": "It sticks again"})
    assert again.status_code == 429
    assert ">It sticks again</textarea>" in again.text


async def test_follows_are_limited(user: Browser, fake_tickets: FakeTicketService) -> None:
    one, two = fake_tickets.add("One"), fake_tickets.add("Two")
    assert (await user.post(f"/tickets/{one.id}/follow", {})).status_code == 303
    refused = await user.post(f"/tickets/{two.id}/follow", {})
    assert refused.status_code == 429
    assert fake_tickets.tickets[two.id].affected_count == 1


async def test_staff_are_not_limited(helpdesk: Browser, fake_tickets: FakeTicketService) -> None:
    ticket = fake_tickets.add("WiFi drops")
    for body in ("One", "Two", "Three"):
        assert (await helpdesk.post(f"/tickets/{ticket.id}/messages", {"body": body})).status_code == 303


async def test_a_forged_forwarded_for_does_not_reset_the_count(user: Browser, fake_tickets: FakeTicketService) -> None:
    ticket = fake_tickets.add("WiFi drops")
    await user.post(f"/tickets/{ticket.id}/messages", {"body": "First"})
    forged = await user.post(
        f"/tickets/{ticket.id}/messages", {"body": "Second"}, headers={"X-Forwarded-For": "203.0.113.9"}
    )
    assert forged.status_code == 429


def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    proxies = [ip_network("10.0.0.0/8"), ip_network("::1/128")]
    assert client_address("198.51.100.7", ["203.0.113.9"], proxies) == "198.51.100.7"
    assert client_address("10.1.2.3", ["203.0.113.9"], proxies) == "203.0.113.9"
    # The client wrote the leftmost entry itself; the proxy appended the real address.
    assert client_address("10.1.2.3", ["1.2.3.4, 203.0.113.9"], proxies) == "203.0.113.9"
    assert client_address("10.1.2.3", ["1.2.3.4", "10.9.9.9, 203.0.113.9"], proxies) == "203.0.113.9"
    assert client_address("::1", ["10.0.0.5, 2001:db8::1"], proxies) == "2001:db8::1"
    # A chain of trusted proxies is walked through; garbage stops the walk at the last trusted hop.
    assert client_address("10.1.2.3", ["203.0.113.9, 10.0.0.2"], proxies) == "203.0.113.9"
    assert client_address("10.1.2.3", ["not-an-ip"], proxies) == "10.1.2.3"
    assert client_address("10.1.2.3", [], proxies) == "10.1.2.3"


def test_the_sliding_window_forgets_old_events_and_says_how_long_to_wait() -> None:
    now = [1000.0]
    window = SlidingWindow(2, 60, clock=lambda: now[0])
    assert window.hit("a") == 0
    now[0] += 10
    assert window.hit("a") == 0
    assert window.hit("a") == 50
    assert window.hit("b") == 0  # per address
    now[0] += 50
    assert window.hit("a") == 0  # the first event left the window


def test_paths_with_a_token_are_redacted_in_log_lines(caplog: pytest.LogCaptureFixture) -> None:
    assert redact(f"GET /t/{TOKEN}?notice=created") == "GET /t/<redacted>?notice=created"
    assert redact(f"POST /t/{TOKEN}/messages and /unsubscribe/{TOKEN}") == (
        "POST /t/<redacted>/messages and /unsubscribe/<redacted>"
    )
    logger = logging.getLogger("tests.redaction")
    with caplog.at_level(logging.INFO, logger="tests.redaction"):
        caplog.handler.addFilter(RedactTokens())
        logger.info("unhandled error on %s %s", "GET", f"/t/{TOKEN}/photos/3")
    assert caplog.messages == ["unhandled error on GET /t/<redacted>/photos/3"]
    assert TOKEN not in caplog.text
