"""Hostile and bad input through the pages (plain HTTP, as a browser or an attacker would send it):
each is a clear 4xx page, nothing stored changes, and stored payloads are shown as text."""

from __future__ import annotations

import html
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.reliability.harness import HELPDESK, USER, Browser, Stack, running_stack, snapshot
from tests.support import databases

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(document.cookie)">'
SQL = "'; DROP TABLE tickets; --"


@dataclass
class Site:
    stack: Stack
    gateway: str
    open_id: int
    active_id: int
    closed_id: int
    payload_id: int

    def unchanged(self, before: dict[str, Any]) -> None:
        assert snapshot(self.stack.database_url) == before, "stored data changed"


@pytest.fixture(scope="module")
def site(postgres_server: str) -> Iterator[Site]:
    url = databases.create_database_from_template(postgres_server)
    try:
        with running_stack(url) as stack:
            assert stack.gateway is not None
            api = httpx.Client(base_url=stack.ticket.url, timeout=15)
            ids = []
            for text in ("Heating broken in room 2.01", "Wi-Fi down in the library", "Canteen overcharged me"):
                ids.append(api.post("/tickets", json={"description": text}, headers=USER).json()["id"])
            api.patch(f"/tickets/{ids[1]}", json={"status": "active"}, headers=HELPDESK).raise_for_status()
            api.patch(f"/tickets/{ids[2]}", json={"status": "active"}, headers=HELPDESK).raise_for_status()
            api.patch(f"/tickets/{ids[2]}", json={"status": "closed"}, headers=HELPDESK).raise_for_status()
            payload = api.post("/tickets", json={"description": f"{SCRIPT} {IMG} {SQL}"}, headers=USER)
            payload.raise_for_status()
            api.post(f"/tickets/{ids[0]}/messages", json={"body": SCRIPT}, headers=USER).raise_for_status()
            yield Site(stack, stack.gateway.url, *ids, payload.json()["id"])
    finally:
        databases.drop_database(url)


@pytest.fixture
def before(site: Site) -> dict[str, Any]:
    return snapshot(site.stack.database_url)


@pytest.mark.parametrize(
    ("name", "description", "status"),
    [
        ("empty", "", 422),
        ("whitespace only", " \r\n\t ", 422),
        ("5,001 characters", "x" * 5001, 422),
        ("NUL character", "printer \x00 broken", (400, 422)),
        ("escape sequence", "printer \x1b[31m broken", (400, 422)),
    ],
)
def test_bad_descriptions_through_the_form_are_refused(
    site: Site, before: dict[str, Any], name: str, description: str, status: int | tuple[int, ...]
) -> None:
    browser = Browser(site.gateway, "user")
    response = browser.post("/tickets", {"description": description})
    expected = (status,) if isinstance(status, int) else status
    assert response.status_code in expected, (name, response.status_code, response.text[:300])
    assert "text/html" in response.headers["content-type"]
    site.unchanged(before)


def test_a_ten_megabyte_form_is_413_and_invalid_utf8_is_refused(site: Site, before: dict[str, Any]) -> None:
    browser = Browser(site.gateway, "user")
    huge = browser.post("/tickets", {"description": "x" * 10_000_000})
    assert huge.status_code == 413
    raw = b"description=caf%E9%FF%FE&csrf_token=" + browser.token.encode()
    bad = browser.client.post(
        "/tickets", content=raw, headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
    )
    assert 400 <= bad.status_code < 500, bad.status_code
    site.unchanged(before)


def test_bad_message_bodies_through_the_form_are_refused(site: Site, before: dict[str, Any]) -> None:
    browser = Browser(site.gateway, "helpdesk")
    for body in ("", "   ", "y" * 5001):
        response = browser.post(f"/tickets/{site.active_id}/messages", {"body": body})
        assert response.status_code == 422, response.status_code
    closed = browser.post(f"/tickets/{site.closed_id}/messages", {"body": "too late"})
    assert 400 <= closed.status_code < 500
    site.unchanged(before)


def test_stored_html_script_and_sql_are_shown_as_text(site: Site) -> None:
    for role in ("user", "helpdesk"):
        browser = Browser(site.gateway, role)
        for path in (f"/tickets/{site.payload_id}", f"/tickets/{site.open_id}", "/tickets?status=all"):
            page = browser.client.get(path)
            assert page.status_code == 200, (path, page.status_code)
            assert SCRIPT not in page.text and "<img src=x" not in page.text, path
            if path.endswith(str(site.payload_id)):
                assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
                assert f"{SCRIPT} {IMG} {SQL}" in html.unescape(page.text)  # verbatim, once unescaped
        # No inline script can run: the policy forbids it.
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp


@pytest.mark.parametrize(
    "path",
    [
        "/static/../../web_gateway/settings.py",
        "/static/../main.py",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        "/static/..%2f..%2f..%2fetc%2fpasswd",
        "/static/%2e%2e%2fmain.py",
        "/static/....//....//etc/passwd",
        "/static//etc/passwd",
        "/static/%252e%252e/main.py",
        "/static/..\\..\\main.py",
        "/static/vendor/../../main.py",
        "/static/campusdesk.css%00.py",
    ],
)
def test_path_traversal_against_static_files_finds_nothing(site: Site, path: str) -> None:
    status, body = _raw_get(site.gateway, path)
    assert status in (400, 404), (path, status)
    for secret in (b"root:", b"import ", b"def ", b"BaseSettings", b"secret"):
        assert secret not in body, (path, secret)


def _raw_get(base: str, path: str) -> tuple[int, bytes]:
    """GET with the path sent byte for byte (HTTP clients normalise `..` away)."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_a_user_cannot_do_helpdesk_actions_with_crafted_requests(site: Site, before: dict[str, Any]) -> None:
    browser = Browser(site.gateway, "user")
    helpdesk_only = (403,)
    closed_for_users = (403, 404, 409)
    attempts = [
        ("POST", f"/tickets/{site.open_id}/start", {"version": "1"}, helpdesk_only),
        ("POST", f"/tickets/{site.active_id}/close", {"version": "2", "confirmed": "yes"}, helpdesk_only),
        ("POST", f"/tickets/{site.open_id}/category", {"category": "technical_it", "version": "1"}, helpdesk_only),
        ("GET", "/analytics", None, helpdesk_only),
        ("GET", "/analytics/open.csv?unit=days&value=7", None, helpdesk_only),
        ("GET", "/analytics/category.csv", None, helpdesk_only),
        ("GET", f"/tickets/{site.active_id}/close", None, helpdesk_only),
        ("POST", f"/tickets/{site.closed_id}/messages", {"body": "reopen please"}, closed_for_users),
        (
            "POST",
            f"/tickets/{site.closed_id}/description",
            {"description": "rewritten", "version": "3"},
            closed_for_users,
        ),
        ("GET", f"/tickets/{site.closed_id}", None, (404,)),
    ]
    for method, path, data, expected in attempts:
        response = browser.post(path, data) if method == "POST" else browser.client.get(path)
        assert response.status_code in expected, (method, path, response.status_code)
    listed = browser.client.get("/tickets?status=closed")
    assert listed.status_code in (200, 422)
    assert "Canteen overcharged me" not in listed.text
    # A role cookie the gateway does not know is no role at all.
    browser.client.cookies.set("campusdesk_role", "admin")
    forged = browser.post(f"/tickets/{site.open_id}/start", {"version": "1"})
    assert forged.status_code in (303, 400, 403) and forged.headers.get("location", "/") == "/"
    site.unchanged(before)


def test_odd_version_fields_are_never_a_server_error(site: Site, before: dict[str, Any]) -> None:
    browser = Browser(site.gateway, "helpdesk")
    # Digits to Python's str.isdigit() that int() refuses, and other garbage: a conflict page, never a 500.
    for version in ("\u00b2", "\u0663", "-1", "1e3", "99999999999999999999999", "abc"):
        response = browser.post(f"/tickets/{site.closed_id}/start", {"version": version})
        assert 400 <= response.status_code < 500, (version, response.status_code)
    site.unchanged(before)


def test_helpdesk_cannot_rewrite_descriptions_through_the_page(site: Site, before: dict[str, Any]) -> None:
    browser = Browser(site.gateway, "helpdesk")
    response = browser.post(f"/tickets/{site.open_id}/description", {"description": "rewritten", "version": "1"})
    assert response.status_code == 403
    site.unchanged(before)


def test_cross_site_posts_without_a_valid_csrf_token_are_refused(site: Site, before: dict[str, Any]) -> None:
    victim = Browser(site.gateway, "helpdesk")
    other = Browser(site.gateway, "helpdesk")
    evil = {"Origin": "https://evil.example", "Referer": "https://evil.example/attack.html"}
    forms = [
        ("/tickets", {"description": "Forged ticket from another site"}),
        (f"/tickets/{site.open_id}/start", {"version": "1"}),
        (f"/tickets/{site.active_id}/close", {"version": "2", "confirmed": "yes"}),
        (f"/tickets/{site.open_id}/category", {"category": "technical_it", "version": "1"}),
        (f"/tickets/{site.open_id}/messages", {"body": "forged message"}),
        ("/role", {"role": "user"}),
    ]
    for path, data in forms:
        for token in (None, "", "0" * 64, other.token, victim.token.upper()):
            form = dict(data)
            if token is not None:
                form["csrf_token"] = token
            response = victim.client.post(path, data=form, headers=evil)
            assert response.status_code == 403, (path, token, response.status_code)
        # The same header trick htmx uses, with a wrong value, is refused too.
        wrong_header = victim.client.post(path, data=data, headers={"X-CSRF-Token": other.token})
        assert wrong_header.status_code == 403, path
        # Without the CSRF cookie at all (a cross-site request whose cookie was not sent).
        stranger = httpx.Client(base_url=site.gateway, cookies={"campusdesk_role": "helpdesk"})
        assert stranger.post(path, data={**data, "csrf_token": victim.token}).status_code == 403
    site.unchanged(before)


@pytest.mark.parametrize(
    "query",
    [
        "unit=hours&value=-1",
        "unit=hours&value=0",
        "unit=hours&value=8761",
        "unit=days&value=3651",
        "unit=days&value=99999999999",
        "unit=days&value=abc",
        "unit=days&value=1.5",
        "unit=days&value=%C2%B2",
        "unit=weeks&value=2",
        "from=2024-13",
        "from=abc&to=2024-01",
        "from=2025-06&to=2025-01",
        "category=weapons",
    ],
)
def test_bad_analytics_periods_through_the_page_are_422(site: Site, query: str) -> None:
    browser = Browser(site.gateway, "helpdesk")
    response = browser.client.get(f"/analytics?{query}")
    assert response.status_code == 422, (query, response.status_code)
    assert "text/html" in response.headers["content-type"]
    # The other panels still show their results.
    assert "Active tickets per category" in response.text
