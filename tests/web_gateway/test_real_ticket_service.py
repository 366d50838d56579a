"""The gateway in-process against the real ticket service (on both databases): its real answers on the page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from campusdesk_common.contracts.tickets import CategoryExplanation
from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.vocabulary import CATEGORY_LABELS, STATUS_LABELS
from tests.web_gateway.conftest import Browser
from ticket_service.main import create_app as create_ticket_app
from ticket_service.settings import Settings as TicketSettings
from web_gateway.main import create_app
from web_gateway.settings import Settings


@pytest.fixture
async def staff(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[Browser, httpx.AsyncClient]]:
    """A helpdesk browser on the gateway, and a direct helpdesk client of the same ticket service."""
    tickets = create_ticket_app(TicketSettings(database_url=database_url))
    gateway = create_app(Settings(secret_key="unit-test-secret", var_dir=tmp_path))
    async with tickets.router.lifespan_context(tickets), gateway.router.lifespan_context(gateway):
        await gateway.state.tickets.aclose()
        # Generous timeout: the first explanation loads the classifier.
        gateway.state.tickets = UpstreamClient(
            "ticket service", "http://tickets", transport=httpx.ASGITransport(app=tickets), timeout=60
        )
        direct = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=tickets), base_url="http://tickets", headers={"X-Role": "helpdesk"}
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway), base_url="http://gateway") as client:
            browser = Browser(client)
            await browser.choose("helpdesk")
            yield browser, direct
        await direct.aclose()


async def test_the_ticket_page_shows_the_real_explanation_and_history_in_the_vocabulary(
    staff: tuple[Browser, httpx.AsyncClient],
) -> None:
    browser, tickets = staff
    created = await tickets.post("/tickets", json={"description": "The wifi in the library keeps dropping"})
    ticket_id = created.json()["id"]
    explained = CategoryExplanation.model_validate_json(
        (await tickets.get(f"/tickets/{ticket_id}/category-explanation")).content
    )
    assert explained.influential_words and explained.nearest_examples

    assert (await browser.post(f"/tickets/{ticket_id}/start", {"version": "1"})).status_code == 303
    page = await browser.get(f"/tickets/{ticket_id}")
    assert page.status_code == 200
    evidence = await browser.get(
        f"/tickets/{ticket_id}/category-evidence", headers={"HX-Request": "true", "HX-Target": "evidence-body"}
    )
    top_word = explained.influential_words[0]
    assert f'<li>{top_word.word} <span class="small">({top_word.weight:.2f})</span></li>' in evidence.text
    example = explained.nearest_examples[0]
    assert f"” → {CATEGORY_LABELS[example.category]} <span" in evidence.text
    assert f'id="ticket-status">{STATUS_LABELS["active"]}</span>' in page.text
    assert f"by Helpdesk: {STATUS_LABELS['open']} → {STATUS_LABELS['active']}" in page.text


async def test_a_stale_version_against_the_real_service_keeps_the_state_and_says_why(
    staff: tuple[Browser, httpx.AsyncClient],
) -> None:
    browser, tickets = staff
    created = await tickets.post("/tickets", json={"description": "Projector in B12 is dead"})
    ticket_id = created.json()["id"]
    assert (await browser.post(f"/tickets/{ticket_id}/start", {"version": "1"})).status_code == 303
    stale = await browser.post(f"/tickets/{ticket_id}/category", {"category": "facility_management", "version": "1"})
    assert stale.status_code == 409
    assert "Someone else changed this ticket while you were looking at it." in stale.text
    current = (await tickets.get(f"/tickets/{ticket_id}")).json()
    assert (current["version"], current["category_source"]) == (2, "auto")
