"""Message threads, history and Idempotency-Key, on PostgreSQL and on SQLite."""

from __future__ import annotations

from datetime import datetime

from tests.ticket_service.conftest import HELPDESK, USER, Api, assert_problem


async def test_both_roles_post_and_a_message_is_activity_not_a_version(api: Api) -> None:
    ticket = await api.ticket_in("active")
    posted = []
    for role, text in (("user", " Still stuck \n"), ("helpdesk", "A technician is on the way")):
        response = await api.client.post(
            f"/tickets/{ticket['id']}/messages", json={"body": text}, headers={"X-Role": role}
        )
        assert response.status_code == 201
        body = response.json()
        assert body == {
            "id": body["id"],
            "ticket_id": ticket["id"],
            "author_role": role,
            "body": text.strip(),
            "created_at": body["created_at"],
            "photos": [],
        }
        assert body["created_at"].endswith("+00:00")
        posted.append(body)
    after = (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json()
    assert after == {**ticket, "message_count": 2, "updated_at": after["updated_at"]}
    assert datetime.fromisoformat(after["updated_at"]) >= datetime.fromisoformat(posted[0]["created_at"])
    thread = await api.client.get(f"/tickets/{ticket['id']}/messages", headers=USER)
    assert thread.json() == {"items": posted, "next_after": None}
    assert (await api.client.get(f"/tickets/{ticket['id']}/history", headers=USER)).json()["items"][-1]["kind"] == (
        "status_changed"
    )


async def test_thread_order_after_and_limit(api: Api) -> None:
    ticket = await api.create()
    other = await api.create("Another one")
    ids = []
    for i in range(5):
        response = await api.client.post(f"/tickets/{ticket['id']}/messages", json={"body": f"m{i}"}, headers=USER)
        ids.append(response.json()["id"])
        await api.client.post(f"/tickets/{other['id']}/messages", json={"body": f"other {i}"}, headers=USER)
    url = f"/tickets/{ticket['id']}/messages"
    assert [m["id"] for m in (await api.client.get(url, headers=USER)).json()["items"]] == ids
    newer = (await api.client.get(url, params={"after": ids[2]}, headers=USER)).json()
    assert [m["body"] for m in newer["items"]] == ["m3", "m4"]
    first = (await api.client.get(url, params={"limit": 2}, headers=USER)).json()
    assert [m["id"] for m in first["items"]] == ids[:2] and first["next_after"] == ids[1]
    rest = (await api.client.get(url, params={"limit": 3, "after": first["next_after"]}, headers=USER)).json()
    assert [m["id"] for m in rest["items"]] == ids[2:] and rest["next_after"] is None
    assert (await api.client.get(url, params={"after": ids[-1]}, headers=USER)).json() == {
        "items": [],
        "next_after": None,
    }


async def test_no_messages_on_closed_or_unknown_tickets(api: Api) -> None:
    closed = await api.ticket_in("closed")
    for headers in (USER, HELPDESK):
        response = await api.client.post(f"/tickets/{closed['id']}/messages", json={"body": "hello?"}, headers=headers)
        assert_problem(response, 409, detail_contains="closed")
        unknown = await api.client.post("/tickets/4242/messages", json={"body": "hello?"}, headers=headers)
        assert_problem(unknown, 404, detail_contains="ticket 4242")
    assert_problem(await api.client.get("/tickets/4242/messages", headers=HELPDESK), 404)
    assert (await api.client.get(f"/tickets/{closed['id']}/messages", headers=HELPDESK)).json()["items"] == []
    assert await api.count("messages") == 0
    assert (await api.client.get(f"/tickets/{closed['id']}", headers=HELPDESK)).json() == closed


async def test_history_keeps_everything_a_user_wrote(api: Api) -> None:
    ticket = await api.create("Lift stuck")
    await api.patch(ticket["id"], {"description": "Lift stuck on floor 3"}, role="user")
    await api.patch(ticket["id"], {"description": "The canteen lift is stuck on floor 3"}, role="user")
    await api.patch(ticket["id"], {"status": "active"})
    await api.patch(ticket["id"], {"category": "facility_management"})
    await api.patch(ticket["id"], {"status": "closed"})
    history = (await api.client.get(f"/tickets/{ticket['id']}/history", headers=HELPDESK)).json()["items"]
    assert [(e["kind"], e["role"], e["old_value"], e["new_value"]) for e in history] == [
        ("created", "user", None, "Lift stuck"),
        ("description_changed", "user", "Lift stuck", "Lift stuck on floor 3"),
        ("description_changed", "user", "Lift stuck on floor 3", "The canteen lift is stuck on floor 3"),
        ("category_changed", "user", "facility_management", "services_complaints"),
        ("status_changed", "helpdesk", "open", "active"),
        ("category_changed", "helpdesk", "services_complaints", "facility_management"),
        ("status_changed", "helpdesk", "active", "closed"),
    ]
    assert [e["id"] for e in history] == sorted(e["id"] for e in history)
    assert all(e["at"].endswith("+00:00") for e in history)
    times = [datetime.fromisoformat(e["at"]) for e in history]
    assert times == sorted(times)


async def test_idempotent_ticket_creation(api: Api) -> None:
    key = {"Idempotency-Key": "3f2b6a1e-create"}
    first = await api.client.post("/tickets", json={"description": "Broken window"}, headers={**USER, **key})
    retry = await api.client.post("/tickets", json={"description": " Broken window "}, headers={**USER, **key})
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry.headers["location"] == first.headers["location"]
    assert retry.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert await api.count("tickets") == 1 and await api.count("ticket_events") == 1
    other = await api.client.post("/tickets", json={"description": "Broken door"}, headers={**USER, **key})
    assert_problem(other, 422, detail_contains="already used for a different request")
    as_helpdesk = await api.client.post("/tickets", json={"description": "Broken window"}, headers={**HELPDESK, **key})
    assert_problem(as_helpdesk, 422)
    fresh = await api.client.post(
        "/tickets", json={"description": "Broken window"}, headers={**USER, "Idempotency-Key": "another"}
    )
    assert fresh.status_code == 201 and fresh.json()["id"] != first.json()["id"]
    assert await api.count("tickets") == 2


async def test_idempotent_messages(api: Api) -> None:
    ticket = await api.create()
    other = await api.create("Other")
    key = {"Idempotency-Key": "msg-1"}
    url = f"/tickets/{ticket['id']}/messages"
    first = await api.client.post(url, json={"body": "any news?"}, headers={**USER, **key})
    retry = await api.client.post(url, json={"body": "any news?"}, headers={**USER, **key})
    assert first.status_code == retry.status_code == 201 and retry.json() == first.json()
    assert_problem(await api.client.post(url, json={"body": "other text"}, headers={**USER, **key}), 422)
    # The same key on another ticket is another request scope.
    elsewhere = await api.client.post(
        f"/tickets/{other['id']}/messages", json={"body": "any news?"}, headers={**USER, **key}
    )
    assert elsewhere.status_code == 201 and elsewhere.json()["ticket_id"] == other["id"]
    assert await api.count("messages") == 2
    assert (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json()["message_count"] == 1
    # A request that failed stored no answer: the same key works once the problem is gone.
    closed = await api.ticket_in("closed")
    failed = await api.client.post(f"/tickets/{closed['id']}/messages", json={"body": "x"}, headers={**HELPDESK, **key})
    assert_problem(failed, 409)
    assert await api.count("idempotency_keys") == 2
