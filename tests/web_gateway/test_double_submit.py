"""A form submitted twice (double click, browser retry) creates one ticket or message, not two.

The gateway runs in-process against the real ticket service (on both databases).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from campusdesk_common.http_client import UpstreamClient
from tests.web_gateway.conftest import Browser
from ticket_service.main import create_app as create_ticket_app
from ticket_service.settings import Settings as TicketSettings
from web_gateway.main import create_app
from web_gateway.settings import Settings

KEY = re.compile(r'name="submission_key" value="([0-9a-f]{32})"')


@pytest.fixture
async def user(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Browser, httpx.AsyncClient]]:
    tickets = create_ticket_app(TicketSettings(database_url=database_url))
    gateway = create_app(Settings(secret_key="unit-test-secret", var_dir=tmp_path))
    async with tickets.router.lifespan_context(tickets), gateway.router.lifespan_context(gateway):
        await gateway.state.tickets.aclose()
        gateway.state.tickets = UpstreamClient(
            "ticket service", "http://tickets", transport=httpx.ASGITransport(app=tickets)
        )
        direct = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=tickets), base_url="http://tickets", headers={"X-Role": "helpdesk"}
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway") as client:
            browser = Browser(client)
            await browser.choose("user")
            yield browser, direct
        await direct.aclose()


async def test_the_same_report_form_posted_twice_creates_one_ticket(user: tuple[Browser, httpx.AsyncClient]) -> None:
    browser, tickets = user
    form = await browser.get("/tickets/new")
    found = KEY.search(form.text)
    assert found is not None
    data = {"description": "The lift in building C is stuck", "submission_key": found.group(1)}
    first = await browser.post("/tickets", data)
    second = await browser.post("/tickets", data)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    listed = (await tickets.get("/tickets")).json()["items"]
    assert [t["description"] for t in listed] == ["The lift in building C is stuck"]

    # A fresh form is a fresh report.
    fresh = KEY.search((await browser.get("/tickets/new")).text)
    assert fresh is not None and fresh.group(1) != found.group(1)
    await browser.post("/tickets", {**data, "submission_key": fresh.group(1)})
    assert len((await tickets.get("/tickets")).json()["items"]) == 2


async def test_the_same_message_form_posted_twice_stores_one_message(
    user: tuple[Browser, httpx.AsyncClient],
) -> None:
    browser, tickets = user
    created = await tickets.post("/tickets", json={"description": "WiFi drops in the library"})
    ticket_id = created.json()["id"]
    page = await browser.get(f"/tickets/{ticket_id}")
    found = KEY.search(page.text)
    assert found is not None
    data = {"body": "Still dropping every ten minutes.", "submission_key": found.group(1)}
    assert (await browser.post(f"/tickets/{ticket_id}/messages", data)).status_code == 303
    assert (await browser.post(f"/tickets/{ticket_id}/messages", data)).status_code == 303
    thread = (await tickets.get(f"/tickets/{ticket_id}/messages")).json()["items"]
    assert [m["body"] for m in thread] == ["Still dropping every ten minutes."]


async def test_a_forged_submission_key_is_ignored_not_forwarded(user: tuple[Browser, httpx.AsyncClient]) -> None:
    browser, tickets = user
    data = {"description": "Printer on floor 2 jams", "submission_key": "../../x' OR 1=1"}
    assert (await browser.post("/tickets", data)).status_code == 303
    assert (await browser.post("/tickets", data)).status_code == 303
    assert len((await tickets.get("/tickets")).json()["items"]) == 2
