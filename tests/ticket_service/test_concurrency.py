"""Racing requests on PostgreSQL and on SQLite: no lost update, no double success, no duplicate."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

from tests.ticket_service.conftest import USER, Api

CLIENTS = 50


async def test_fifty_clients_moving_open_to_active_give_one_success(api: Api) -> None:
    ticket = await api.create()
    responses = await asyncio.gather(*(api.patch(ticket["id"], {"status": "active"}) for _ in range(CLIENTS)))
    assert Counter(r.status_code for r in responses) == {200: 1, 409: CLIENTS - 1}
    stored = (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json()
    assert (stored["status"], stored["version"]) == ("active", 2)
    assert await api.rows("SELECT kind FROM ticket_events ORDER BY id") == [("created",), ("status_changed",)]


async def test_fifty_clients_closing_close_once_and_count_once(api: Api) -> None:
    ticket = await api.ticket_in("active")
    responses = await asyncio.gather(*(api.patch(ticket["id"], {"status": "closed"}) for _ in range(CLIENTS)))
    assert Counter(r.status_code for r in responses) == {200: 1, 409: CLIENTS - 1}
    assert await api.rows("SELECT closed_count FROM resolution_monthly") == [(1,)]


async def test_fifty_edits_with_the_same_if_match_give_one_success_and_412s(api: Api) -> None:
    ticket = await api.create()
    responses = await asyncio.gather(
        *(
            api.patch(ticket["id"], {"description": f"Elevator stuck, edit {i}"}, role="user", **{"If-Match": '"1"'})
            for i in range(CLIENTS)
        )
    )
    assert Counter(r.status_code for r in responses) == {200: 1, 412: CLIENTS - 1}
    winner = next(r.json() for r in responses if r.status_code == 200)
    stored = (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json()
    assert stored == winner and stored["version"] == 2
    assert await api.count("ticket_events") == 2


async def test_edits_without_if_match_all_apply_in_sequence(api: Api) -> None:
    ticket = await api.create()
    responses = await asyncio.gather(
        *(api.patch(ticket["id"], {"description": f"Elevator stuck, edit {i}"}, role="user") for i in range(20))
    )
    assert Counter(r.status_code for r in responses) == {200: 20}
    assert sorted(r.json()["version"] for r in responses) == list(range(2, 22))
    history = await api.rows(
        "SELECT old_value, new_value FROM ticket_events WHERE kind = 'description_changed' ORDER BY id"
    )
    # Each edit saw the previous one: the chain of old values is unbroken.
    assert [old for old, _ in history[1:]] == [new for _, new in history[:-1]]


async def test_concurrent_messages_are_all_stored_once_in_order(api: Api) -> None:
    ticket = await api.create()
    count = 300
    responses = await asyncio.gather(
        *(
            api.client.post(f"/tickets/{ticket['id']}/messages", json={"body": f"message {i}"}, headers=USER)
            for i in range(count)
        )
    )
    assert Counter(r.status_code for r in responses) == {201: count}
    thread = (await api.client.get(f"/tickets/{ticket['id']}/messages", headers=USER)).json()["items"]
    assert sorted(m["body"] for m in thread) == sorted(f"message {i}" for i in range(count))
    assert [m["id"] for m in thread] == sorted(r.json()["id"] for r in responses)
    times = [datetime.fromisoformat(m["created_at"]) for m in thread]
    assert times == sorted(times)
    stored = (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json()
    assert (stored["message_count"], stored["version"]) == (count, 1)
    assert datetime.fromisoformat(stored["updated_at"]) >= times[-1]


async def test_racing_retries_with_one_idempotency_key_create_one_ticket(api: Api) -> None:
    headers = {**USER, "Idempotency-Key": "retry-storm"}
    responses = await asyncio.gather(
        *(api.client.post("/tickets", json={"description": "Broken window"}, headers=headers) for _ in range(20))
    )
    assert Counter(r.status_code for r in responses) == {201: 20}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await api.count("tickets") == 1
    ticket_id = responses[0].json()["id"]
    messages = await asyncio.gather(
        *(api.client.post(f"/tickets/{ticket_id}/messages", json={"body": "hello"}, headers=headers) for _ in range(20))
    )
    assert Counter(r.status_code for r in messages) == {201: 20}
    assert len({r.json()["id"] for r in messages}) == 1
    assert await api.count("messages") == 1
