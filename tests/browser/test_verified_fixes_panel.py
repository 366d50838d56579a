"""The "Verified fixes" panel in Chromium, over the five real services: two tickets closed this month,
one answered "fixed" and one "Still broken" through their private links (which files a follow-up)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from campusdesk_common.contracts.links import PRIVATE_LINK_HEADER
from tests.browser.conftest import Stack

expect = pytest.importorskip("playwright.sync_api").expect

USER = {"X-Role": "user"}
HELPDESK = {"X-Role": "helpdesk"}


def _close_and_answer(ticket_url: str, description: str, answer: dict[str, str]) -> None:
    with httpx.Client(base_url=ticket_url, timeout=30) as client:
        created = client.post("/tickets", json={"description": description}, headers=USER)
        assert created.status_code == 201, created.text
        ticket, token = created.json()["id"], created.json()["private_link"]["token"]
        for status in ("active", "closed"):
            changed = client.patch(f"/tickets/{ticket}", json={"status": status}, headers=HELPDESK)
            assert changed.status_code == 200, changed.text
        answered = client.post("/links/self/fix-answer", json=answer, headers={PRIVATE_LINK_HEADER: token})
        assert answered.status_code == 201, answered.text


def test_the_panel_shows_this_months_answers_as_charts_table_and_csv(
    open_page: Callable[..., Any], stack: Stack
) -> None:
    _close_and_answer(stack.ticket_url, "The heating in room 2.14 is off", {"answer": "fixed"})
    _close_and_answer(
        stack.ticket_url,
        "The lift in building B is stuck",
        {"answer": "broken", "note": "The lift stopped again this morning"},
    )
    page = open_page("helpdesk")
    page.goto("/analytics")
    panel = page.locator("#verified-panel")
    expect(panel.get_by_role("heading", name="Verified fixes by month of closure")).to_be_visible()
    expect(panel.locator("svg.bar-chart")).to_have_count(3)
    for index in range(3):
        expect(panel.locator("svg.bar-chart").nth(index)).to_be_visible()
    month = time.strftime("%Y-%m", time.gmtime())
    total = panel.locator("tbody tr", has_text=month).filter(has_text="All asked")
    expect(total).to_have_count(1)
    # Month, scope, closed, answered, confirmed fixed, share fixed, followed up.
    expect(total.locator("td")).to_have_text([month, "All asked", "2", "2", "1", "50.0%", "1"])
    bars = panel.locator("rect.bar title").all_text_contents()
    this_month = [text for text in bars if text.startswith(f"{month}: ")]
    assert len(this_month) == 3 and sum(text != f"{month}: no data" for text in this_month) >= 1, this_month
    with page.expect_download() as download_info:
        panel.get_by_role("link", name="Download CSV").click()
    assert download_info.value.suggested_filename == "campusdesk-verified.csv"
    assert page.csp_violations == []
