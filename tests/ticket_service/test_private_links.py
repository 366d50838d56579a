"""Private links through the HTTP API, on PostgreSQL and on SQLite (issue 14, the ticket service's side)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, text

from campusdesk_common.contracts.links import TOKEN_PATTERN
from tests.ticket_service.conftest import HELPDESK, USER, Api, assert_problem
from ticket_service import tokens
from ticket_service.link_actions import follow_up_description

LINK = "X-Private-Link"


def link(token: str) -> dict[str, str]:
    return {**USER, LINK: token}


async def report(api: Api, description: str = "The lift in building B is stuck", **body: Any) -> dict[str, Any]:
    """A ticket reported by a `user`, with its private link (`private_link`)."""
    response = await api.client.post("/tickets", json={"description": description, **body}, headers=USER)
    assert response.status_code == 201, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def close(api: Api, ticket_id: int) -> dict[str, Any]:
    for status in ("active", "closed"):
        response = await api.patch(ticket_id, {"status": status})
        assert response.status_code == 200, response.text
    closed: dict[str, Any] = response.json()
    return closed


async def test_a_user_gets_a_private_link_stored_only_as_a_hash(api: Api) -> None:
    ticket = await report(api)
    private = ticket["private_link"]
    assert private["ticket_id"] == ticket["id"] and private["kind"] == "reporter"
    token = private["token"]
    assert re.fullmatch(TOKEN_PATTERN, token)
    stored = await api.rows("SELECT token_hash FROM private_links")
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(),)]
    assert token == tokens.derive(tokens.app_secret(api.app.state), "link", 1)
    staff = await api.client.post("/tickets", json={"description": "Printer jam"}, headers=HELPDESK)
    assert staff.status_code == 201 and staff.json()["private_link"] is None
    assert await api.count("private_links") == 1


async def test_a_retried_report_gets_the_same_link_and_no_table_holds_the_token(api: Api) -> None:
    key = {**USER, "Idempotency-Key": "report-1"}
    first = await api.client.post("/tickets", json={"description": "Heating off"}, headers=key)
    again = await api.client.post("/tickets", json={"description": "Heating off"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    token = first.json()["private_link"]["token"]
    assert await api.count("tickets") == 1 and await api.count("private_links") == 1
    for table in ("idempotency_keys", "private_links"):
        rows = await api.rows(f"SELECT * FROM {table}")
        assert rows and not any(token in str(value) for row in rows for value in row), table


async def test_the_link_opens_its_closed_ticket_and_nothing_else(api: Api) -> None:
    photo = await api.client.post("/photos", content=_jpeg(), headers={**USER, "Content-Type": "image/jpeg"})
    ticket = await report(api, photo_ids=[photo.json()["id"]])
    other = await report(api, "The canteen is closed early")
    token, tid = ticket["private_link"]["token"], ticket["id"]
    await api.client.post(f"/tickets/{tid}/messages", json={"body": "We replaced the cable."}, headers=HELPDESK)
    closed = await close(api, tid)
    photo_url = f"/photos/{photo.json()['id']}"
    for url in (f"/tickets/{tid}", f"/tickets/{tid}/messages", f"/tickets/{tid}/history", photo_url):
        assert_problem(await api.client.get(url, headers=USER), 404)
        assert (await api.client.get(url, headers=link(token))).status_code == 200, url
    assert (await api.client.get(f"/tickets/{tid}", headers=link(token))).json() == closed
    thread = (await api.client.get(f"/tickets/{tid}/messages", headers=link(token))).json()["items"]
    assert [m["body"] for m in thread] == ["We replaced the cable."]

    # Exactly what a user without the link gets, and what a ticket that never existed gets (but its number).
    hidden = assert_problem(await api.client.get(f"/tickets/{tid}", headers=USER), 404)
    missing = assert_problem(await api.client.get("/tickets/999", headers=USER), 404)
    assert hidden["detail"].replace(str(tid), "999") == missing["detail"]
    for wrong in [other["private_link"]["token"], "A" * 32, "short", token + "x", ""]:
        assert assert_problem(await api.client.get(f"/tickets/{tid}", headers=link(wrong)), 404) == hidden
        assert_problem(await api.client.get(photo_url, headers=link(wrong)), 404)
    # The other ticket's link opens the other ticket only; a revoked link opens nothing.
    assert (await api.client.get(f"/tickets/{other['id']}", headers=link(other["private_link"]["token"]))).is_success
    await _execute(api, "UPDATE private_links SET revoked_at = CURRENT_TIMESTAMP WHERE ticket_id = :t", t=tid)
    assert_problem(await api.client.get(f"/tickets/{tid}", headers=link(token)), 404)
    assert_problem(await api.client.get("/links/self", headers={LINK: token}), 404)


async def test_this_affects_me_too_counts_once_per_click_and_never_on_a_closed_ticket(api: Api) -> None:
    ticket = await report(api)
    url = f"/tickets/{ticket['id']}/followers"
    key = {**USER, "Idempotency-Key": "follow-1"}
    first, again = await api.client.post(url, headers=key), await api.client.post(url, headers=key)
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert first.json()["kind"] == "follower" and first.json()["token"] != ticket["private_link"]["token"]
    second = await api.client.post(url, headers=USER)
    assert second.status_code == 201
    assert (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json()["affected_count"] == 3
    state = (await api.client.get("/links/self", headers={LINK: first.json()["token"]})).json()
    assert state["kind"] == "follower" and state["ticket_id"] == ticket["id"]
    assert_problem(await api.client.post(url, headers=HELPDESK), 403)
    assert_problem(await api.client.post("/tickets/999/followers", headers=USER), 404)
    await close(api, ticket["id"])
    # To a simple user a closed ticket does not exist: following it says nothing more than a missing one.
    assert_problem(await api.client.post(url, headers=USER), 404)
    assert await api.count("private_links") == 3


async def test_staff_sort_and_filter_by_people_affected_across_pages(api: Api) -> None:
    made = [await report(api, f"Problem number {n}") for n in range(5)]
    for ticket, followers in zip(made, (2, 0, 3, 2, 0), strict=True):
        for _ in range(followers):
            assert (await api.client.post(f"/tickets/{ticket['id']}/followers", headers=USER)).status_code == 201
    # Most affected first, then newest activity: 3, then the two with 2 (newest first), then 1s newest first.
    expected = [made[2]["id"], made[3]["id"], made[0]["id"], made[4]["id"], made[1]["id"]]
    seen, cursor = [], None
    while True:
        params: dict[str, Any] = {"sort": "affected", "limit": 2, "status": ["open", "active"]}
        if cursor:
            params["cursor"] = cursor
        page = (await api.client.get("/tickets", params=params, headers=HELPDESK)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    filtered = (await api.client.get("/tickets", params={"min_affected": 3}, headers=HELPDESK)).json()
    newest_first = [(made[3]["id"], 3), (made[2]["id"], 4), (made[0]["id"], 3)]
    assert [(t["id"], t["affected_count"]) for t in filtered["items"]] == newest_first
    activity = (await api.client.get("/tickets", params={"limit": 1}, headers=HELPDESK)).json()["next_cursor"]
    bad = {"sort": "affected", "cursor": activity}
    assert_problem(await api.client.get("/tickets", params=bad, headers=HELPDESK), 422)
    assert_problem(await api.client.get("/tickets", params={"sort": "votes"}, headers=HELPDESK), 422)
    assert_problem(await api.client.get("/tickets", params={"min_affected": 0}, headers=HELPDESK), 422)


async def test_link_state_unread_answers_and_seen_only_moving_forward(api: Api) -> None:
    ticket = await report(api)
    token, tid = ticket["private_link"]["token"], ticket["id"]
    posted = []
    for role, body in (("helpdesk", "Which floor?"), ("user", "Third."), ("helpdesk", "On our way.")):
        answer = await api.client.post(f"/tickets/{tid}/messages", json={"body": body}, headers={"X-Role": role})
        posted.append(answer.json()["id"])
    state = (await api.client.get("/links/self", headers={LINK: token})).json()
    assert state["unread_answers"] == 2 and state["seen_message_id"] == 0
    assert state["can_answer_fix"] is False and state["follow_up_until"] is None
    assert state["email_updates"] is False and state["email_available"] is False
    seen = await api.client.put("/links/self/seen", json={"message_id": posted[0]}, headers={LINK: token})
    assert seen.json()["unread_answers"] == 1 and seen.json()["seen_message_id"] == posted[0]
    back = await api.client.put("/links/self/seen", json={"message_id": 0}, headers={LINK: token})
    assert back.json()["seen_message_id"] == posted[0]
    beyond = await api.client.put("/links/self/seen", json={"message_id": 2**62}, headers={LINK: token})
    assert beyond.json()["seen_message_id"] == posted[2] and beyond.json()["unread_answers"] == 0
    later = await api.client.post(f"/tickets/{tid}/messages", json={"body": "Fixed?"}, headers=HELPDESK)
    assert later.status_code == 201
    assert (await api.client.get("/links/self", headers={LINK: token})).json()["unread_answers"] == 1
    for headers in ({}, {LINK: "B" * 32}, {LINK: "not a token"}):
        assert_problem(await api.client.get("/links/self", headers=headers), 404)
        assert_problem(await api.client.put("/links/self/seen", json={"message_id": 1}, headers=headers), 404)


async def test_my_tickets_lists_the_known_tokens_newest_activity_first(api: Api) -> None:
    older, newer = await report(api, "Old problem"), await report(api, "New problem")
    await close(api, older["id"])  # closing is activity: the closed one is now the newest
    await api.client.post(f"/tickets/{newer['id']}/messages", json={"body": "Seen it"}, headers=HELPDESK)
    asked = ["C" * 32, newer["private_link"]["token"], older["private_link"]["token"], newer["private_link"]["token"]]
    answer = await api.client.post("/links/lookup", json={"tokens": asked})
    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [(i["position"], i["ticket"]["id"], i["unread_answers"]) for i in items] == [
        (1, newer["id"], 1),
        (2, older["id"], 0),
    ]
    assert items[1]["ticket"]["status"] == "closed" and items[0]["kind"] == "reporter"
    assert (await api.client.post("/links/lookup", json={"tokens": []})).json() == {"items": []}
    assert_problem(await api.client.post("/links/lookup", json={"tokens": ["x" * 32] * 101}), 422)
    assert_problem(await api.client.post("/links/lookup", json={"tokens": ["bad"]}), 422)


async def test_still_broken_files_one_follow_up_and_the_closed_ticket_never_changes(api: Api) -> None:
    ticket = await report(api, "The WiFi in the library drops", room_code=None)
    token, tid = ticket["private_link"]["token"], ticket["id"]
    fix = "/links/self/fix-answer"
    assert_problem(await api.client.post(fix, json={"answer": "broken"}, headers={LINK: token}), 409)
    closed = await close(api, tid)
    state = (await api.client.get("/links/self", headers={LINK: token})).json()
    assert state["can_answer_fix"] is True
    assert datetime.fromisoformat(state["follow_up_until"]) == datetime.fromisoformat(closed["closed_at"]) + timedelta(
        days=14
    )
    body = {"answer": "broken", "note": "It drops again every hour."}
    answers = await asyncio.gather(*(api.client.post(fix, json=body, headers={LINK: token}) for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [200, 201]
    first = next(a.json() for a in answers if a.status_code == 201)
    follow_up_id = first["follow_up_ticket_id"]
    assert first["answer"] == "broken" and first["follow_up"]["ticket_id"] == follow_up_id
    assert all(a.json()["follow_up_ticket_id"] == follow_up_id for a in answers)
    assert await api.count("tickets") == 2
    follow_up = (await api.client.get(f"/tickets/{follow_up_id}", headers=USER)).json()
    assert follow_up["description"] == "It drops again every hour."
    assert follow_up["follows_up"] == tid and follow_up["status"] == "open"
    assert (follow_up["category"], follow_up["category_confidence"], follow_up["category_source"]) == (
        closed["category"],
        closed["category_confidence"],
        "auto",
    )
    assert (await api.client.get(f"/tickets/{follow_up_id}", headers=link(first["follow_up"]["token"]))).is_success
    after = (await api.client.get(f"/tickets/{tid}", headers=HELPDESK)).json()
    assert after == {**closed, "followed_up_by": [follow_up_id]}
    state = (await api.client.get("/links/self", headers={LINK: token})).json()
    assert (state["fix_answer"], state["can_answer_fix"], state["follow_up_ticket_id"]) == (
        "broken",
        False,
        follow_up_id,
    )
    repeat = await api.client.post(fix, json={"answer": "fixed"}, headers={LINK: token})
    assert repeat.status_code == 200 and repeat.json()["answer"] == "broken"
    # The backlog counts the follow-up like any report: one open ticket.
    assert await api.rows("SELECT sum(count) FROM open_backlog_hourly") == [(1,)]


async def test_fixed_or_late_answers_file_nothing(api: Api) -> None:
    fixed, late = await report(api, "Door squeaks"), await report(api, "Lamp flickers")
    await close(api, fixed["id"])
    await close(api, late["id"])
    yes = await api.client.post(
        "/links/self/fix-answer", json={"answer": "fixed"}, headers={LINK: fixed["private_link"]["token"]}
    )
    assert yes.status_code == 201 and yes.json()["follow_up"] is None and yes.json()["follow_up_ticket_id"] is None
    long_ago = datetime.now(UTC) - timedelta(days=15)
    await _move_closure(api, late["id"], long_ago)
    no = await api.client.post(
        "/links/self/fix-answer", json={"answer": "broken"}, headers={LINK: late["private_link"]["token"]}
    )
    assert no.status_code == 201 and no.json()["answer"] == "broken" and no.json()["follow_up"] is None
    assert await api.count("tickets") == 2


async def test_without_a_note_the_follow_up_names_the_closed_ticket(api: Api) -> None:
    ticket = await report(api, "x" * 5000)
    await close(api, ticket["id"])
    answer = await api.client.post(
        "/links/self/fix-answer", json={"answer": "broken"}, headers={LINK: ticket["private_link"]["token"]}
    )
    follow_up = (await api.client.get(f"/tickets/{answer.json()['follow_up_ticket_id']}", headers=HELPDESK)).json()
    assert follow_up["description"] == follow_up_description(ticket["id"], "x" * 5000)
    assert follow_up["description"].startswith(f"Still broken after ticket #{ticket['id']} was closed.")
    assert len(follow_up["description"]) == 5000


async def test_email_updates_show_only_as_a_flag_and_lists_stay_one_query(api: Api) -> None:
    tickets = [await report(api, f"Problem {n}") for n in range(4)]
    email = "UPDATE private_links SET email = 'someone@example.edu' WHERE ticket_id = :t"
    await _execute(api, email, t=tickets[1]["id"])
    one = (await api.client.get(f"/tickets/{tickets[1]['id']}", headers=USER)).json()
    assert one["email_updates"] is True and "example.edu" not in str(one)
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = api.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        page = (await api.client.get("/tickets", headers=HELPDESK)).json()
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert {t["id"]: t["email_updates"] for t in page["items"]} == {t["id"]: t is tickets[1] for t in tickets}
    assert sum("private_links" in s for s in statements) == 1


@pytest.mark.parametrize("body", [{"answer": "maybe"}, {"answer": "broken", "note": "  "}, {"answer": "fixed", "x": 1}])
async def test_bad_fix_answers_are_422(api: Api, body: dict[str, Any]) -> None:
    ticket = await report(api)
    await close(api, ticket["id"])
    headers = {LINK: ticket["private_link"]["token"]}
    assert_problem(await api.client.post("/links/self/fix-answer", json=body, headers=headers), 422)
    assert (await api.client.get("/links/self", headers=headers)).json()["fix_answer"] is None


async def test_openapi_documents_the_link_routes(api: Api) -> None:
    schema = (await api.client.get("/openapi.json")).json()
    expected = {
        ("/tickets/{ticket_id}/followers", "post"): {"400", "403", "404", "422", "503"},
        ("/links/self", "get"): {"404", "503"},
        ("/links/self/seen", "put"): {"404", "422", "503"},
        ("/links/lookup", "post"): {"422", "503"},
        ("/links/self/fix-answer", "post"): {"404", "409", "422", "503"},
    }
    for (path, method), errors in expected.items():
        operation = schema["paths"][path][method]
        assert operation["summary"] and operation["description"], (path, method)
        assert errors <= set(operation["responses"]), (path, method)
        for status in errors:
            assert "application/problem+json" in operation["responses"][status]["content"]
    for path in ("/tickets/{ticket_id}", "/tickets/{ticket_id}/messages", "/links/self", "/photos/{photo_id}"):
        headers = {p["name"] for p in schema["paths"][path]["get"]["parameters"] if p["in"] == "header"}
        assert LINK in headers, path
    assert "private_link" in schema["components"]["schemas"]["TicketCreated"]["properties"]


async def _move_closure(api: Api, ticket_id: int, closed_at: datetime) -> None:
    """Pretend the ticket closed at `closed_at` (both databases store UTC)."""
    value: Any = closed_at if api.app.state.engine.dialect.name == "postgresql" else closed_at.replace(tzinfo=None)
    await _execute(api, "UPDATE tickets SET closed_at = :c WHERE id = :t", c=value, t=ticket_id)


async def _execute(api: Api, sql: str, **params: Any) -> None:
    async with api.app.state.engine.begin() as connection:
        await connection.execute(text(sql), params)


def _jpeg() -> bytes:
    from tests.contracts.live import jpeg_bytes

    return jpeg_bytes()
