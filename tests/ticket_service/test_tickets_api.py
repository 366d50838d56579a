"""Tickets through the HTTP API, on PostgreSQL and on SQLite: every rule of the ticket issue."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import event

from tests.ticket_service.conftest import HELPDESK, USER, Api, assert_problem


def _moment(value: str) -> datetime:
    assert value.endswith("+00:00"), value
    return datetime.fromisoformat(value)


@pytest.mark.parametrize("role", ["user", "helpdesk"])
async def test_both_roles_create_a_ticket(api: Api, role: str) -> None:
    before = datetime.now(UTC)
    response = await api.client.post(
        "/tickets", json={"description": "  The WiFi in room 4 is down\n"}, headers={"X-Role": role}
    )
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"/tickets/{body['id']}"
    assert response.headers["etag"] == '"1"'
    link = body.pop("private_link")  # test_private_links.py checks the link itself
    assert (link is None) == (role == "helpdesk")
    assert body == {
        "id": body["id"],
        "description": "The WiFi in room 4 is down",
        "category": "technical_it",
        "category_confidence": 0.9,
        "category_source": "auto",
        "status": "open",
        "opened_at": body["opened_at"],
        "updated_at": body["opened_at"],
        "closed_at": None,
        "version": 1,
        "message_count": 0,
        "place": None,
        "photos": [],
        "affected_count": 1,
        "follows_up": None,
        "followed_up_by": [],
        "email_updates": False,
    }
    assert before <= _moment(body["opened_at"]) <= datetime.now(UTC)
    read = await api.client.get(response.headers["location"], headers={"X-Role": role})
    assert read.json() == body and read.headers["etag"] == '"1"'
    history = (await api.client.get(f"/tickets/{body['id']}/history", headers=USER)).json()["items"]
    assert [(e["kind"], e["role"], e["old_value"], e["new_value"]) for e in history] == [
        ("created", role, None, "The WiFi in room 4 is down")
    ]


async def test_unknown_ticket_is_404_and_a_user_never_gets_a_closed_one(api: Api) -> None:
    assert_problem(await api.client.get("/tickets/999", headers=USER), 404, detail_contains="ticket 999")
    closed = await api.ticket_in("closed")
    assert_problem(await api.client.get(f"/tickets/{closed['id']}", headers=USER), 404)
    assert_problem(await api.client.get(f"/tickets/{closed['id']}/history", headers=USER), 404)
    assert_problem(await api.client.get(f"/tickets/{closed['id']}/messages", headers=USER), 404)
    seen = await api.client.get(f"/tickets/{closed['id']}", headers=HELPDESK)
    assert seen.status_code == 200 and seen.json() == closed


@pytest.mark.parametrize("headers", [{}, {"X-Role": "admin"}, {"X-Role": ""}, {"X-Role": "USER"}])
async def test_missing_or_unknown_role_is_400_everywhere(api: Api, headers: dict[str, str]) -> None:
    ticket = await api.create()
    requests = [
        ("GET", "/tickets", None),
        ("POST", "/tickets", {"description": "lift"}),
        ("GET", f"/tickets/{ticket['id']}", None),
        ("PATCH", f"/tickets/{ticket['id']}", {"status": "active"}),
        ("GET", f"/tickets/{ticket['id']}/history", None),
        ("GET", f"/tickets/{ticket['id']}/messages", None),
        ("POST", f"/tickets/{ticket['id']}/messages", {"body": "hi"}),
    ]
    for method, url, body in requests:
        response = await api.client.request(method, url, json=body, headers=headers)
        assert_problem(response, 400, detail_contains="X-Role")
    assert await api.count("tickets") == 1 and await api.count("messages") == 0


@pytest.mark.parametrize("status", ["open", "active"])
async def test_user_edits_the_description_and_the_category_follows(api: Api, status: str) -> None:
    ticket = await api.ticket_in(status, "The door of room 12 does not lock")
    response = await api.patch(ticket["id"], {"description": " The printer in room 12 jams "}, role="user")
    assert response.status_code == 200
    body = response.json()
    assert response.headers["etag"] == f'"{ticket["version"] + 1}"'
    assert body == {
        **ticket,
        "description": "The printer in room 12 jams",
        "category": "technical_it",
        "category_confidence": 0.8,
        "version": ticket["version"] + 1,
        "updated_at": body["updated_at"],
    }
    assert _moment(body["updated_at"]) > _moment(ticket["updated_at"])
    history = (await api.client.get(f"/tickets/{ticket['id']}/history", headers=USER)).json()["items"]
    assert [(e["kind"], e["role"], e["old_value"], e["new_value"]) for e in history[-2:]] == [
        ("description_changed", "user", "The door of room 12 does not lock", "The printer in room 12 jams"),
        ("category_changed", "user", "facility_management", "technical_it"),
    ]


async def test_sending_the_same_description_changes_nothing(api: Api) -> None:
    ticket = await api.create("The elevator is stuck")
    response = await api.patch(ticket["id"], {"description": "The elevator is stuck  "}, role="user")
    assert response.status_code == 200 and response.json() == ticket
    assert await api.count("ticket_events") == 1


@pytest.mark.parametrize(
    "changes", [{"status": "active"}, {"status": "closed"}, {"status": "open"}, {"category": "technical_it"}]
)
async def test_a_user_may_not_change_status_or_category(api: Api, changes: dict[str, str]) -> None:
    ticket = await api.create()
    response = await api.patch(ticket["id"], changes, role="user")
    assert_problem(response, 403, detail_contains="Only the helpdesk")
    assert (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json() == ticket


async def test_helpdesk_does_not_rewrite_the_description(api: Api) -> None:
    ticket = await api.create()
    response = await api.patch(ticket["id"], {"description": "Something else"})
    assert_problem(response, 403, detail_contains="does not rewrite")
    assert (await api.client.get(f"/tickets/{ticket['id']}", headers=HELPDESK)).json() == ticket


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        ("open", "active", True),
        ("active", "closed", True),
        ("open", "open", False),
        ("open", "closed", False),
        ("active", "open", False),
        ("active", "active", False),
        ("closed", "open", False),
        ("closed", "active", False),
        ("closed", "closed", False),
    ],
)
async def test_helpdesk_status_transitions(api: Api, current: str, target: str, allowed: bool) -> None:
    ticket = await api.ticket_in(current)
    response = await api.patch(ticket["id"], {"status": target})
    if not allowed:
        detail = "is closed" if current == "closed" else "open → active and active → closed"
        assert_problem(response, 409, detail_contains=detail)
        assert (await api.client.get(f"/tickets/{ticket['id']}", headers=HELPDESK)).json() == ticket
        return
    body = response.json()
    assert response.status_code == 200
    assert body["status"] == target and body["version"] == ticket["version"] + 1
    assert _moment(body["updated_at"]) > _moment(ticket["updated_at"])
    assert body["closed_at"] == (body["updated_at"] if target == "closed" else None)


async def test_closing_updates_the_resolution_rollups(api: Api) -> None:
    ticket = await api.ticket_in("closed")
    opened, closed = _moment(ticket["opened_at"]), _moment(ticket["closed_at"])
    month = opened.strftime("%Y-%m")
    rows = await api.rows("SELECT month, category, closed_count, total_seconds FROM resolution_monthly")
    assert len(rows) == 1
    assert rows[0][:3] == (month, "facility_management", 1)
    assert rows[0][3] == pytest.approx((closed - opened).total_seconds(), abs=1e-5)
    assert await api.count("resolution_histogram") == 1


async def test_closed_ticket_cannot_be_modified(api: Api) -> None:
    ticket = await api.ticket_in("closed")
    assert_problem(await api.patch(ticket["id"], {"category": "technical_it"}), 409, detail_contains="is closed")
    assert_problem(await api.patch(ticket["id"], {"description": "new"}, role="user"), 409, detail_contains="is closed")
    assert (await api.client.get(f"/tickets/{ticket['id']}", headers=HELPDESK)).json() == ticket


async def test_if_match(api: Api) -> None:
    ticket = await api.create()
    stale = await api.patch(ticket["id"], {"status": "active"}, **{"If-Match": '"7"'})
    assert_problem(stale, 412, detail_contains="now at version 1")
    assert stale.headers["etag"] == '"1"'
    for garbage in ('"abc"', "", '"0"'):
        assert_problem(await api.patch(ticket["id"], {"status": "active"}, **{"If-Match": garbage}), 412)
    assert (await api.client.get(f"/tickets/{ticket['id']}", headers=USER)).json() == ticket
    assert await api.count("ticket_events") == 1
    fresh = await api.patch(ticket["id"], {"status": "active"}, **{"If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.headers["etag"] == '"2"'
    weak = await api.patch(ticket["id"], {"description": "lift stuck again"}, role="user", **{"If-Match": 'W/"2"'})
    assert_problem(weak, 412)  # RFC 9110: a weak tag never matches for a write
    strong = await api.patch(ticket["id"], {"description": "lift stuck again"}, role="user", **{"If-Match": '"2"'})
    assert strong.status_code == 200 and strong.json()["version"] == 3
    star = await api.patch(ticket["id"], {"status": "closed"}, **{"If-Match": "*"})
    assert star.status_code == 200 and star.json()["version"] == 4
    # A stale If-Match wins over a conflict: the client must re-read first.
    assert_problem(await api.patch(ticket["id"], {"status": "active"}, **{"If-Match": '"1"'}), 412)


async def test_helpdesk_corrects_the_category(api: Api) -> None:
    ticket = await api.create("The WiFi router fell off the wall and the socket sparks")
    assert ticket["category"] == "technical_it"
    response = await api.patch(ticket["id"], {"category": "facility_management"})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        **ticket,
        "category": "facility_management",
        "category_confidence": 1.0,
        "category_source": "helpdesk",
        "version": 2,
        "updated_at": body["updated_at"],
    }
    assert await api.rows(
        "SELECT ticket_id, description, predicted_category, corrected_category FROM category_corrections"
    ) == [(ticket["id"], ticket["description"], "technical_it", "facility_management")]
    assert api.retrainer.corrections == 1
    # The reporter edits the text: the corrected category stays.
    edited = await api.patch(ticket["id"], {"description": "WiFi router on the floor, socket sparks"}, role="user")
    assert edited.json()["category"] == "facility_management"
    assert edited.json()["category_source"] == "helpdesk" and edited.json()["category_confidence"] == 1.0
    history = (await api.client.get(f"/tickets/{ticket['id']}/history", headers=HELPDESK)).json()["items"]
    assert [(e["kind"], e["role"], e["old_value"], e["new_value"]) for e in history[1:]] == [
        ("category_changed", "helpdesk", "technical_it", "facility_management"),
        ("description_changed", "user", ticket["description"], "WiFi router on the floor, socket sparks"),
    ]
    # Setting the same corrected category again is not a new change.
    again = await api.patch(ticket["id"], {"category": "facility_management"})
    assert again.json()["version"] == 3 and api.retrainer.corrections == 1


async def test_status_and_category_in_one_request_make_one_version(api: Api) -> None:
    ticket = await api.ticket_in("active")
    response = await api.patch(ticket["id"], {"status": "closed", "category": "services_complaints"})
    body = response.json()
    assert (body["status"], body["category"], body["version"]) == ("closed", "services_complaints", 3)
    rows = await api.rows("SELECT category, closed_count FROM resolution_monthly")
    assert rows == [("services_complaints", 1)]


async def _list(api: Api, role: str = "helpdesk", **params: Any) -> dict[str, Any]:
    response = await api.client.get("/tickets", params=params, headers={"X-Role": role})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(page: dict[str, Any]) -> list[int]:
    return [t["id"] for t in page["items"]]


async def test_list_filters_and_roles(api: Api) -> None:
    open_ = await api.create("Broken chair")
    active = await api.ticket_in("active", "WiFi down in the canteen")
    closed = await api.ticket_in("closed", "The canteen food is cold")
    assert _ids(await _list(api)) == [closed["id"], active["id"], open_["id"]]
    assert _ids(await _list(api, "user")) == [active["id"], open_["id"]]
    assert _ids(await _list(api, "user", status="closed")) == []
    assert _ids(await _list(api, "user", status=["closed", "active"])) == [active["id"]]
    assert _ids(await _list(api, status="closed")) == [closed["id"]]
    assert _ids(await _list(api, status=["open", "closed"])) == [closed["id"], open_["id"]]
    assert _ids(await _list(api, category="technical_it")) == [active["id"]]
    assert _ids(await _list(api, category=["technical_it", "services_complaints"])) == [closed["id"], active["id"]]
    assert _ids(await _list(api, "user", category="services_complaints")) == []
    page = await _list(api, "user")
    assert page["next_cursor"] is None
    assert page["items"][0] == (await api.client.get(f"/tickets/{active['id']}", headers=USER)).json()


async def test_search_is_case_insensitive_and_literal(api: Api) -> None:
    wifi = await api.create("The WIFI in the Library is down")
    ecole = await api.create("ÉCOLE: la porte est cassée")
    percent = await api.create("Printer prints 100% black_pages")
    await api.create("Broken chair")
    assert _ids(await _list(api, q="wifi")) == [wifi["id"]]
    assert _ids(await _list(api, q="library IS")) == [wifi["id"]]
    assert _ids(await _list(api, q="école")) == [ecole["id"]]
    assert _ids(await _list(api, q="PORTE EST CASSÉE")) == [ecole["id"]]
    assert _ids(await _list(api, q="100%")) == [percent["id"]]
    assert _ids(await _list(api, q="k_p")) == [percent["id"]]
    assert _ids(await _list(api, q="%")) == [percent["id"]]
    assert _ids(await _list(api, q="_")) == [percent["id"]]
    assert _ids(await _list(api, q="'; DROP TABLE tickets; --")) == []
    assert await api.count("tickets") == 4


async def test_pagination_walks_every_ticket_once_in_order(api: Api) -> None:
    created = [await api.create(f"Broken chair number {i}") for i in range(23)]
    closed = await api.ticket_in("closed", "Closed one")
    # Activity moves a ticket to the front.
    await api.client.post(f"/tickets/{created[5]['id']}/messages", json={"body": "still broken"}, headers=USER)
    rest = [t["id"] for t in reversed(created) if t is not created[5]]
    for role, expected in (("user", [created[5]["id"], *rest]), ("helpdesk", [created[5]["id"], closed["id"], *rest])):
        seen: list[int] = []
        cursor = None
        pages = 0
        while True:
            params: dict[str, Any] = {"limit": 5} | ({"cursor": cursor} if cursor else {})
            page = await _list(api, role, **params)
            pages += 1
            seen += _ids(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == expected
        assert pages == -(-len(expected) // 5)
    # A page that ends exactly at the last ticket has no next cursor.
    exact = await _list(api, "user", limit=23)
    assert len(exact["items"]) == 23 and exact["next_cursor"] is None
    first = await _list(api, "user", limit=22)
    assert len(first["items"]) == 22 and first["next_cursor"] is not None
    last = await _list(api, "user", limit=22, cursor=first["next_cursor"])
    assert _ids(last) == [created[0]["id"]] and last["next_cursor"] is None


async def test_the_user_list_uses_the_partial_index_predicate(api: Api) -> None:
    statements: list[str] = []

    def capture(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = api.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", capture)
    try:
        await _list(api, "user")
        await _list(api, "helpdesk", status=["open", "active"])
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    listing = [s for s in statements if "FROM tickets" in s]
    assert len(listing) == 2
    assert all("status <> 'closed'" in s for s in listing)
