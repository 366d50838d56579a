"""The forms' hidden `version` field against the real ticket service, on both databases (issue 12, point 2).

Before, `version=abc`, empty, `-1` or `²` made Start work and the description form apply the change without
the version check, so a stale tab silently overwrote another tab's edit. Every form that changes a ticket
now refuses a missing or malformed version with a 422 page, keeps the typed text, and changes no row.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from markupsafe import escape

from campusdesk_common.http_client import UpstreamClient
from tests.reliability.harness import snapshot
from tests.web_gateway.conftest import Browser
from ticket_service.main import create_app as create_ticket_app
from ticket_service.settings import Settings as TicketSettings
from web_gateway.forms import VERSION_PROBLEM
from web_gateway.main import create_app
from web_gateway.settings import Settings

MISSING = None
BAD_VERSIONS = ["abc", "", "-1", "²", "0", "1e3", MISSING, "1.0", " 1", "٣", "99999999999999999999999"]
EDITED = "The projector in B12 is dead and its cable is missing"


@dataclass
class Desk:
    database_url: str
    reporter: Browser
    staff: Browser
    tickets: httpx.AsyncClient  # the ticket service directly, as helpdesk


@pytest.fixture
async def desk(database_url: str, tmp_path: Path) -> AsyncIterator[Desk]:
    tickets = create_ticket_app(TicketSettings(database_url=database_url))
    gateway = create_app(Settings(secret_key="unit-test-secret", var_dir=tmp_path))
    async with tickets.router.lifespan_context(tickets), gateway.router.lifespan_context(gateway):
        await gateway.state.tickets.aclose()
        gateway.state.tickets = UpstreamClient(
            "ticket service", "http://tickets", transport=httpx.ASGITransport(app=tickets), timeout=60
        )
        to_gateway = httpx.ASGITransport(app=gateway)
        async with (
            httpx.AsyncClient(transport=to_gateway, base_url="http://gateway") as reporter_client,
            httpx.AsyncClient(transport=to_gateway, base_url="http://gateway") as staff_client,
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=tickets), base_url="http://tickets", headers={"X-Role": "helpdesk"}
            ) as direct,
        ):
            reporter, staff = Browser(reporter_client), Browser(staff_client)
            await reporter.choose("user")
            await staff.choose("helpdesk")
            yield Desk(database_url, reporter, staff, direct)


async def _ticket(desk: Desk, *, active: bool = False) -> int:
    created = await desk.tickets.post(
        "/tickets", json={"description": "Projector in B12 is dead"}, headers={"X-Role": "user"}
    )
    assert created.status_code == 201, created.text
    ticket_id = int(created.json()["id"])
    if active:
        path, started_body = f"/tickets/{ticket_id}", {"status": "active"}
        started = await desk.tickets.patch(path, json=started_body, headers={"If-Match": '"1"'})
        assert started.status_code == 200, started.text
    return ticket_id


def _with_version(form: dict[str, str], version: str | None) -> dict[str, str]:
    return form if version is MISSING else {**form, "version": version}


async def _refused_and_nothing_changed(desk: Desk, browser: Browser, path: str, form: dict[str, str]) -> str:
    """Post every bad version; each is a 422 saying why, and no stored row changes. Returns the last page."""
    before = snapshot(desk.database_url)
    wrong: list[tuple[str | None, int]] = []
    page = ""
    for version in BAD_VERSIONS:
        response = await browser.post(path, _with_version(form, version))
        page = response.text
        if response.status_code != 422 or str(escape(VERSION_PROBLEM)) not in page:
            wrong.append((version, response.status_code))
    assert wrong == [], f"{path}: {wrong}"
    assert snapshot(desk.database_url) == before
    return page


async def test_start_work_refuses_a_missing_or_malformed_version(desk: Desk) -> None:
    ticket_id = await _ticket(desk)
    await _refused_and_nothing_changed(desk, desk.staff, f"/tickets/{ticket_id}/start", {})
    # The right version still works: the refusal was the version, not the form.
    assert (await desk.staff.post(f"/tickets/{ticket_id}/start", {"version": "1"})).status_code == 303


async def test_close_refuses_a_missing_or_malformed_version(desk: Desk) -> None:
    ticket_id = await _ticket(desk, active=True)
    await _refused_and_nothing_changed(desk, desk.staff, f"/tickets/{ticket_id}/close", {"confirmed": "yes"})
    closed = await desk.staff.post(f"/tickets/{ticket_id}/close", {"confirmed": "yes", "version": "2"})
    assert closed.status_code == 303


async def test_the_category_form_refuses_a_missing_or_malformed_version(desk: Desk) -> None:
    ticket_id = await _ticket(desk)
    form = {"category": "facility_management"}
    await _refused_and_nothing_changed(desk, desk.staff, f"/tickets/{ticket_id}/category", form)
    assert (await desk.staff.post(f"/tickets/{ticket_id}/category", {**form, "version": "1"})).status_code == 303


async def test_the_description_form_refuses_a_missing_or_malformed_version_and_keeps_the_text(desk: Desk) -> None:
    ticket_id = await _ticket(desk)
    page = await _refused_and_nothing_changed(
        desk, desk.reporter, f"/tickets/{ticket_id}/description", {"description": EDITED}
    )
    assert f">{EDITED}</textarea>" in page
    for version in BAD_VERSIONS:
        kept = await desk.reporter.post(
            f"/tickets/{ticket_id}/description", _with_version({"description": EDITED}, version)
        )
        assert f">{EDITED}</textarea>" in kept.text, version
    current = (await desk.tickets.get(f"/tickets/{ticket_id}")).json()
    assert (current["description"], current["version"]) == ("Projector in B12 is dead", 1)


async def test_a_stale_tab_cannot_overwrite_another_tabs_edit(desk: Desk) -> None:
    ticket_id = await _ticket(desk)
    path = f"/tickets/{ticket_id}/description"
    assert (await desk.reporter.post(path, {"description": "First tab's edit", "version": "1"})).status_code == 303
    stale = await desk.reporter.post(path, {"description": EDITED, "version": "1"})
    assert stale.status_code == 409
    assert f">{EDITED}</textarea>" in stale.text
    assert (await desk.tickets.get(f"/tickets/{ticket_id}")).json()["description"] == "First tab's edit"
