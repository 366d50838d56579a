"""E-mail updates as a person uses them, in Debian's Chromium against the five real services and a real
SMTP server (aiosmtpd): the reporter leaves an address on the private page, the helpdesk answers, one
message arrives whose private link opens the ticket in a brand-new browser and whose unsubscribe link
stops the updates; staff learn only that the reporter gets e-mail updates, never the address."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.browser.conftest import Stack, axe_violations
from tests.support.smtp_sink import SmtpSink, mail_mentioning, unsubscribe_token

pytestmark = pytest.mark.browser

expect = pytest.importorskip("playwright.sync_api").expect
PRIVATE_PATH = re.compile(r"/t/([A-Za-z0-9_-]{32})$")


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture(scope="module")
def stack_env(smtp_sink: SmtpSink) -> dict[str, str]:
    """This module's stack sends e-mail updates to the sink (the e-mail box shows only with SMTP_URL)."""
    return {"SMTP_URL": smtp_sink.url, "SMTP_FROM": "CampusDesk <helpdesk@campus.example>"}


def _assert_clean(page: Any, where: str) -> None:
    assert axe_violations(page) == [], where
    assert page.csp_violations == [], (where, page.csp_violations)


def _fresh_page(chromium: Any, stack: Stack, contexts: list[Any]) -> Any:
    """A page in a brand-new browser context: no role chosen, no cookies, no kept links."""
    context = chromium.new_context(base_url=stack.gateway_url, locale="en-GB")
    contexts.append(context)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.csp_violations = []
    page.on("console", lambda m: page.csp_violations.append(m.text) if "Content Security Policy" in m.text else None)
    return page


def _line_after(body: str, prefix: str) -> str:
    """The address written after `prefix` on one line of a message's body."""
    found = re.search(rf"^{re.escape(prefix)}\s*(\S+)$", body, re.MULTILINE)
    assert found is not None, body
    return found.group(1)


def test_the_reporter_gets_one_mail_whose_links_open_the_ticket_and_stop_the_updates(
    open_page: Callable[..., Any], chromium: Any, stack: Stack, smtp_sink: SmtpSink
) -> None:
    marker = f"projector{uuid.uuid4().hex[:6]}"
    address = f"{marker}@students.example.edu"

    # The reporter files a ticket and leaves an address on its private page.
    reporter = open_page("user")
    reporter.goto("/tickets/new")
    reporter.get_by_label("Description").fill(f"The {marker} in lecture hall 3 shows no picture")
    reporter.get_by_role("button", name="Submit ticket").click()
    expect(reporter.get_by_role("heading", name="Your private link")).to_be_visible()
    found = PRIVATE_PATH.search(reporter.url.split("?")[0])
    assert found is not None, reporter.url
    private_path, token = found.group(0), found.group(1)
    ticket_id = int(re.sub(r"\D", "", reporter.get_by_role("heading", level=1).inner_text()))
    email_box = reporter.locator("#email-updates")
    expect(email_box.get_by_role("heading", name="E-mail updates")).to_be_visible()
    email_box.get_by_label("Your e-mail address").fill(address)
    email_box.get_by_role("button", name="Get e-mail updates").click()
    expect(email_box.get_by_role("button", name="Stop e-mail updates")).to_be_visible()
    expect(email_box).to_contain_text("You get an e-mail when the helpdesk answers")
    expect(email_box).not_to_contain_text(address)  # the address is never shown back, not even to its owner
    _assert_clean(reporter, "private page, e-mail updates on")

    # Staff answer; their page says the reporter gets e-mail updates, and never shows the address.
    staff = open_page("helpdesk")
    staff.goto(f"/tickets/{ticket_id}")
    expect(staff.locator("#email-updates-fact")).to_have_text("The reporter gets e-mail updates")
    staff.get_by_label("Message").fill("A technician brings a new HDMI cable this afternoon.")
    staff.get_by_role("button", name="Send").click()
    expect(staff.locator("#messages")).to_contain_text("new HDMI cable")
    assert address not in staff.content()

    # Exactly one message (subscribing sends none): to the reporter, with the answer and both links.
    message = mail_mentioning(smtp_sink, token)
    assert smtp_sink.messages() == [message]
    assert message.recipients == [address]
    assert "new HDMI cable" in message.body
    private_link = _line_after(message.body, "See it, and write to the helpdesk:")
    assert private_link == f"{stack.gateway_url}{private_path}"
    assert private_link == reporter.get_by_role("textbox", name="Your private link").input_value()
    unsubscribe_link = _line_after(message.body, "Stop these e-mails with one click:")
    assert unsubscribe_link == f"{stack.gateway_url}/unsubscribe/{unsubscribe_token(message)}"
    assert str(message.message["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click"

    contexts: list[Any] = []
    try:
        # The private link, opened in a brand-new browser, shows the ticket and the answer.
        holder = _fresh_page(chromium, stack, contexts)
        opened = holder.goto(private_link)
        assert opened is not None and opened.status == 200
        expect(holder.get_by_role("heading", level=1)).to_contain_text(f"#{ticket_id}")
        expect(holder.locator("#messages")).to_contain_text("new HDMI cable")

        # The unsubscribe link, opened in a browser, asks first; its button stops the updates.
        reader = _fresh_page(chromium, stack, contexts)
        asked = reader.goto(unsubscribe_link)
        assert asked is not None and asked.status == 200
        expect(reader.get_by_role("heading", level=1)).to_have_text("Stop e-mail updates?")
        _assert_clean(reader, "unsubscribe confirmation")
        reader.get_by_role("button", name="Stop e-mail updates").click()
        expect(reader.get_by_role("heading", level=1)).to_have_text("E-mail updates stopped")
        expect(reader.get_by_role("status")).to_contain_text(f"ticket #{ticket_id}")
        _assert_clean(reader, "unsubscribed")
    finally:
        for context in contexts:
            context.close()

    # The private page now shows e-mail updates off (the form to leave an address again), staff likewise.
    reporter.goto(private_path)
    expect(email_box.get_by_role("button", name="Get e-mail updates")).to_be_visible()
    expect(email_box.get_by_role("button", name="Stop e-mail updates")).to_have_count(0)
    staff.reload()
    expect(staff.locator("#email-updates-fact")).to_have_text("No e-mail updates")
    assert address not in staff.content()
    assert smtp_sink.to(address) == [message]
