"""Hostile input to the gateway's private-link pages (issue 14), on PostgreSQL and on SQLite with every service a real
process: `/t/<token>` and its actions, "This affects me too", My tickets, unsubscribing and the staff list's sort.

A mangled token is the same 404 page as a missing ticket, never a 500, a redirect, or the token repeated back; a
refused form is a readable page that keeps the text; repeated clicks act once; nothing refused is stored.
"""

from __future__ import annotations

import html
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx
import pytest

from tests.reliability.fuzz_targets import fuzz_private_pages
from tests.reliability.harness import HELPDESK, USER, Browser, Stack, query, running_stack
from tests.support import databases
from tests.support.services import ServiceProcess, free_port
from web_gateway.link_cookie import LINKS_COOKIE

pytestmark = [pytest.mark.slow]

# The main gateway must not limit the many writes of this module; one test starts a strict one of its own.
LIMITED_ACTIONS = ("TICKETS", "MESSAGES", "FOLLOWS", "FIX_ANSWERS")
UNLIMITED = {f"WEB_GATEWAY_RATE_LIMIT_{action}": "100000" for action in LIMITED_ACTIONS}
# E-mail updates on (the private page shows its address box), with nothing listening: no message is ever due.
MAIL = {"SMTP_URL": f"smtp://127.0.0.1:{free_port()}"}
NO_SUCH_TICKET = "There is no ticket at this address."
NO_SUCH_LINK = "This unsubscribe link is not valid"
MAIN = re.compile(r"<main\b.*?</main>", re.S)
WELL_FORMED = re.compile(r"[A-Za-z0-9_-]{32}")
# Tokens as they travel in a request line (percent-encoded where a browser would encode them).
HOSTILE_TOKENS = [
    "shortXq",
    "Q" * 31,
    "Q" * 33,
    "Q" * 4000,
    "%00" * 32,
    "Q" * 31 + "%00",
    "%C3%A9" * 32,  # 32 characters, but not ASCII
    "%EF%BC%A1" * 32,  # full-width A
    "%FF%FE" * 16,  # not UTF-8 once decoded
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "Q" * 16 + "%2F" + "Q" * 15,  # a slash inside
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "Q" * 32 + "%0d%0aSet-Cookie:%20evil=1",
    "Q" * 32 + "%20",
    "%2541" * 32,
    "'%20OR%20'1'='1",
]
FUZZ_EXAMPLES = 300
TABLES = ("tickets", "messages", "ticket_events", "idempotency_keys")


@dataclass
class Site:
    stack: Stack
    gateway: str
    api: httpx.Client
    open_id: int
    open_token: str
    closed_id: int
    closed_token: str

    def ticket(self, text: str, status: str = "open") -> tuple[int, str]:
        """A new ticket reported by a simple user, moved to `status`: its id and the reporter's token."""
        created = self.api.post("/tickets", json={"description": text}, headers=USER)
        created.raise_for_status()
        ticket_id = created.json()["id"]
        for step in ("active", "closed")[: ("open", "active", "closed").index(status)]:
            self.api.patch(f"/tickets/{ticket_id}", json={"status": step}, headers=HELPDESK).raise_for_status()
        return ticket_id, created.json()["private_link"]["token"]

    def stored(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every stored row; of private links, all but the read mark (moved by merely showing a page)."""
        rows = {table: query(self.stack.database_url, f"SELECT * FROM {table} ORDER BY 1") for table in TABLES}
        rows["private_links"] = query(
            self.stack.database_url,
            "SELECT id, ticket_id, kind, revoked_at, fix_answer, follow_up_ticket_id, email"
            " FROM private_links ORDER BY id",
        )
        return rows

    def missing_page(self, browser: Browser) -> str:
        """The main part of the page of a ticket that does not exist, as `browser` sees it."""
        response = browser.client.get("/tickets/987654")
        assert response.status_code == 404
        return main_of(response.text)


def main_of(page: str) -> str:
    found = MAIN.search(page)
    assert found is not None, page[:300]
    return found.group(0)


def _database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        yield databases.copy_sqlite(template, tmp_path_factory.mktemp("private-pages"))
        return
    server: str = request.getfixturevalue("postgres_server")
    url = databases.create_database_from_template(server)
    try:
        yield url
    finally:
        databases.drop_database(url)


@pytest.fixture(scope="module", params=[pytest.param("postgresql", marks=pytest.mark.postgres), pytest.param("sqlite")])
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    for url in _database(request, tmp_path_factory):
        with (
            running_stack(url, ticket_extra_env=UNLIMITED | MAIL) as stack,
            httpx.Client(base_url=stack.ticket.url, timeout=15) as api,
        ):
            assert stack.gateway is not None
            shell = Site(stack, stack.gateway.url, api, 0, "", 0, "")
            shell.open_id, shell.open_token = shell.ticket("Heating broken in room 2.01")
            shell.closed_id, shell.closed_token = shell.ticket("Wi-Fi down in the library", "closed")
            yield shell


def raw_request(
    base: str, method: str, target: bytes, cookies: httpx.Cookies, body: bytes = b""
) -> tuple[int, dict[str, str], str]:
    """A request whose target is sent byte for byte (clients would normalise or re-encode it)."""
    host, port = base.removeprefix("http://").split(":")
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    head = f"Host: {host}\r\nConnection: close\r\nCookie: {cookie}\r\nContent-Length: {len(body)}\r\n"
    if body:
        head += "Content-Type: application/x-www-form-urlencoded\r\n"
    with socket.create_connection((host, int(port)), timeout=15) as sock:
        sock.sendall(method.encode() + b" " + target + b" HTTP/1.1\r\n" + head.encode() + b"\r\n" + body)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head_bytes, _, content = data.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split(" ", 2)[1]), headers, content.decode("utf-8", "replace")


def assert_not_echoed(token: str, headers: dict[str, str], page: str) -> None:
    for shown in {token, unquote(token), unquote(unquote(token))}:
        if len(shown) >= 5:
            assert shown not in page, f"{token[:40]!r} echoed in the page"
            assert shown not in headers.get("location", ""), f"{token[:40]!r} echoed in a Location"


def test_mangled_tokens_in_private_addresses_are_the_missing_ticket_page(site: Site) -> None:
    browser = Browser(site.gateway, "user")
    missing = site.missing_page(browser)
    failures = []
    for token in [*HOSTILE_TOKENS, site.closed_token.lower(), site.closed_token[::-1], site.closed_token + "/"]:
        for path in (f"/t/{token}", f"/t/{token}/", f"/t/{token}/messages?after=0", f"/t/{token}/description"):
            status, headers, page = raw_request(site.gateway, "GET", path.encode(), browser.client.cookies)
            try:
                assert status == 404, status
                assert "location" not in headers
                assert main_of(page) == missing, main_of(page)[:300]
                assert headers["referrer-policy"] == "no-referrer" and headers["cache-control"] == "no-store"
                assert_not_echoed(token, headers, page)
            except AssertionError as error:
                failures.append(f"GET {path[:60]}: {error}")
        for path in (f"/t/{token}/photos/1", f"/t/{token}/photos/1/thumbnail"):
            status, headers, page = raw_request(site.gateway, "GET", path.encode(), browser.client.cookies)
            # A well-formed token is asked about the photo: "no such photo", which says nothing of the token.
            if status != 404 or (NO_SUCH_TICKET not in page and not WELL_FORMED.fullmatch(token)):
                failures.append(f"GET {path[:60]}: {status}")
            assert_not_echoed(token, headers, page)
    assert failures == []


def test_mangled_unsubscribe_addresses_are_a_404_that_repeats_nothing(site: Site) -> None:
    visitor = httpx.Client(base_url=site.gateway, timeout=15)  # a mail client: no cookies, no CSRF token
    for token in [*HOSTILE_TOKENS, "Q" * 32, site.closed_token]:
        for method, path in (("GET", f"/unsubscribe/{token}"), ("GET", f"/unsubscribe/{token}/"), ("POST", "")):
            path = path or f"/unsubscribe/{token}"
            well_formed_get = method == "GET" and not path.endswith("/") and WELL_FORMED.fullmatch(token)
            status, headers, page = raw_request(site.gateway, method, path.encode(), visitor.cookies)
            if well_formed_get:
                # A GET only asks (mail scanners open links): the confirmation form posts to the same address.
                assert status == 200 and ">Stop e-mail updates</button>" in page, (path, status)
                continue
            assert status == 404, (method, path[:60], status)
            assert html.escape(NO_SUCH_LINK) in page or NO_SUCH_LINK in page, page[:300]
            assert "location" not in headers and headers["cache-control"] == "no-store"
            assert_not_echoed(token, headers, page)
    # Raw bytes that are not ASCII are refused by the HTTP server itself, never a 500.
    status, _, _ = raw_request(site.gateway, "GET", b"/t/" + b"\xc3\xa9" * 32, visitor.cookies)
    assert status == 400


def _forms(site: Site, token: str) -> list[tuple[str, dict[str, str]]]:
    key = uuid.uuid4().hex
    return [
        (f"/t/{token}/description", {"description": "Rewritten by someone else", "version": "1"}),
        (f"/t/{token}/description", {"description": "", "version": "1"}),
        (f"/t/{token}/messages", {"body": "A message through a wrong link", "submission_key": key}),
        (f"/t/{token}/messages", {"body": " "}),
        (f"/t/{token}/fix-answer", {"answer": "broken", "note": "Still cold", "submission_key": key}),
        (f"/t/{token}/fix-answer", {"answer": "perhaps"}),
        (f"/t/{token}/email", {"email": "someone@example.edu"}),
        (f"/t/{token}/email", {"email": "not an address"}),
        (f"/t/{token}/email/stop", {}),
    ]


def test_forms_posted_through_a_wrong_token_are_the_missing_ticket_page_and_store_nothing(site: Site) -> None:
    browser = Browser(site.gateway, "user")
    missing = site.missing_page(browser)
    before = site.stored()
    failures = []
    for token in ("Q" * 32, site.closed_token.lower(), "shortXq", "Q" * 16 + "%2F" + "Q" * 15, "%00" * 32):
        for path, data in _forms(site, token):
            response = browser.post(path, data)
            try:
                assert response.status_code == 404, response.status_code
                assert main_of(response.text) == missing, main_of(response.text)[:400]
                assert_not_echoed(token, dict(response.headers), response.text)
            except AssertionError as error:
                failures.append(f"POST {path[:50]} {data}: {error}")
    assert failures == []
    assert site.stored() == before


def test_following_a_closed_ticket_says_no_more_than_a_missing_one(site: Site) -> None:
    """A simple user without the link never learns that a closed ticket exists, nor its state."""
    browser = Browser(site.gateway, "user")
    missing = site.missing_page(browser)
    before = site.stored()
    for ticket_id in (site.closed_id, 987654):
        response = browser.post(f"/tickets/{ticket_id}/follow", {"submission_key": uuid.uuid4().hex})
        assert response.status_code == 404
        assert main_of(response.text) == missing, main_of(response.text)[:400]
        assert "closed" not in main_of(response.text).lower()
    assert site.stored() == before


def _private_posts(site: Site) -> list[tuple[str, dict[str, str]]]:
    token = site.open_token
    return [
        (f"/t/{token}/description", {"description": "Forged description", "version": "1"}),
        (f"/t/{token}/messages", {"body": "Forged message"}),
        (f"/t/{site.closed_token}/fix-answer", {"answer": "broken", "note": "Forged"}),
        (f"/t/{token}/email", {"email": "attacker@example.edu"}),
        (f"/t/{token}/email/stop", {}),
        (f"/tickets/{site.open_id}/follow", {}),
    ]


def test_every_private_form_without_its_csrf_token_is_refused(site: Site) -> None:
    victim = Browser(site.gateway, "user")
    other = Browser(site.gateway, "user")
    evil = {"Origin": "https://evil.example", "Referer": "https://evil.example/attack.html"}
    before = site.stored()
    for path, data in _private_posts(site):
        for token in (None, "", "0" * 64, other.token, victim.token.upper()):
            form = dict(data) if token is None else {**data, "csrf_token": token}
            response = victim.client.post(path, data=form, headers=evil)
            assert response.status_code == 403, (path, token, response.status_code)
            assert "text/html" in response.headers["content-type"] and "This form has expired" in response.text
        assert victim.client.post(path, data=data, headers={"X-CSRF-Token": other.token}).status_code == 403
        # A link opened in another browser (no CSRF cookie at all) cannot be driven from a third site either.
        with httpx.Client(base_url=site.gateway, timeout=15) as stranger:
            assert stranger.post(path, data={**data, "csrf_token": victim.token}).status_code == 403, path
    assert site.stored() == before
    # The one exception, RFC 8058's one-click unsubscribe, is sent by mail clients without any cookie.
    with httpx.Client(base_url=site.gateway, timeout=15) as mail_client:
        one_click = mail_client.post(
            f"/unsubscribe/{'Q' * 32}",
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert one_click.status_code == 404 and NO_SUCH_LINK in one_click.text  # looked up, not refused as forged


def _multipart(fields: dict[str, bytes]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in fields.items()
    )
    return body + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def test_form_text_that_is_not_utf8_is_refused_whatever_the_encoding(site: Site) -> None:
    browser = Browser(site.gateway, "user")
    before = site.stored()
    broken = b"caf\xe9 \xff\xfe"
    paths = [path for path, _ in _private_posts(site)]
    paths += ["/tickets", f"/tickets/{site.open_id}/messages"]
    for path in paths:
        fields = {"description": broken, "body": broken, "note": broken, "email": b"\xff@example.edu"}
        fields |= {"version": b"1", "answer": b"broken", "csrf_token": browser.token.encode()}
        body, content_type = _multipart(fields)
        for sent, kind in ((body, content_type), (_urlencoded(fields), "application/x-www-form-urlencoded")):
            response = browser.client.post(path, content=sent, headers={"Content-Type": kind})
            assert response.status_code == 400, (path, kind[:20], response.status_code)
            assert "text/html" in response.headers["content-type"] and "not valid UTF-8" in response.text
    assert site.stored() == before, "text that is not UTF-8 was stored (decoded as something else)"


def _urlencoded(fields: dict[str, bytes]) -> bytes:
    from urllib.parse import quote_from_bytes

    return b"&".join(name.encode() + b"=" + quote_from_bytes(value).encode() for name, value in fields.items())


def test_oversized_fields_are_refused_with_the_text_kept(site: Site) -> None:
    browser = Browser(site.gateway, "user")
    before = site.stored()
    long_text = "Still broken: " + "é" * 5000
    address = "a" * 250 + "@example.edu"
    cases = [
        (f"/t/{site.open_token}/description", {"description": long_text, "version": "1"}, long_text),
        (f"/t/{site.open_token}/messages", {"body": long_text}, long_text),
        (f"/t/{site.closed_token}/fix-answer", {"answer": "broken", "note": long_text}, long_text),
        (f"/t/{site.open_token}/email", {"email": address}, address),
    ]
    for path, data, kept in cases:
        response = browser.post(path, data)
        assert response.status_code == 422, (path, response.status_code)
        assert "text/html" in response.headers["content-type"]
        assert kept in html.unescape(response.text), f"{path}: the typed text was lost"
        # A body past the gateway's limit is refused before it is read.
        huge = browser.post(path, {**data, next(iter(data)): "x" * 300_000})
        assert huge.status_code == 413, (path, huge.status_code)
    assert site.stored() == before


@pytest.mark.parametrize(
    "query",
    [
        "sort=bogus",
        "sort=affected%00",
        "sort=" + "x" * 30,
        "sort=AFFECTED",
        "min_affected=abc",
        "min_affected=0",
        "min_affected=-1",
        "min_affected=1.5",
        "min_affected=1e3",
        "min_affected=%C2%B2",
        "min_affected=%D9%A3",
        "min_affected=100001",
        "min_affected=" + "9" * 40,
        "min_affected=%00",
        "min_affected=1&min_affected=x",
        "sort=affected&cursor=garbage",
        "sort=affected&cursor=WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwxXQ",
    ],
)
def test_odd_list_sorting_is_a_readable_422_for_staff_and_ignored_for_users(site: Site, query: str) -> None:
    staff = Browser(site.gateway, "helpdesk").client.get(f"/tickets?{query}")
    assert staff.status_code == 422, staff.status_code
    assert "text/html" in staff.headers["content-type"] and 'class="error-box"' in staff.text
    user = Browser(site.gateway, "user").client.get(f"/tickets?{query}")
    assert user.status_code in (200, 422), user.status_code
    assert "text/html" in user.headers["content-type"]
    for fine in ("sort=affected", "sort=affected&min_affected=%20%202%20", "sort=activity&min_affected=1"):
        assert Browser(site.gateway, "helpdesk").client.get(f"/tickets?{fine}").status_code == 200, fine


def test_a_forged_or_garbled_links_cookie_is_ignored_and_the_pages_still_work(site: Site) -> None:
    page = f"/t/{site.open_token}"
    values = [
        "",
        ".",
        "." * 500,
        site.closed_token,
        f"{site.closed_token}.{'0' * 32}",
        f"{site.closed_token}.{site.open_token}.{'f' * 32}",
        "%00%ff",
        '"quoted"',
        "\u00e9\u20ac" * 10,
        f"{'Q' * 32}." * 100 + "0" * 32,
        "x" * 3000,
    ]
    for value in values:
        with httpx.Client(base_url=site.gateway, timeout=15) as client:
            cookie = {b"Cookie": f"campusdesk_role=user; {LINKS_COOKIE}={value}".encode()}
            mine = client.get("/my-tickets", headers=cookie)
            assert mine.status_code == 200, (value[:40], mine.status_code)
            assert "Wi-Fi down in the library" not in mine.text, "an unsigned link was trusted"
            shown = client.get(page, headers=cookie)
            assert shown.status_code == 200, (value[:40], shown.status_code)
            # The page replaces the garbage with a signed cookie holding only this link.
            assert (shown.cookies.get(LINKS_COOKIE) or "").startswith(site.open_token + ".")
    # A cookie larger than any server takes is refused by the HTTP server, not a 500.
    with httpx.Client(base_url=site.gateway, timeout=15) as client:
        oversized = client.get("/my-tickets", headers={"Cookie": f"{LINKS_COOKIE}={'x' * 70_000}"})
    assert 400 <= oversized.status_code < 500


def _messages(site: Site, ticket_id: int, token: str) -> list[str]:
    response = site.api.get(f"/tickets/{ticket_id}/messages", headers={**USER, "X-Private-Link": token})
    response.raise_for_status()
    return [item["body"] for item in response.json()["items"]]


def _all_tickets(site: Site) -> list[dict[str, Any]]:
    response = site.api.get("/tickets", params={"limit": "100"}, headers=HELPDESK)
    response.raise_for_status()
    listed: list[dict[str, Any]] = response.json()["items"]
    closed = site.api.get("/tickets", params={"limit": "100", "status": "closed"}, headers=HELPDESK)
    return listed + list(closed.json()["items"])


def test_a_filled_honeypot_is_answered_as_accepted_and_stores_nothing(site: Site) -> None:
    browser = Browser(site.gateway, "user")
    ticket_id, token = site.ticket("Projector flickers in hall B")
    tickets_before = len(_all_tickets(site))
    bot = {"homepage": "https://spam.example"}
    reported = browser.post("/tickets", {"description": "Cheap watches at spam.example", **bot})
    assert reported.status_code == 303
    private = browser.post(f"/t/{token}/messages", {"body": "Buy cheap watches", **bot})
    assert private.status_code == 303 and private.headers["location"].startswith(f"/t/{token}")
    public = browser.post(f"/tickets/{ticket_id}/messages", {"body": "Buy cheap watches", **bot})
    assert public.status_code == 303
    assert len(_all_tickets(site)) == tickets_before
    assert _messages(site, ticket_id, token) == []


def _at_once(browser: Browser, path: str, forms: list[dict[str, str]]) -> list[httpx.Response]:
    """Every form posted at the same moment from `browser` (its cookies, one connection each)."""
    start = threading.Barrier(len(forms))

    def post(form: dict[str, str]) -> httpx.Response:
        with httpx.Client(base_url=browser.client.base_url, cookies=browser.client.cookies, timeout=30) as client:
            start.wait()
            return client.post(path, data={**form, "csrf_token": browser.token})

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(post, forms))


@pytest.mark.parametrize("same_key", [True, False], ids=["double click", "two tabs"])
def test_is_it_fixed_answered_at_once_many_times_files_one_follow_up(site: Site, same_key: bool) -> None:
    closed_id, token = site.ticket(f"Radiator cold in room 3.{int(same_key)}", "closed")
    browser = Browser(site.gateway, "user")
    key = uuid.uuid4().hex
    forms = [
        {"answer": "broken", "note": "Still cold", "submission_key": key if same_key else uuid.uuid4().hex}
        for _ in range(6)
    ]
    answers = _at_once(browser, f"/t/{token}/fix-answer", forms)
    assert [r.status_code for r in answers] == [303] * 6, [(r.status_code, r.text[:200]) for r in answers]
    assert {r.headers["location"] for r in answers} == {f"/t/{token}?notice=answered#fixed"}
    follow_ups = [t for t in _all_tickets(site) if t.get("follows_up") == closed_id]
    assert len(follow_ups) == 1, follow_ups
    assert follow_ups[0]["description"] == "Still cold"
    recorded_sql = "SELECT fix_answer FROM private_links WHERE ticket_id = :id"
    recorded = query(site.stack.database_url, recorded_sql, id=closed_id)
    assert recorded == [("broken",)]


def test_this_affects_me_too_clicked_many_times_at_once_follows_once(site: Site) -> None:
    ticket_id, _ = site.ticket("Lift stuck on floor 4")
    browser = Browser(site.gateway, "user")
    key = uuid.uuid4().hex
    follows = _at_once(browser, f"/tickets/{ticket_id}/follow", [{"submission_key": key}] * 6)
    assert [r.status_code for r in follows] == [303] * 6, [(r.status_code, r.text[:200]) for r in follows]
    assert len({r.headers["location"] for r in follows}) == 1
    counted = site.api.get(f"/tickets/{ticket_id}", headers=HELPDESK).json()["affected_count"]
    assert counted == 2  # the reporter and this browser's person, once


@pytest.fixture
def strict_gateway(site: Site) -> Iterator[str]:
    """A second gateway on the same services allowing one write of each kind per address."""
    assert site.stack.gateway is not None
    env = {name: value for name, value in site.stack.gateway.env.items() if name != "WEB_GATEWAY_PORT"}
    env |= {name: "1" for name in UNLIMITED}
    with ServiceProcess("web_gateway", env) as gateway:
        yield gateway.url


def test_over_the_limit_a_429_with_retry_after_keeps_the_typed_text(site: Site, strict_gateway: str) -> None:
    ticket_id, token = site.ticket("Door of room 1.12 does not lock")
    _, first_token = site.ticket("Tap dripping in the kitchen", "closed")
    _, second_token = site.ticket("Window will not close", "closed")
    browser = Browser(strict_gateway, "user")
    before = site.stored()
    assert browser.post(f"/t/{token}/messages", {"body": "First message"}).status_code == 303
    limited = [
        (f"/t/{token}/messages", {"body": "Second message, kept for later"}, "Second message, kept for later"),
        ("/tickets", {"description": "A second report, kept for later"}, "A second report, kept for later"),
    ]
    assert browser.post(f"/t/{first_token}/fix-answer", {"answer": "fixed"}).status_code == 303
    limited.append((f"/t/{second_token}/fix-answer", {"answer": "broken", "note": "Still open"}, "Still open"))
    assert browser.post(f"/tickets/{site.open_id}/follow", {}).status_code == 303
    limited.append((f"/tickets/{ticket_id}/follow", {}, ""))
    assert browser.post("/tickets", {"description": "A first report"}).status_code == 303
    after_allowed = site.stored()
    assert after_allowed != before
    for path, data, kept in limited:
        response = browser.post(path, data)
        assert response.status_code == 429, (path, response.status_code)
        retry_after = response.headers.get("retry-after", "")
        assert retry_after.isdigit() and int(retry_after) > 0, retry_after
        assert "text/html" in response.headers["content-type"] and "Please try again in" in response.text
        assert kept in html.unescape(response.text), f"{path}: the typed text was lost"
        if kept and path.startswith("/t/"):
            assert f'action="{path}"' in response.text  # sent again to the same address
    assert site.stored() == after_allowed
    assert _messages(site, ticket_id, token) == ["First message"]


def test_random_tokens_actions_and_fields_through_the_private_pages(site: Site) -> None:
    """A bounded run of `make fuzz`'s private-page target (thousands of cases there)."""
    report = fuzz_private_pages(site.gateway, site.stack.ticket.url, max_examples=FUZZ_EXAMPLES)
    print(report.summary())
    assert report.cases == FUZZ_EXAMPLES and len(report.statuses) > 1, report.summary()
    assert report.failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in report.failures.items())
