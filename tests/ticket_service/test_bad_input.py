"""Bad and hostile input: a clear 4xx problem every time, and nothing stored changes."""

from __future__ import annotations

import json
from typing import Any

from tests.ticket_service.conftest import HELPDESK, USER, Api, assert_problem

BAD_TEXTS: list[Any] = [
    "",
    "   \n\t  ",
    "x" * 5001,
    "nul \x00 byte",
    "bell \x07",
    "escape \x1b[31m",
    123,
    1.5,
    True,
    None,
    [],
    {},
    ["a list"],
]


async def _snapshot(api: Api) -> list[list[tuple[Any, ...]]]:
    return [
        await api.rows(f"SELECT * FROM {table} ORDER BY 1")
        for table in ("tickets", "messages", "ticket_events", "idempotency_keys", "category_corrections")
    ]


async def test_bad_ticket_bodies_are_422_and_change_nothing(api: Api) -> None:
    ticket = await api.create()
    before = await _snapshot(api)
    for text in BAD_TEXTS:
        for method, url, field in (
            ("POST", "/tickets", "description"),
            ("PATCH", f"/tickets/{ticket['id']}", "description"),
            ("POST", f"/tickets/{ticket['id']}/messages", "body"),
        ):
            response = await api.client.request(method, url, json={field: text}, headers=USER)
            assert_problem(response, 422, detail_contains=field)
    raw_bodies = [
        b'{"description": "unterminated',
        b"not json at all",
        b'{"description": "a",}',
        b"[]",
        b'"just a string"',
        b"null",
        b'{"description": "\\ud800 lone surrogate"}',
        b'{"description": "caf\xe9 in latin-1"}',
        b"\xff\xfe\x00\x00",
    ]
    for raw in raw_bodies:
        for url in ("/tickets", f"/tickets/{ticket['id']}/messages"):
            response = await api.client.post(url, content=raw, headers={**USER, "Content-Type": "application/json"})
            assert_problem(response, 422)
    odd_shapes = [
        ("POST", "/tickets", {"description": "ok", "status": "closed"}),
        ("POST", "/tickets", {"description": "ok", "category": "technical_it"}),
        ("POST", "/tickets", {}),
        ("POST", "/tickets", {"text": "ok"}),
        ("PATCH", f"/tickets/{ticket['id']}", {}),
        ("PATCH", f"/tickets/{ticket['id']}", {"version": 5}),
        ("PATCH", f"/tickets/{ticket['id']}", {"status": "reopened"}),
        ("PATCH", f"/tickets/{ticket['id']}", {"status": "ACTIVE"}),
        ("PATCH", f"/tickets/{ticket['id']}", {"status": None}),
        ("PATCH", f"/tickets/{ticket['id']}", {"category": "plumbing"}),
        ("PATCH", f"/tickets/{ticket['id']}", {"category": 1}),
        ("POST", f"/tickets/{ticket['id']}/messages", {"body": "ok", "author_role": "helpdesk"}),
    ]
    for method, url, body in odd_shapes:
        assert_problem(await api.client.request(method, url, json=body, headers=HELPDESK), 422)
    assert await _snapshot(api) == before


async def test_oversized_bodies_are_413(api: Api) -> None:
    ticket = await api.create()
    before = await _snapshot(api)
    for size in (64 * 1024 + 1, 10 * 1024 * 1024):
        payload = json.dumps({"description": "x" * size}).encode()
        for method, url in (
            ("POST", "/tickets"),
            ("PATCH", f"/tickets/{ticket['id']}"),
            ("POST", f"/tickets/{ticket['id']}/messages"),
        ):
            response = await api.client.request(
                method, url, content=payload, headers={**USER, "Content-Type": "application/json"}
            )
            assert_problem(response, 413, detail_contains="64 KiB")
    assert await _snapshot(api) == before


async def test_hostile_text_is_stored_and_returned_verbatim(api: Api) -> None:
    texts = [
        "Robert'); DROP TABLE tickets;--",
        "<script>alert('x')</script><img src=x onerror=alert(1)>",
        "مرحبا، المصعد لا يعمل 🛗🔥 — שלום",
        "tabs\tand\nnew lines\r\nkept",
        "x" * 5000,
        "%_\\ and ' \" quotes",
    ]
    for text in texts:
        ticket = await api.create(f"  {text}  ")
        assert ticket["description"] == text
        stored = (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json()
        assert stored["description"] == text
        message = await api.client.post(f"/tickets/{ticket['id']}/messages", json={"body": text}, headers=USER)
        assert message.status_code == 201 and message.json()["body"] == text
    assert await api.count("tickets") == len(texts)


async def test_bad_ids_and_query_parameters_are_422(api: Api) -> None:
    ticket = await api.create()
    for bad_id in ("abc", "0", "-1", "1.5", str(2**63), "99999999999999999999999"):
        for url in (f"/tickets/{bad_id}", f"/tickets/{bad_id}/history", f"/tickets/{bad_id}/messages"):
            assert_problem(await api.client.get(url, headers=HELPDESK), 422)
        assert_problem(await api.patch(bad_id, {"status": "active"}), 422)  # type: ignore[arg-type]
    assert_problem(await api.client.get(f"/tickets/{2**63 - 1}", headers=HELPDESK), 404)
    bad_params: list[dict[str, Any]] = [
        {"limit": 0},
        {"limit": 201},
        {"limit": "ten"},
        {"status": "reopened"},
        {"category": "plumbing"},
        {"cursor": "not-a-cursor"},
        {"cursor": "eyJ1IjogMX0"},
        {"q": ""},
        {"q": "x" * 201},
        {"q": "nul\x00"},
    ]
    for params in bad_params:
        assert_problem(await api.client.get("/tickets", params=params, headers=HELPDESK), 422)
    url = f"/tickets/{ticket['id']}/messages"
    for params in ({"after": -1}, {"after": "x"}, {"limit": 0}, {"limit": 1001}, {"after": 2**63}):
        assert_problem(await api.client.get(url, params=params, headers=HELPDESK), 422)
    long_key = {"Idempotency-Key": "k" * 201}
    assert_problem(await api.client.post("/tickets", json={"description": "ok"}, headers={**USER, **long_key}), 422)
    assert await api.count("tickets") == 1


async def test_unknown_paths_and_methods_are_problems(api: Api) -> None:
    ticket = await api.create()
    assert_problem(await api.client.delete(f"/tickets/{ticket['id']}", headers=HELPDESK), 405)
    assert_problem(await api.client.put(f"/tickets/{ticket['id']}", json={}, headers=HELPDESK), 405)
    assert_problem(await api.client.get("/tickets/1/../../etc/passwd", headers=HELPDESK), 404)
