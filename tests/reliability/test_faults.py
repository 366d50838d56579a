"""Faults: the ticket service killed with SIGKILL, PostgreSQL stopped mid-traffic, an analytics
service down. Nothing answered 201 is lost, dependants answer clear 503s and recover by themselves.

Every wait is on a condition; `GIVE_UP` only bounds a hang. How fast the 503s and the recovery
are is a measurement, not a pass/fail criterion of a test on a shared machine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from tests.reliability.harness import (
    HELPDESK,
    USER,
    Browser,
    PostgresCluster,
    Stack,
    assert_problem,
    query,
    running_stack,
    ticket_env,
)
from tests.support.services import ServiceProcess
from tests.support.waiting import wait_until
from ticket_service.database import migrate

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# A request or a recovery taking this long is a hang: the test fails instead of waiting forever.
GIVE_UP = 30.0
DB_TIMEOUT = 2.0  # the ticket service's statement/connect timeout in these tests
# A client pauses this long after an error before its next request, as a real client backs off.
BACKOFF = 0.02
ANALYTICS_PROBES = {
    "analytics_open_service": "/open-tickets?hours=24",
    "analytics_resolution_service": "/resolution-time",
    "analytics_category_service": "/active-by-category",
}


@dataclass
class Traffic:
    """Clients sending requests in a loop from threads, recording every answer."""

    url: str
    created: dict[int, str] = field(default_factory=dict)  # id -> description, for every 201
    answers: list[tuple[str, int, str]] = field(default_factory=list)  # kind, status, content type
    transport_errors: int = 0
    failed_clients: set[str] = field(default_factory=set)  # threads that met a transport error
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def creator(self, worker: int) -> None:
        with httpx.Client(base_url=self.url, timeout=GIVE_UP) as client:
            n = 0
            while not self.stop.is_set():
                n += 1
                description = f"Stream {worker}-{n}: the coffee machine on floor {n % 7} is broken"
                self._send(client, "create", "POST", "/tickets", json={"description": description}, desc=description)

    def reader(self) -> None:
        with httpx.Client(base_url=self.url, timeout=GIVE_UP) as client:
            while not self.stop.is_set():
                self._send(client, "list", "GET", "/tickets", params={"limit": 5})

    def _send(self, client: httpx.Client, kind: str, method: str, path: str, desc: str = "", **kwargs: object) -> None:
        try:
            response = client.request(method, path, headers=HELPDESK, **kwargs)  # type: ignore[arg-type]
        except httpx.HTTPError:
            with self.lock:
                self.transport_errors += 1
                self.failed_clients.add(threading.current_thread().name)
            self.stop.wait(BACKOFF)
            return
        with self.lock:
            self.answers.append((kind, response.status_code, response.headers.get("content-type", "")))
            if kind == "create" and response.status_code == 201:
                self.created[int(response.json()["id"])] = desc
        if response.status_code >= 500:
            self.stop.wait(BACKOFF)

    def run(self, creators: int = 3, readers: int = 1) -> list[threading.Thread]:
        threads = [threading.Thread(target=self.creator, args=(w,), daemon=True) for w in range(creators)]
        threads += [threading.Thread(target=self.reader, daemon=True) for _ in range(readers)]
        for thread in threads:
            thread.start()
        return threads

    def count(self, kind: str, status: int) -> int:
        with self.lock:
            return sum(1 for k, s, _ in self.answers if k == kind and s == status)

    def seen_since(self, index: int, kind: str, status: int) -> bool:
        """Whether an answer of `kind` with `status` came after the first `index` answers."""
        with self.lock:
            return any(k == kind and s == status for k, s, _ in self.answers[index:])


def _stop(traffic: Traffic, threads: list[threading.Thread]) -> None:
    traffic.stop.set()
    for thread in threads:
        thread.join(GIVE_UP)
        assert not thread.is_alive(), "a client is still waiting for an answer: something hangs"


@pytest.fixture
def stack(postgres_url: str) -> Iterator[Stack]:
    with running_stack(postgres_url) as running:
        yield running


def test_sigkill_mid_stream_loses_no_answered_creation_and_dependants_recover(stack: Stack) -> None:
    assert stack.gateway is not None
    staff = Browser(stack.gateway.url, "helpdesk")
    reporter = Browser(stack.gateway.url, "user")
    assert staff.client.get("/tickets").status_code == 200
    traffic = Traffic(stack.ticket.url)
    threads = traffic.run(creators=4, readers=0)
    try:
        assert wait_until(lambda: traffic.count("create", 201) >= 200, GIVE_UP)
        stack.ticket.kill()
        killed_at_count = len(traffic.created)
        # Once every client has met the dead service, no request sent before the kill is still in flight.
        assert wait_until(lambda: len(traffic.failed_clients) == len(threads), GIVE_UP)
    finally:
        _stop(traffic, threads)
    answered = dict(traffic.created)
    assert len(answered) >= killed_at_count >= 200

    # While the ticket service is down: clear 503 problems with Retry-After (a hang would time out).
    for name, path in ANALYTICS_PROBES.items():
        response = httpx.get(stack.analytics[name].url + path, timeout=GIVE_UP)
        assert_problem(response, 503)
        assert response.headers.get("retry-after"), name
        assert httpx.get(stack.analytics[name].url + "/ready", timeout=GIVE_UP).status_code == 503
    assert httpx.get(stack.gateway.url + "/ready", timeout=GIVE_UP).status_code == 503
    # The gateway's pages say so clearly (a page, not a stack trace).
    for browser, path in ((staff, "/tickets"), (reporter, "/tickets"), (staff, f"/tickets/{min(answered)}")):
        page = browser.client.get(path, timeout=GIVE_UP)
        assert page.status_code == 503, (path, page.status_code)
        assert "text/html" in page.headers["content-type"]
        assert "Traceback" not in page.text
        assert "not reachable" in page.text.lower() or "unavailable" in page.text.lower(), page.text[:500]
    refused = reporter.post("/tickets", {"description": "Submitted while the ticket service is down"})
    assert refused.status_code == 503, refused.status_code
    assert "Submitted while the ticket service is down" in refused.text  # what the person typed is kept

    # Restart the ticket service only; everyone else recovers without a restart.
    stack.ticket.start()
    for name, path in ANALYTICS_PROBES.items():
        url = stack.analytics[name].url + path
        assert wait_until(lambda url=url: httpx.get(url, timeout=GIVE_UP).status_code == 200, GIVE_UP), name
    assert wait_until(lambda: httpx.get(stack.gateway.url + "/ready", timeout=GIVE_UP).status_code == 200, GIVE_UP)
    assert wait_until(lambda: staff.client.get("/tickets").status_code == 200, GIVE_UP)
    assert wait_until(lambda: reporter.client.get(f"/tickets/{min(answered)}").status_code == 200, GIVE_UP)

    # Every creation that had been answered 201 is stored, with its text.
    stored = dict(query(stack.database_url, "SELECT id, description FROM tickets"))
    missing = {i: d for i, d in answered.items() if stored.get(i) != d}
    assert missing == {}
    print(
        f"\nFIGURES sigkill: {len(answered)} creations answered 201 before/around the kill, all stored; "
        f"{traffic.transport_errors} requests lost with the connection (never answered); "
        "analytics and gateway recovered without a restart"
    )
    listed = httpx.get(stack.ticket.url + "/tickets", params={"limit": 1}, headers=USER, timeout=GIVE_UP)
    assert listed.status_code == 200


@pytest.fixture
def own_cluster(postgres_server: str) -> Iterator[PostgresCluster]:
    """A cluster of its own: stopping the shared one would break every other test."""
    cluster = PostgresCluster.start_new()
    try:
        migrate(cluster.url)
        yield cluster
    finally:
        cluster.destroy()


def test_postgres_stopped_mid_traffic_gives_503s_never_hangs_and_recovers(own_cluster: PostgresCluster) -> None:
    env = ticket_env(
        own_cluster.url,
        {"TICKET_SERVICE_DB_STATEMENT_TIMEOUT": str(DB_TIMEOUT), "TICKET_SERVICE_WORKERS": "1"},
    )
    service = ServiceProcess("ticket_service", env).start()
    try:
        _postgres_outage(own_cluster, service)
    finally:
        service.stop()


def _postgres_outage(own_cluster: PostgresCluster, service: ServiceProcess) -> None:
    traffic = Traffic(service.url)
    threads = traffic.run(creators=2, readers=2)
    try:
        assert wait_until(lambda: traffic.count("create", 201) >= 50, GIVE_UP)
        own_cluster.stop_server()
        with traffic.lock:
            stopped_at = len(traffic.answers)

        # While the database is away: 503 problems (never a hang), for reads and writes.
        for _ in range(3):
            for method, path, body in (("GET", "/tickets", None), ("POST", "/tickets", {"description": "Down?"})):
                response = httpx.request(method, service.url + path, json=body, headers=HELPDESK, timeout=GIVE_UP)
                assert_problem(response, 503)
                assert response.headers.get("retry-after")
        assert httpx.get(service.url + "/ready", timeout=GIVE_UP).status_code == 503
        assert wait_until(lambda: traffic.seen_since(stopped_at, "create", 503), GIVE_UP), "the traffic saw no outage"

        own_cluster.start_server()
        recovered = wait_until(
            lambda: httpx.get(service.url + "/tickets", headers=HELPDESK, timeout=GIVE_UP).status_code == 200,
            GIVE_UP,
        )
        assert recovered, "the ticket service did not serve again after PostgreSQL was back"
        back_again = {"description": "Back again"}
        created = httpx.post(service.url + "/tickets", json=back_again, headers=USER, timeout=GIVE_UP)
        assert created.status_code == 201, created.text
        with traffic.lock:
            back_at = len(traffic.answers)
        assert wait_until(lambda: traffic.seen_since(back_at, "create", 201), GIVE_UP), "the traffic did not recover"
    finally:
        _stop(traffic, threads)

    answers = list(traffic.answers)
    during = answers[stopped_at:]
    assert any(status == 503 for _, status, _ in during), "the outage was not observed by the traffic"
    assert [a for a in answers if a[1] >= 500 and a[1] != 503] == [], "never a 500"
    assert [a for a in answers if a[1] == 503 and not a[2].startswith("application/problem+json")] == []
    assert traffic.transport_errors == 0, "a request hung or lost its connection"
    stored = dict(query(own_cluster.url, "SELECT id, description FROM tickets"))
    assert {i: d for i, d in traffic.created.items() if stored.get(i) != d} == {}
    print(
        f"\nFIGURES postgres-stop: {len(answers)} answers, {sum(1 for a in during if a[1] == 503)} 503 problems "
        f"after the stop, served again once PostgreSQL was back; "
        f"{len(traffic.created)} creations answered 201, all stored"
    )


def _panel(page: str, panel_id: str) -> str:
    """The HTML of one analytics panel (a <section id=...>)."""
    start = page.index(f'id="{panel_id}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_an_analytics_service_down_blanks_only_its_panel(stack: Stack) -> None:
    assert stack.gateway is not None
    staff = Browser(stack.gateway.url, "helpdesk")
    created = httpx.post(stack.ticket.url + "/tickets", json={"description": "Broken window"}, headers=USER, timeout=10)
    assert created.status_code == 201
    healthy = staff.client.get("/analytics")
    assert healthy.status_code == 200
    assert "unavailable" not in _panel(healthy.text, "category-panel").lower()

    stack.analytics["analytics_category_service"].kill()
    page = staff.client.get("/analytics")
    assert page.status_code == 200, page.status_code
    category = _panel(page.text, "category-panel").lower()
    assert "unavailable" in category and "<svg" not in category
    for other in ("open-panel", "resolution-panel"):
        html_part = _panel(page.text, other).lower()
        assert "unavailable" not in html_part and "<table" in html_part, other
    # The rest of the gateway keeps working.
    assert staff.client.get("/tickets").status_code == 200
    assert staff.client.get(f"/tickets/{created.json()['id']}").status_code == 200
    assert staff.client.get("/analytics/open.csv?unit=days&value=7").status_code == 200
    assert staff.client.get("/analytics/category.csv").status_code == 503

    stack.analytics["analytics_category_service"].start()
    assert wait_until(
        lambda: "unavailable" not in _panel(staff.client.get("/analytics").text, "category-panel").lower(),
        GIVE_UP,
    )
