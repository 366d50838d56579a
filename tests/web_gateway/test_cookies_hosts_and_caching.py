"""Cookies parsed as cookies, redirects that never name another host, and pages with a CSRF token never cached
(issue 12, points 6 and 7)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.web_gateway.conftest import TOKEN, Browser
from tests.web_gateway.fakes import FakeTicketService
from web_gateway.security import relative_location

NEW_CSRF_COOKIE = re.compile(r"^campusdesk_csrf=([A-Za-z0-9_-]{20,});")


async def _issued_cookie_and_token(gateway: httpx.AsyncClient, cookie_header: str) -> tuple[str, str]:
    """The CSRF cookie the gateway hands out to a browser sending `cookie_header`, and the page's token."""
    entry = await gateway.get("/", headers={"Cookie": cookie_header})
    assert entry.status_code == 200
    issued = [NEW_CSRF_COOKIE.match(value) for value in entry.headers.get_list("set-cookie")]
    found = [match.group(1) for match in issued if match]
    assert len(found) == 1, entry.headers.get_list("set-cookie")
    token = TOKEN.search(entry.text)
    assert token is not None
    return found[0], token.group(1)


@pytest.mark.parametrize(
    "old_cookies",
    ["old_campusdesk_csrf=stale", "campusdesk_csrf=", "x_campusdesk_csrf=1; campusdesk_csrf_v0=2", "campusdesk_csrf"],
)
async def test_a_lookalike_or_empty_cookie_does_not_stop_the_csrf_cookie_and_forms_work(
    gateway: httpx.AsyncClient, old_cookies: str
) -> None:
    cookie, token = await _issued_cookie_and_token(gateway, old_cookies)
    # The browser keeps the lookalikes and stores the new cookie (replacing an empty one of the same name).
    kept = "; ".join(part for part in old_cookies.split("; ") if not part.startswith("campusdesk_csrf="))
    sent = f"{kept}; campusdesk_csrf={cookie}" if kept else f"campusdesk_csrf={cookie}"
    chosen = await gateway.post("/role", data={"role": "user", "csrf_token": token}, headers={"Cookie": sent})
    assert chosen.status_code == 303, chosen.text[:300]
    assert chosen.headers["location"] == "/tickets/new"


async def test_a_browser_with_its_csrf_cookie_is_not_given_another(browser: Browser) -> None:
    await browser.get("/")
    again = await browser.get("/")
    assert not any(v.startswith("campusdesk_csrf=") for v in again.headers.get_list("set-cookie"))


@pytest.mark.parametrize(
    ("path", "location"),
    [("/tickets/", "/tickets"), ("/tickets/?status=all", "/tickets?status=all")],
)
async def test_a_redirect_never_names_the_host_the_request_claims(user: Browser, path: str, location: str) -> None:
    response = await user.client.get(path, headers={"Host": "evil.example"})
    assert response.status_code in (301, 302, 303, 307, 308), response.status_code
    assert response.headers["location"] == location
    assert "evil.example" not in response.headers["location"].split("/")[:3]


async def test_every_page_with_a_csrf_token_is_not_stored_by_caches(
    helpdesk: Browser, fake_tickets: FakeTicketService
) -> None:
    fake_tickets.add("Heating off in room 12")
    pages = [
        await helpdesk.get("/"),
        await helpdesk.get("/tickets"),
        await helpdesk.get("/tickets/1"),
        await helpdesk.get("/tickets/1/close"),
        await helpdesk.get("/analytics"),
        await helpdesk.get("/tickets/999"),  # the error page carries the token too (htmx headers)
        await helpdesk.post("/tickets/1/start", {"version": "abc"}),  # a refused form shown again
        await helpdesk.client.get("/tickets/1", headers={"HX-Request": "true", "HX-Target": "thread"}),
    ]
    for page in pages:
        assert "csrf" in page.text.lower(), page.request.url
        assert page.headers.get("cache-control") == "no-store", (page.request.url, page.status_code)


async def test_static_files_stay_cacheable(browser: Browser) -> None:
    response = await browser.get("/static/vendor/htmx-2.0.7.min.js")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("cache-control", "")


@pytest.mark.parametrize(
    ("location", "relative"),
    [
        ("http://evil.example/tickets", "/tickets"),
        ("https://evil.example:8443/tickets?status=all#top", "/tickets?status=all#top"),
        ("http://gateway//evil.example/x", "/evil.example/x"),  # protocol-relative: another host
        ("//evil.example/x", "/x"),
        ("/tickets/3?notice=created", "/tickets/3?notice=created"),
    ],
)
def test_every_location_is_made_relative_to_this_site(location: str, relative: str) -> None:
    assert relative_location(location) == relative
    assert not relative_location(location).startswith("//")
