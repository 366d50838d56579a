"""Forged input that used to answer 500 (or was silently accepted) is a 422/400/412 problem now,
on both databases, and changes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.reliability.harness import HELPDESK, USER, assert_problem
from tests.reliability.test_hostile_analytics import resolution_client  # noqa: F401 (a fixture)


def forged_cursor(updated_at: str, ticket_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps([updated_at, ticket_id]).encode()).decode().rstrip("=")


@pytest.fixture
async def ticket(ticket_client: httpx.AsyncClient) -> AsyncIterator[dict[str, object]]:
    response = await ticket_client.post("/tickets", json={"description": "Heating broken in room 2.01"}, headers=USER)
    assert response.status_code == 201, response.text
    yield response.json()


# Moments at the edges of the calendar: valid ISO 8601, but with no UTC equivalent.
@pytest.mark.parametrize("moment", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00"])
async def test_a_cursor_beyond_the_calendar_is_a_422(ticket_client: httpx.AsyncClient, moment: str) -> None:
    for headers in (USER, HELPDESK):
        response = await ticket_client.get("/tickets", params={"cursor": forged_cursor(moment, 5)}, headers=headers)
        problem = assert_problem(response, 422)
        assert "cursor" in problem["detail"]


async def test_a_stats_window_beyond_the_calendar_is_a_422(ticket_client: httpx.AsyncClient) -> None:
    params = {"since": "0001-01-01T00:00:00+05:00", "until": "0001-01-01T06:00:00+05:00"}
    response = await ticket_client.get("/stats/open-tickets", params=params, headers=HELPDESK)
    assert_problem(response, 422)


async def test_two_x_role_headers_are_refused(ticket_client: httpx.AsyncClient, ticket: dict[str, object]) -> None:
    headers = [("X-Role", "user"), ("X-Role", "helpdesk")]
    for method, path in (("GET", "/tickets"), ("GET", f"/tickets/{ticket['id']}")):
        response = await ticket_client.request(method, path, headers=headers)
        problem = assert_problem(response, 400)
        assert "exactly one X-Role" in problem["detail"]
    change = await ticket_client.patch(f"/tickets/{ticket['id']}", json={"status": "active"}, headers=headers)
    assert_problem(change, 400)
    stored = await ticket_client.get(f"/tickets/{ticket['id']}", headers=HELPDESK)
    assert stored.json()["status"] == "open"


@pytest.mark.parametrize("tag", ['W/"1"', '"01"', "01", '"1 "', '"+1"', 'W/"1", "2"'])
async def test_a_weak_or_respelled_tag_never_matches_a_write(
    ticket_client: httpx.AsyncClient, ticket: dict[str, object], tag: str
) -> None:
    path = f"/tickets/{ticket['id']}"
    response = await ticket_client.patch(path, json={"status": "active"}, headers={**HELPDESK, "If-Match": tag})
    assert_problem(response, 412)
    stored = await ticket_client.get(path, headers=HELPDESK)
    assert (stored.json()["status"], stored.json()["version"]) == ("open", 1)


@pytest.mark.parametrize("tag", ['"1"', "1", '"7", "1"', "*"])
async def test_the_current_strong_tag_still_matches(
    ticket_client: httpx.AsyncClient, ticket: dict[str, object], tag: str
) -> None:
    path = f"/tickets/{ticket['id']}"
    response = await ticket_client.patch(path, json={"status": "active"}, headers={**HELPDESK, "If-Match": tag})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("query", ["from=9999-06", "from=9999-02"])
async def test_resolution_months_past_year_9999_are_a_422(
    resolution_client: httpx.AsyncClient,  # noqa: F811 (the fixture)
    query: str,
) -> None:
    for suffix in ("", "&format=csv"):
        response = await resolution_client.get(f"/resolution-time?{query}{suffix}")
        assert "9999-12" in assert_problem(response, 422)["detail"]


async def test_the_last_months_of_the_calendar_are_answered(ticket_client: httpx.AsyncClient) -> None:
    params = {"from": "9999-01", "to": "9999-12"}
    response = await ticket_client.get("/stats/resolution-monthly", params=params, headers=HELPDESK)
    assert response.status_code == 200, response.text
