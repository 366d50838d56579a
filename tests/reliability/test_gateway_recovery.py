"""The gateway tells a person the truth about a form when the ticket service is slow, drops the connection
or has lost its database (issue 12, points 1 and 4).

Point 1: a stored ticket used to be reported as "could not be submitted" when the answer came after the
gateway's timeout; the person typed it again and filed a duplicate. The gateway now re-sends the form with
the same Idempotency-Key (the ticket service replays its first answer) before it says anything. The tests
put a real TCP proxy between the gateway and a real ticket service; it holds back the answer to the first
POST until the gateway's re-send arrives, so the first answer is certainly too late (a condition, not a sleep).

Point 4: with PostgreSQL stopped, every page and form answers a 503 page with `Retry-After` that keeps
what was typed in a form that can be sent again (before: no `Retry-After`, and the description or message
was thrown away); once PostgreSQL is back, sending the kept form stores it once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.reliability.harness import GATEWAY_SECRET, HELPDESK, USER, PostgresCluster, query, ticket_env
from tests.reliability.harness import Browser as SyncBrowser
from tests.support.services import ServiceProcess
from tests.support.waiting import wait_until
from tests.web_gateway.conftest import Browser
from ticket_service.database import migrate
from web_gateway.main import create_app
from web_gateway.settings import Settings

pytestmark = pytest.mark.slow

GIVE_UP = 30.0
SUBMISSION_KEY = re.compile(r'name="submission_key" value="([0-9a-f]{32})"')
# Where a simple user lands after reporting: the new ticket's private page.
PRIVATE_PAGE = re.compile(r"/t/[A-Za-z0-9_-]{32}\?notice=created")


@dataclass
class HoldingProxy:
    """A TCP proxy to the ticket service that withholds the answers to the first `hold` requests matching `head`.

    A withheld answer is never delivered: once `release` is set (by default when request number
    `hold + 1` arrives, i.e. the gateway's re-send), its connection is closed instead. The ticket
    service has answered it meanwhile, so what it stored is stored.
    """

    upstream_port: int
    head: bytes
    hold: int = 1
    seen: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    server: asyncio.Server | None = None
    connections: set[asyncio.Task[None]] = field(default_factory=set)

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def close(self) -> None:
        """Stop listening; every connection ends once the gateway has closed its side (it has, by now)."""
        self.release.set()
        if self.server is not None:
            self.server.close()
        if self.connections:
            await asyncio.wait(self.connections, timeout=GIVE_UP)

    async def _serve(self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter) -> None:
        this = asyncio.current_task()
        assert this is not None
        self.connections.add(this)
        upstream_in, upstream_out = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        withheld = False

        async def requests() -> None:
            nonlocal withheld
            while data := await client_in.read(65536):
                if data.startswith(self.head):
                    self.seen += 1
                    withheld = withheld or self.seen <= self.hold
                    if self.seen > self.hold:
                        self.release.set()
                upstream_out.write(data)
                await upstream_out.drain()
            upstream_out.close()

        async def answers() -> None:
            while data := await upstream_in.read(65536):
                if withheld:
                    await self.release.wait()
                    break
                client_out.write(data)
                await client_out.drain()
            client_out.close()

        await asyncio.gather(requests(), answers(), return_exceptions=True)
        upstream_out.close()
        client_out.close()
        self.connections.discard(this)


@pytest.fixture
def ticket_service(database_url: str) -> Iterator[ServiceProcess]:
    """The real ticket service as a process on each database (real HTTP, so timeouts are real)."""
    with ServiceProcess("ticket_service", ticket_env(database_url)) as service:
        yield service


@dataclass
class Reporter:
    browser: Browser
    proxy: HoldingProxy
    database_url: str
    ticket_service: ServiceProcess


@asynccontextmanager
async def _reporter(
    ticket_service: ServiceProcess, database_url: str, tmp_path: Path, head: bytes, **settings: float
) -> AsyncIterator[Reporter]:
    proxy = HoldingProxy(ticket_service.port, head)
    proxy_url = await proxy.start()
    # The default upstream timeout (1.5 s) and recovery settings unless a test narrows them.
    gateway = create_app(
        Settings(secret_key="unit-test-secret", var_dir=tmp_path, ticket_service_url=proxy_url, **settings)
    )
    try:
        async with gateway.router.lifespan_context(gateway):
            transport = httpx.ASGITransport(app=gateway)
            async with httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=GIVE_UP) as client:
                browser = Browser(client)
                await browser.choose("user")
                yield Reporter(browser, proxy, database_url, ticket_service)
    finally:
        await proxy.close()


@pytest.fixture
async def reporting(ticket_service: ServiceProcess, database_url: str, tmp_path: Path) -> AsyncIterator[Reporter]:
    async with _reporter(ticket_service, database_url, tmp_path, b"POST /tickets ") as reporter:
        yield reporter


async def _report(reporter: Reporter, description: str) -> httpx.Response:
    form = await reporter.browser.get("/tickets/new")
    key = SUBMISSION_KEY.search(form.text)
    assert key is not None
    return await reporter.browser.post("/tickets", {"description": description, "submission_key": key.group(1)})


def _stored(database_url: str, sql: str) -> list[tuple[object, ...]]:
    return query(database_url, sql)


async def test_a_report_answered_after_the_timeout_is_recovered_and_shown_as_submitted(reporting: Reporter) -> None:
    description = "The heating in lecture hall 3 is off"
    answer = await _report(reporting, description)
    assert answer.status_code == 303, answer.text[:500]
    assert reporting.proxy.seen == 2, "the gateway did not re-send the report after the timeout"
    stored = _stored(reporting.database_url, "SELECT id, description FROM tickets")
    assert [d for _, d in stored] == [description]  # exactly one ticket, not a duplicate
    # The reporter lands on the ticket's private page, through the one link the replayed creation issued.
    assert PRIVATE_PAGE.fullmatch(answer.headers["location"]), answer.headers["location"]
    assert _stored(reporting.database_url, "SELECT ticket_id FROM private_links") == [(stored[0][0],)]
    page = await reporting.browser.get(answer.headers["location"])
    assert page.status_code == 200
    assert "Your ticket has been submitted." in page.text
    assert f"Ticket #{stored[0][0]}" in page.text and description in page.text


async def test_a_report_whose_connection_drops_after_sending_is_recovered(reporting: Reporter) -> None:
    reporting.proxy.release.set()  # the withheld answer's connection is closed at once
    answer = await _report(reporting, "Broken chair in room 101")
    assert answer.status_code == 303, answer.text[:500]
    assert reporting.proxy.seen == 2
    assert _stored(reporting.database_url, "SELECT description FROM tickets") == [("Broken chair in room 101",)]


async def test_a_message_answered_after_the_timeout_is_recovered(
    ticket_service: ServiceProcess, database_url: str, tmp_path: Path
) -> None:
    async with httpx.AsyncClient(base_url=ticket_service.url, headers=USER, timeout=GIVE_UP) as direct:
        created = await direct.post("/tickets", json={"description": "Printer jammed"})
    ticket_id = created.json()["id"]
    head = f"POST /tickets/{ticket_id}/messages ".encode()
    async with _reporter(ticket_service, database_url, tmp_path, head) as reporter:
        page = await reporter.browser.get(f"/tickets/{ticket_id}")
        key = SUBMISSION_KEY.search(page.text)
        assert key is not None
        sent = await reporter.browser.post(
            f"/tickets/{ticket_id}/messages", {"body": "Still jammed", "submission_key": key.group(1)}
        )
        assert sent.status_code == 303, sent.text[:500]
        assert reporter.proxy.seen == 2
        assert _stored(database_url, "SELECT body FROM messages") == [("Still jammed",)]


async def test_when_no_answer_comes_in_time_the_text_is_kept_and_sending_again_stores_it_once(
    ticket_service: ServiceProcess, database_url: str, tmp_path: Path
) -> None:
    async with _reporter(
        ticket_service, database_url, tmp_path, b"POST /tickets ", write_recovery_seconds=2.0
    ) as reporter:
        reporter.proxy.hold = 1_000  # every answer withheld: the recovery gives up within its budget
        description = "Water leaking from the ceiling of the library"
        refused = await _report(reporter, description)
        assert refused.status_code == 503, refused.text[:500]
        assert refused.headers.get("retry-after")
        assert f">{description}</textarea>" in refused.text
        assert reporter.proxy.seen >= 2, "the gateway gave up without re-sending"
        key = SUBMISSION_KEY.search(refused.text)
        assert key is not None

        reporter.proxy.hold = reporter.proxy.seen  # the ticket service answers again
        reporter.proxy.release.set()
        again = await reporter.browser.post("/tickets", {"description": description, "submission_key": key.group(1)})
        assert again.status_code == 303, again.text[:500]
        stored = _stored(database_url, "SELECT id, description FROM tickets")
        assert [d for _, d in stored] == [description]
        assert PRIVATE_PAGE.fullmatch(again.headers["location"]), again.headers["location"]
        assert _stored(database_url, "SELECT ticket_id FROM private_links") == [(stored[0][0],)]


# Point 4: PostgreSQL stopped under a running ticket service, through the real gateway.


@pytest.fixture
def own_cluster(postgres_server: str) -> Iterator[PostgresCluster]:
    """A cluster of its own: stopping the shared one would break every other test."""
    cluster = PostgresCluster.start_new()
    try:
        migrate(cluster.url)
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def gateway_on_own_cluster(own_cluster: PostgresCluster) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    env = ticket_env(own_cluster.url, {"TICKET_SERVICE_DB_STATEMENT_TIMEOUT": "2", "TICKET_SERVICE_WORKERS": "1"})
    with ServiceProcess("ticket_service", env) as tickets:
        gateway_env = {"TICKET_SERVICE_URL": tickets.url, "WEB_GATEWAY_SECRET_KEY": GATEWAY_SECRET}
        with ServiceProcess("web_gateway", gateway_env) as gateway:
            yield tickets, gateway


def _unavailable_page(response: httpx.Response) -> None:
    assert response.status_code == 503, (response.request.url, response.status_code, response.text[:300])
    assert response.headers.get("retry-after", "").isdigit(), response.request.url
    assert "text/html" in response.headers["content-type"]


@pytest.mark.postgres
def test_postgres_down_is_a_503_page_with_retry_after_that_keeps_the_text(
    own_cluster: PostgresCluster, gateway_on_own_cluster: tuple[ServiceProcess, ServiceProcess]
) -> None:
    tickets, gateway = gateway_on_own_cluster
    created = httpx.post(tickets.url + "/tickets", json={"description": "Projector dead"}, headers=USER, timeout=10)
    assert created.status_code == 201
    ticket_id = created.json()["id"]
    reporter, staff = SyncBrowser(gateway.url, "user"), SyncBrowser(gateway.url, "helpdesk")
    ticket_page = reporter.client.get(f"/tickets/{ticket_id}")
    message_key = SUBMISSION_KEY.search(ticket_page.text)
    assert message_key is not None
    report_key = SUBMISSION_KEY.search(reporter.client.get("/tickets/new").text)
    assert report_key is not None

    own_cluster.stop_server()
    assert wait_until(lambda: httpx.get(tickets.url + "/ready", timeout=GIVE_UP).status_code == 503, GIVE_UP)
    for browser, path in ((reporter, "/tickets"), (staff, "/tickets"), (reporter, f"/tickets/{ticket_id}")):
        _unavailable_page(browser.client.get(path))

    report = reporter.post("/tickets", {"description": "Lift stuck", "submission_key": report_key.group(1)})
    _unavailable_page(report)
    assert ">Lift stuck</textarea>" in report.text and report_key.group(1) in report.text

    edit = reporter.post(
        f"/tickets/{ticket_id}/description", {"description": "Projector dead, cable gone", "version": "1"}
    )
    _unavailable_page(edit)
    assert ">Projector dead, cable gone</textarea>" in edit.text
    assert '<input type="hidden" name="version" value="1">' in edit.text

    message = {"body": "Any news?", "submission_key": message_key.group(1)}
    sent = reporter.post(f"/tickets/{ticket_id}/messages", message)
    _unavailable_page(sent)
    assert ">Any news?</textarea>" in sent.text and message_key.group(1) in sent.text
    htmx = {"HX-Request": "true", "HX-Target": "thread", "X-CSRF-Token": reporter.token}
    in_thread = reporter.client.post(f"/tickets/{ticket_id}/messages", data=message, headers=htmx)
    _unavailable_page(in_thread)
    assert in_thread.text.lstrip().startswith('<section id="thread"')  # htmx swaps the thread, text and all
    assert ">Any news?</textarea>" in in_thread.text

    _unavailable_page(staff.post(f"/tickets/{ticket_id}/start", {"version": "1"}))

    own_cluster.start_server()
    assert wait_until(
        lambda: httpx.get(tickets.url + "/tickets", headers=HELPDESK, timeout=GIVE_UP).status_code == 200, GIVE_UP
    )
    # The kept forms, sent again as they are, store each change once.
    assert reporter.post(f"/tickets/{ticket_id}/messages", message).status_code == 303
    assert reporter.post(f"/tickets/{ticket_id}/messages", message).status_code == 303
    saved = reporter.post(
        f"/tickets/{ticket_id}/description", {"description": "Projector dead, cable gone", "version": "1"}
    )
    assert saved.status_code == 303
    assert query(own_cluster.url, "SELECT body FROM messages") == [("Any news?",)]
    assert query(own_cluster.url, "SELECT description FROM tickets") == [("Projector dead, cable gone",)]
