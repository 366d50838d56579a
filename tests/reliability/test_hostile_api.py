"""Hostile and bad input through the APIs: each is a clear 4xx problem and nothing stored changes;
awkward but legitimate text (SQL, HTML, right-to-left, emoji) is stored and returned verbatim."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.reliability.harness import HELPDESK, USER, assert_problem, snapshot

OK_TEXT = "The projector in room 1.12 flickers"
SQL_INJECTIONS = [
    "'; DROP TABLE tickets; --",
    "1' OR '1'='1",
    "Robert'); DELETE FROM messages WHERE ('1'='1",
    "%' UNION SELECT id, description FROM tickets --",
]
VERBATIM_TEXTS = [
    *SQL_INJECTIONS,
    "<script>alert(1)</script>",
    '<img src=x onerror="alert(document.cookie)">',
    "{{ 7*7 }} ${7*7} {% raw %}",
    "مرحبا، جهاز العرض في القاعة ٣ لا يعمل",
    "שלום \u202eevil\u202c text",
    "Drucker kaputt 🖨️🔥 — ça ne marche pas 👩🏽‍💻",
    "Line one\nLine two\ttabbed",
    "x" * 5000,
]
CONTROL_TEXTS = ["nul \x00 byte", "\x00", "bell \x07", "escape \x1b[31mred", "backspace \x08\x08", "\x7f delete"]


@dataclass
class Fixture:
    client: httpx.AsyncClient
    database_url: str
    open_id: int
    active_id: int
    closed_id: int


@pytest.fixture
async def stored(ticket_client: httpx.AsyncClient, database_url: str) -> AsyncIterator[Fixture]:
    ids = []
    for text in ("Heating broken in room 2.01", "Wi-Fi down in the library", "Canteen overcharged me"):
        response = await ticket_client.post("/tickets", json={"description": text}, headers=USER)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
        posted = await ticket_client.post(f"/tickets/{ids[-1]}/messages", json={"body": "Please help"}, headers=USER)
        assert posted.status_code == 201, posted.text
    for ticket_id, steps in ((ids[1], ["active"]), (ids[2], ["active", "closed"])):
        for status in steps:
            moved = await ticket_client.patch(f"/tickets/{ticket_id}", json={"status": status}, headers=HELPDESK)
            assert moved.status_code == 200, moved.text
    yield Fixture(ticket_client, database_url, *ids)


async def _rejected(
    fx: Fixture,
    method: str,
    path: str,
    status: int | tuple[int, ...],
    *,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """Send a bad request: a problem with `status`, and every stored row exactly as before."""
    before = snapshot(fx.database_url)
    response = await fx.client.request(method, path, headers=headers if headers is not None else USER, **kwargs)
    problem = assert_problem(response, status)
    assert snapshot(fx.database_url) == before, f"{method} {path} changed stored data"
    return problem


async def _each(cases: list[tuple[str, Any]], check: Any) -> None:
    """Run `check(case)` for every case and report every one that failed, not just the first."""
    failures = []
    for name, case in cases:
        try:
            await check(case)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
    assert failures == [], "\n".join(failures)


def _bad_texts(field: str) -> list[tuple[str, Any, dict[str, Any], int | tuple[int, ...]]]:
    """(name, body as json or content, extra kwargs, expected status) for a text field."""
    json_cases: list[tuple[str, Any, int | tuple[int, ...]]] = [
        ("empty", {field: ""}, 422),
        ("whitespace only", {field: " \n\t\u00a0 "}, 422),
        ("5,001 characters", {field: "x" * 5001}, 422),
        ("5,001 characters after padding", {field: "  " + "é" * 5001 + "  "}, 422),
        ("number", {field: 123}, 422),
        ("null", {field: None}, 422),
        ("list", {field: ["a"]}, 422),
        ("object", {field: {"$ne": ""}}, 422),
        ("boolean", {field: True}, 422),
        ("unknown field", {field: OK_TEXT, "id": 1}, 422),
        ("another unknown field", {field: OK_TEXT, "is_admin": True}, 422),
        ("missing field", {}, 422),
        ("array body", [OK_TEXT], 422),
        ("string body", OK_TEXT, 422),
        *[(f"control characters {t!r}", {field: t}, (400, 422)) for t in CONTROL_TEXTS],
    ]
    cases = [(name, body, {"json": body}, status) for name, body, status in json_cases]
    cases += [
        ("invalid JSON", None, {"content": b'{"' + field.encode() + b'": ', **_json_type()}, 422),
        ("trailing garbage", None, {"content": b'{"' + field.encode() + b'": "ok text"} xx', **_json_type()}, 422),
        (
            "invalid UTF-8",
            None,
            {"content": b'{"' + field.encode() + b'": "caf\xe9 \xff\xfe"}', **_json_type()},
            (400, 422),
        ),
        ("10 MB", None, {"content": b'{"' + field.encode() + b'": "' + b"x" * 10_000_000 + b'"}', **_json_type()}, 413),
        ("not JSON at all", None, {"content": b"description=hello", "headers_extra": "form"}, (415, 422)),
    ]
    return cases


def _json_type() -> dict[str, Any]:
    return {"headers_extra": "json"}


def _kwargs(extra: dict[str, Any], role: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    kwargs = dict(extra)
    kind = kwargs.pop("headers_extra", None)
    headers = dict(role)
    if kind == "json":
        headers["Content-Type"] = "application/json"
    elif kind == "form":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    return headers, kwargs


@pytest.mark.parametrize(
    ("field", "method", "target", "role"),
    [
        ("description", "POST", "create", USER),
        ("description", "PATCH", "edit", USER),
        ("body", "POST", "message", HELPDESK),
    ],
    ids=["create", "edit", "message"],
)
async def test_bad_texts_are_rejected(
    stored: Fixture, field: str, method: str, target: str, role: dict[str, str]
) -> None:
    path = {
        "create": "/tickets",
        "edit": f"/tickets/{stored.open_id}",
        "message": f"/tickets/{stored.active_id}/messages",
    }[target]

    async def check(case: tuple[Any, ...]) -> None:
        _, _, extra, status = case
        headers, kwargs = _kwargs(extra, role)
        await _rejected(stored, method, path, status, headers=headers, **kwargs)

    await _each([(c[0], c) for c in _bad_texts(field)], check)


async def test_missing_or_unknown_role_is_400(stored: Fixture) -> None:
    async def check(role: str | None) -> None:
        headers = {} if role is None else {"X-Role": role}
        for method, path, body in (
            ("GET", "/tickets", None),
            ("GET", f"/tickets/{stored.open_id}", None),
            ("POST", "/tickets", {"description": OK_TEXT}),
            ("PATCH", f"/tickets/{stored.open_id}", {"status": "active"}),
            ("POST", f"/tickets/{stored.open_id}/messages", {"body": "hello"}),
        ):
            await _rejected(stored, method, path, 400, headers=headers, json=body)

    roles = [None, "", "admin", "root", "Helpdesk", "helpdesk,user", "user%00", "' OR 1=1 --"]
    await _each([(repr(r), r) for r in roles], check)


async def test_a_user_cannot_perform_any_helpdesk_action(stored: Fixture) -> None:
    for ticket_id in (stored.open_id, stored.active_id):
        for status in ("open", "active", "closed"):
            await _rejected(stored, "PATCH", f"/tickets/{ticket_id}", 403, json={"status": status})
        # Sneaking a status change in with a legitimate description edit changes nothing either.
        await _rejected(
            stored, "PATCH", f"/tickets/{ticket_id}", (403, 422), json={"description": OK_TEXT, "status": "closed"}
        )
        await _rejected(stored, "PATCH", f"/tickets/{ticket_id}", (403, 422), json={"category": "technical_it"})
    # A closed ticket does not exist for a user: neither readable, writable nor listed.
    await _rejected(stored, "GET", f"/tickets/{stored.closed_id}", 404)
    await _rejected(stored, "GET", f"/tickets/{stored.closed_id}/messages", 404)
    await _rejected(stored, "PATCH", f"/tickets/{stored.closed_id}", (404, 409), json={"description": OK_TEXT})
    for params in ({"status": "closed"}, {"status": ["closed", "open"]}, {"q": "Canteen"}):
        listed = await stored.client.get("/tickets", params=params, headers=USER)
        assert listed.status_code == 200, listed.text
        assert [t["id"] for t in listed.json()["items"] if t["status"] == "closed"] == []


async def test_helpdesk_cannot_rewrite_descriptions_or_skip_transitions(stored: Fixture) -> None:
    await _rejected(stored, "PATCH", f"/tickets/{stored.open_id}", 403, headers=HELPDESK, json={"description": "x y"})
    await _rejected(stored, "PATCH", f"/tickets/{stored.open_id}", 409, headers=HELPDESK, json={"status": "closed"})
    await _rejected(stored, "PATCH", f"/tickets/{stored.active_id}", 409, headers=HELPDESK, json={"status": "open"})
    for status in ("open", "active", "closed"):
        await _rejected(stored, "PATCH", f"/tickets/{stored.closed_id}", 409, headers=HELPDESK, json={"status": status})
    await _rejected(
        stored, "POST", f"/tickets/{stored.closed_id}/messages", 409, headers=HELPDESK, json={"body": "too late"}
    )
    await _rejected(stored, "PATCH", f"/tickets/{stored.open_id}", 422, headers=HELPDESK, json={"status": "reopened"})
    await _rejected(stored, "PATCH", f"/tickets/{stored.open_id}", 422, headers=HELPDESK, json={"version": 99})


async def test_a_stale_or_garbage_if_match_changes_nothing(stored: Fixture) -> None:
    async def check(if_match: str) -> None:
        headers = {**HELPDESK, "If-Match": if_match}
        path = f"/tickets/{stored.open_id}"
        await _rejected(stored, "PATCH", path, (400, 412, 422), headers=headers, json={"status": "active"})

    values = ['"99"', '"0"', '"-1"', '"abc"', 'W/"1"x', '"7", "99999999999999999999"']
    await _each([(v, v) for v in values], check)


async def test_odd_ticket_ids_are_404_or_422(stored: Fixture) -> None:
    async def check(ticket_id: str) -> None:
        path = f"/tickets/{ticket_id}"
        await _rejected(stored, "GET", path, (404, 422), headers=HELPDESK)
        await _rejected(stored, "PATCH", path, (404, 422), headers=HELPDESK, json={"status": "active"})
        await _rejected(stored, "POST", f"{path}/messages", (404, 422), headers=HELPDESK, json={"body": "hi"})

    ids = ["0", "-1", "99999999", "9223372036854775808", "99999999999999999999999", "abc", "1.5", "1e3", "%00"]
    await _each([(i, i) for i in ids], check)


async def test_bad_list_parameters_are_rejected(stored: Fixture) -> None:
    async def check(params: dict[str, str]) -> None:
        await _rejected(stored, "GET", "/tickets", (400, 422), headers=HELPDESK, params=params)

    cases = [
        {"limit": "0"},
        {"limit": "201"},
        {"limit": "-1"},
        {"limit": "abc"},
        {"limit": "99999999999999999999999"},
        {"status": "deleted"},
        {"category": "weapons"},
        {"cursor": "not-a-cursor"},
        {"cursor": "' OR 1=1 --"},
        {"cursor": "eyJ1cGRhdGVkX2F0IjogImJhZCJ9"},
        {"cursor": "A" * 5000},
    ]
    await _each([(str(c)[:60], c) for c in cases], check)


async def test_bad_message_cursor_is_rejected_or_empty(stored: Fixture) -> None:
    for after in ("-1", "abc", "99999999999999999999999"):
        path = f"/tickets/{stored.open_id}/messages"
        response = await stored.client.get(path, params={"after": after}, headers=USER)
        if response.status_code == 200:
            assert response.json()["items"] == [] or after == "-1"
        else:
            assert_problem(response, (400, 422))


async def test_search_treats_sql_as_text(stored: Fixture) -> None:
    await _each([(repr(q), q) for q in [*SQL_INJECTIONS, "%", "_", "\\", "%%%' --", "\x00"]], _searcher(stored))


def _searcher(stored: Fixture) -> Any:
    async def check(query_text: str) -> None:
        await _search_finds_nothing(stored, query_text)

    return check


async def _search_finds_nothing(stored: Fixture, query_text: str) -> None:
    before = snapshot(stored.database_url)
    response = await stored.client.get("/tickets", params={"q": query_text}, headers=HELPDESK)
    if "\x00" in query_text:
        assert_problem(response, (400, 422))
    else:
        assert response.status_code == 200, response.text
        # No stored description contains these strings, so a search that treats them as text finds nothing.
        assert response.json()["items"] == []
    assert snapshot(stored.database_url) == before


async def test_awkward_text_is_stored_and_returned_verbatim(stored: Fixture) -> None:
    async def check(text: str) -> None:
        await _stored_verbatim(stored, text)

    await _each([(repr(t[:30]), t) for t in VERBATIM_TEXTS], check)


async def _stored_verbatim(stored: Fixture, text: str) -> None:
    before = snapshot(stored.database_url)
    created = await stored.client.post("/tickets", json={"description": text}, headers=USER)
    assert created.status_code == 201, created.text
    ticket_id = created.json()["id"]
    assert created.json()["description"] == text
    fetched = await stored.client.get(f"/tickets/{ticket_id}", headers=USER)
    assert fetched.json()["description"] == text
    posted = await stored.client.post(f"/tickets/{ticket_id}/messages", json={"body": text}, headers=HELPDESK)
    assert posted.status_code == 201, posted.text
    thread = await stored.client.get(f"/tickets/{ticket_id}/messages", headers=USER)
    assert [m["body"] for m in thread.json()["items"]] == [text]
    if len(text) < 100:
        found = await stored.client.get("/tickets", params={"q": text}, headers=USER)
        assert [t["id"] for t in found.json()["items"]] == [ticket_id]
    after = snapshot(stored.database_url)
    # Only the new ticket (and its message, event and so on) was added; nothing older changed.
    for table, rows in before.items():
        assert after[table][: len(rows)] == rows, table
    assert len(after["tickets"]) == len(before["tickets"]) + 1
