"""No lost updates under concurrency, on PostgreSQL and on SQLite, over real HTTP.

The ticket service runs as its own process with two workers, so racing requests
really are handled in parallel by different processes and connections.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest

from tests.reliability.harness import HELPDESK, USER, query, ticket_env
from tests.support import databases
from tests.support.services import ServiceProcess

pytestmark = pytest.mark.slow

RACERS = 50
MESSAGES = 1000


@pytest.fixture(scope="module", params=["postgresql", "sqlite"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServiceProcess, str]]:
    """One ticket service (two workers) per database for the whole module; each test uses its own tickets."""
    if request.param == "postgresql":
        server = request.getfixturevalue("postgres_server")
        url = databases.create_database_from_template(server)
    else:
        template = request.getfixturevalue("sqlite_template")
        url = databases.copy_sqlite(template, tmp_path_factory.mktemp("concurrency"))
    env = ticket_env(url, {"TICKET_SERVICE_WORKERS": "2"})
    try:
        service = ServiceProcess("ticket_service", env).start()
        try:
            yield service, url
        finally:
            service.stop()
    finally:
        if request.param == "postgresql":
            databases.drop_database(url)


@pytest.fixture
def ticket_service(served: tuple[ServiceProcess, str]) -> ServiceProcess:
    return served[0]


@pytest.fixture
def database_url(served: tuple[ServiceProcess, str]) -> str:
    return served[1]


def _client(service: ServiceProcess, connections: int = 100) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(base_url=service.url, timeout=60, limits=limits)


async def _create(client: httpx.AsyncClient, description: str = "The printer in room 1.02 is jammed") -> dict:
    response = await client.post("/tickets", json={"description": description}, headers=USER)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_fifty_clients_racing_open_to_active_give_exactly_one_success(
    ticket_service: ServiceProcess, database_url: str
) -> None:
    async with _client(ticket_service) as client:
        ticket = await _create(client)
        path = f"/tickets/{ticket['id']}"
        responses = await asyncio.gather(
            *[client.patch(path, json={"status": "active"}, headers=HELPDESK) for _ in range(RACERS)]
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses[200] == 1, statuses
        assert statuses[409] + statuses[412] == RACERS - 1, statuses
        print(f"\nFIGURES open->active race on {_db(database_url)}: {dict(statuses)}")
        final = (await client.get(path, headers=HELPDESK)).json()
    assert (final["status"], final["version"]) == ("active", 2)
    events = query(database_url, "SELECT kind FROM ticket_events WHERE ticket_id = :id ORDER BY id", id=ticket["id"])
    assert events == [("created",), ("status_changed",)]


async def test_fifty_clients_racing_with_the_same_if_match_give_one_success_and_49_412s(
    ticket_service: ServiceProcess, database_url: str
) -> None:
    async with _client(ticket_service) as client:
        ticket = await _create(client, "The heating in room 3.01 is broken")
        path = f"/tickets/{ticket['id']}"
        headers = {**USER, "If-Match": f'"{ticket["version"]}"'}
        responses = await asyncio.gather(
            *[
                client.patch(
                    path, json={"description": f"The heating in room 3.01 is broken (edit {n})"}, headers=headers
                )
                for n in range(RACERS)
            ]
        )
        statuses = Counter(r.status_code for r in responses)
        assert statuses == {200: 1, 412: RACERS - 1}, statuses
        print(f"\nFIGURES If-Match race on {_db(database_url)}: {dict(statuses)}")
        winner = next(r for r in responses if r.status_code == 200).json()
        final = (await client.get(path, headers=USER)).json()
    assert final["version"] == 2
    assert final["description"] == winner["description"]
    # The history keeps the original text and exactly one change.
    changes = query(
        database_url,
        "SELECT old_value, new_value FROM ticket_events WHERE ticket_id = :id AND kind = 'description_changed'",
        id=ticket["id"],
    )
    assert changes == [("The heating in room 3.01 is broken", winner["description"])]


async def test_a_thousand_concurrent_messages_are_all_stored_once_in_a_consistent_order(
    ticket_service: ServiceProcess, database_url: str
) -> None:
    async with _client(ticket_service) as client:
        ticket = await _create(client, "Water is leaking from the ceiling in the gym")
        path = f"/tickets/{ticket['id']}/messages"
        semaphore = asyncio.Semaphore(100)

        transport_retries = 0

        async def post(n: int) -> httpx.Response:
            # Like a real client, retry a lost connection once with the same Idempotency-Key:
            # the message must still be stored exactly once.
            nonlocal transport_retries
            headers = {**(USER if n % 2 else HELPDESK), "Idempotency-Key": f"thousand-{n}"}
            async with semaphore:
                try:
                    return await client.post(path, json={"body": f"message {n:04d}"}, headers=headers)
                except httpx.TransportError:
                    transport_retries += 1
                    return await client.post(path, json={"body": f"message {n:04d}"}, headers=headers)

        responses = await asyncio.gather(*[post(n) for n in range(MESSAGES)])
        assert Counter(r.status_code for r in responses) == {201: MESSAGES}
        assert transport_retries <= MESSAGES // 100, f"{transport_retries} connections were lost"
        print(f"\nFIGURES {MESSAGES} messages on {_db(database_url)}: {transport_retries} retried")
        posted_ids = {r.json()["id"] for r in responses}
        thread = (await client.get(path, headers=HELPDESK)).json()["items"]
        after = (await client.get(path, params={"after": thread[499]["id"]}, headers=HELPDESK)).json()["items"]
        final = (await client.get(f"/tickets/{ticket['id']}", headers=HELPDESK)).json()

    bodies = [m["body"] for m in thread]
    assert len(thread) == MESSAGES
    assert sorted(bodies) == [f"message {n:04d}" for n in range(MESSAGES)]  # each exactly once
    assert {m["id"] for m in thread} == posted_ids
    # Oldest first, consistently: ids and timestamps never go backwards, and `after` continues the same order.
    ids = [m["id"] for m in thread]
    assert ids == sorted(ids)
    times = [m["created_at"] for m in thread]
    assert all(_instant(a) <= _instant(b) for a, b in itertools.pairwise(times))
    assert [m["id"] for m in after] == ids[500:]
    assert final["message_count"] == MESSAGES
    assert final["version"] == 1  # messages are activity, not edits
    stored = query(
        database_url, "SELECT count(*), count(DISTINCT body) FROM messages WHERE ticket_id = :id", id=ticket["id"]
    )
    assert stored == [(MESSAGES, MESSAGES)]


def _db(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def _instant(value: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(value).timestamp()


async def test_idempotency_key_retries_never_create_duplicates(
    ticket_service: ServiceProcess, database_url: str
) -> None:
    async with _client(ticket_service) as client:
        description = "Idempotent: the elevator in building C is stuck"
        key = {"Idempotency-Key": "reliability-create-1"}
        first = await client.post("/tickets", json={"description": description}, headers={**USER, **key})
        assert first.status_code == 201, first.text
        # Sequential retries replay the original answer.
        for _ in range(3):
            retry = await client.post("/tickets", json={"description": description}, headers={**USER, **key})
            assert retry.status_code == 201
            assert retry.json() == first.json()
            assert retry.headers["location"] == first.headers["location"]
        ticket_id = first.json()["id"]

        path = f"/tickets/{ticket_id}/messages"
        message_key = {"Idempotency-Key": "reliability-message-1"}
        sent = await client.post(path, json={"body": "Still stuck"}, headers={**USER, **message_key})
        assert sent.status_code == 201, sent.text
        again = await client.post(path, json={"body": "Still stuck"}, headers={**USER, **message_key})
        assert (again.status_code, again.json()) == (201, sent.json())

    rows = query(database_url, "SELECT count(*) FROM tickets WHERE description = :d", d=description)
    assert rows == [(1,)]
    assert query(database_url, "SELECT count(*) FROM messages WHERE ticket_id = :id", id=ticket_id) == [(1,)]


async def test_concurrent_retries_with_one_idempotency_key_create_exactly_one(
    ticket_service: ServiceProcess, database_url: str
) -> None:
    async with _client(ticket_service) as client:
        description = "Concurrent retries: the door of lab 4 does not lock"
        headers = {**USER, "Idempotency-Key": "reliability-concurrent-1"}
        responses = await asyncio.gather(
            *[client.post("/tickets", json={"description": description}, headers=headers) for _ in range(RACERS)]
        )
        statuses = Counter(r.status_code for r in responses)
        # A retry that arrives while the first is still being processed may be told to retry (409);
        # every success is the same ticket.
        assert statuses[201] >= 1 and statuses[201] + statuses[409] == RACERS, statuses
        created = {r.json()["id"] for r in responses if r.status_code == 201}
        assert len(created) == 1

        ticket_id = created.pop()
        path = f"/tickets/{ticket_id}/messages"
        message_headers = {**HELPDESK, "Idempotency-Key": "reliability-concurrent-message"}
        replies = await asyncio.gather(
            *[client.post(path, json={"body": "On our way"}, headers=message_headers) for _ in range(RACERS)]
        )
        reply_statuses = Counter(r.status_code for r in replies)
        assert reply_statuses[201] >= 1 and reply_statuses[201] + reply_statuses[409] == RACERS, reply_statuses
        assert len({r.json()["id"] for r in replies if r.status_code == 201}) == 1
        print(
            f"\nFIGURES concurrent Idempotency-Key retries on {_db(database_url)}: "
            f"tickets {dict(statuses)}, messages {dict(reply_statuses)}"
        )

    assert query(database_url, "SELECT count(*) FROM tickets WHERE description = :d", d=description) == [(1,)]
    assert query(database_url, "SELECT count(*) FROM messages WHERE ticket_id = :id", id=ticket_id) == [(1,)]
