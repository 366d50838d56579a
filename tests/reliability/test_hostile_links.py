"""Hostile input to the private link routes, on both databases: every answer is a 4xx problem, never a
500, and nothing stored changes. A token that is not exactly a live token of that ticket is a 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.reliability.harness import HELPDESK, USER, assert_problem, query

LINK = "X-Private-Link"
TABLES = ("tickets", "private_links", "messages", "ticket_events", "idempotency_keys")
HOSTILE_TOKENS = [
    "' OR '1'='1' --",
    "%' UNION SELECT token_hash FROM private_links --",
    "A" * 31,
    "A" * 33,
    "A" * 10_000,
    "====" * 8,
    "a.b/c+d" * 4 + "abcd",
    "%00" * 10 + "AA",
    "*",
    "null",
]


@dataclass
class Links:
    client: httpx.AsyncClient
    database_url: str
    open_id: int
    closed_id: int
    open_token: str
    closed_token: str


@pytest.fixture
async def linked(ticket_client: httpx.AsyncClient, database_url: str) -> AsyncIterator[Links]:
    made = []
    for text in ("Heating broken in room 2.01", "Wi-Fi down in the library"):
        response = await ticket_client.post("/tickets", json={"description": text}, headers=USER)
        assert response.status_code == 201, response.text
        made.append(response.json())
    for status in ("active", "closed"):
        moved = await ticket_client.patch(f"/tickets/{made[1]['id']}", json={"status": status}, headers=HELPDESK)
        assert moved.status_code == 200, moved.text
    tokens = [ticket["private_link"]["token"] for ticket in made]
    yield Links(ticket_client, database_url, made[0]["id"], made[1]["id"], *tokens)


def _stored(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    return {table: query(database_url, f"SELECT * FROM {table} ORDER BY 1, 2") for table in TABLES}


async def _refused(fx: Links, method: str, path: str, status: int | tuple[int, ...], **kwargs: Any) -> None:
    before = _stored(fx.database_url)
    response = await fx.client.request(method, path, **kwargs)
    assert_problem(response, status)
    assert _stored(fx.database_url) == before, f"{method} {path} changed stored data"


async def test_hostile_tokens_open_nothing(linked: Links) -> None:
    closed = linked.closed_id
    reads = [f"/tickets/{closed}", f"/tickets/{closed}/messages", f"/tickets/{closed}/history", "/links/self"]
    failures = []
    for token in [*HOSTILE_TOKENS, linked.open_token, linked.closed_token.lower(), linked.closed_token[::-1]]:
        for path in reads if token != linked.open_token else reads[:3]:
            try:
                await _refused(linked, "GET", path, 404, headers={**USER, LINK: token})
            except AssertionError as error:
                failures.append(f"{path} with {token[:40]!r}: {error}")
        for method, path, body in (
            ("PUT", "/links/self/seen", {"message_id": 1}),
            ("POST", "/links/self/fix-answer", {"answer": "broken"}),
        ):
            if token != linked.open_token:
                await _refused(linked, method, path, 404, json=body, headers={LINK: token})
    assert failures == []
    # Two headers, one of them right: ambiguous, so it opens nothing either.
    two = httpx.Headers([("X-Role", "user"), (LINK, linked.closed_token), (LINK, "B" * 32)])
    await _refused(linked, "GET", f"/tickets/{closed}", 404, headers=two)


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/links/self/fix-answer", {"answer": "yes"}, 422),
        ("/links/self/fix-answer", {"answer": None}, 422),
        ("/links/self/fix-answer", {"answer": ["broken"]}, 422),
        ("/links/self/fix-answer", {"answer": "broken", "note": "x" * 5001}, 422),
        ("/links/self/fix-answer", {"answer": "broken", "note": "nul \x00 byte"}, (400, 422)),
        ("/links/self/fix-answer", {"answer": "broken", "note": 42}, 422),
        ("/links/self/fix-answer", {"answer": "broken", "follows_up": 1}, 422),
        ("/links/self/fix-answer", ["broken"], 422),
        ("/links/self/seen", {"message_id": -1}, 422),
        ("/links/self/seen", {"message_id": 2**63}, 422),
        ("/links/self/seen", {"message_id": "twelve"}, 422),
        ("/links/self/seen", {"message_id": 1.5}, 422),
        ("/links/self/seen", {}, 422),
        ("/links/lookup", {"tokens": "A" * 32}, 422),
        ("/links/lookup", {"tokens": [1, 2]}, 422),
        ("/links/lookup", {"tokens": ["A" * 32] * 101}, 422),
        ("/links/lookup", {"tokens": ["' OR 1=1 --"]}, 422),
        ("/links/lookup", {"tokens": [], "all": True}, 422),
        ("/links/lookup", None, 422),
    ],
)
async def test_bad_bodies_are_422(linked: Links, path: str, body: Any, status: int | tuple[int, ...]) -> None:
    method = "PUT" if path.endswith("/seen") else "POST"
    await _refused(linked, method, path, status, json=body, headers={LINK: linked.closed_token})


@pytest.mark.parametrize("path", ["/links/self/fix-answer", "/links/self/seen", "/links/lookup"])
async def test_huge_and_broken_bodies_are_refused(linked: Links, path: str) -> None:
    method = "PUT" if path.endswith("/seen") else "POST"
    headers = {LINK: linked.closed_token, "Content-Type": "application/json"}
    await _refused(linked, method, path, 413, content=b'{"tokens": ["' + b"A" * 10_000_000 + b'"]}', headers=headers)
    await _refused(linked, method, path, 422, content=b'{"answer": ', headers=headers)
    await _refused(linked, method, path, (400, 422), content=b'{"answer": "caf\xe9 \xff"}', headers=headers)


async def test_following_refuses_odd_tickets_roles_and_closed_tickets(linked: Links) -> None:
    for ticket_id, status in (("0", 422), ("-1", 422), (str(2**63), 422), ("abc", 422), (str(2**63 - 1), 404)):
        await _refused(linked, "POST", f"/tickets/{ticket_id}/followers", status, headers=USER)
    url = f"/tickets/{linked.open_id}/followers"
    await _refused(linked, "POST", url, 400, headers={})
    await _refused(linked, "POST", url, 400, headers={"X-Role": "admin"})
    await _refused(linked, "POST", url, 403, headers=HELPDESK)
    await _refused(linked, "POST", url, 422, headers={**USER, "Idempotency-Key": "k" * 201})
    await _refused(linked, "POST", f"/tickets/{linked.closed_id}/followers", 404, headers=USER)


async def test_hostile_list_sorting_is_422(linked: Links) -> None:
    for params in (
        {"sort": "affected; DROP TABLE tickets"},
        {"min_affected": "-5"},
        {"min_affected": str(2**31)},
        {"min_affected": "1e3"},
        {"sort": "affected", "cursor": "W1siMjAyNiJdXQ"},
        {"sort": "affected", "cursor": "WyIyMDI2LTAxLTAxVDAwOjAwOjAwKzAwOjAwIiwxXQ"},  # an activity cursor
    ):
        await _refused(linked, "GET", "/tickets", 422, params=params, headers=HELPDESK)
