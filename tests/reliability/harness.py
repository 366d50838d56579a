"""What the reliability tests share: the running stack, database snapshots and problem checks.

Everything runs on loopback; every wait is on a condition, with a deadline only to give up.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from tests.support.services import REPO_ROOT, ServiceProcess, free_port
from ticket_service.database import sync_database_url

PROBLEM_MEDIA_TYPE = "application/problem+json"
ANALYTICS_SERVICES = ("analytics_open_service", "analytics_resolution_service", "analytics_category_service")
GATEWAY_SECRET = "reliability-test-secret"
# Tables whose rows a rejected request must leave exactly as they were.
STORED_TABLES = ("tickets", "messages", "ticket_events", "idempotency_keys", "category_corrections")


def assert_problem(response: httpx.Response, status: int | tuple[int, ...]) -> dict[str, Any]:
    """The response is an RFC 9457 problem with the expected status; returns its body."""
    expected = (status,) if isinstance(status, int) else status
    assert response.status_code in expected, (response.status_code, response.text[:500])
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith(PROBLEM_MEDIA_TYPE), (content_type, response.text[:300])
    body = response.json()
    assert body["status"] == response.status_code, body
    for key in ("type", "title", "detail"):
        assert isinstance(body.get(key), str) and body[key].strip(), (key, body)
    return dict(body)


def snapshot(database_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every stored table, in primary-key order (to prove a request changed nothing)."""
    engine = sa.create_engine(sync_database_url(database_url), poolclass=sa.pool.NullPool)
    try:
        rows: dict[str, list[tuple[Any, ...]]] = {}
        with engine.connect() as connection:
            for table in STORED_TABLES:
                result = connection.execute(sa.text(f"SELECT * FROM {table} ORDER BY 1, 2"))
                rows[table] = [tuple(row) for row in result]
        return rows
    finally:
        engine.dispose()


def query(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    engine = sa.create_engine(sync_database_url(database_url), poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            return [tuple(row) for row in connection.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


@dataclass
class Stack:
    """The five services as real processes, the ticket service on `database_url`."""

    database_url: str
    ticket: ServiceProcess
    analytics: dict[str, ServiceProcess] = field(default_factory=dict)
    gateway: ServiceProcess | None = None

    def all(self) -> list[ServiceProcess]:
        services = [self.ticket, *self.analytics.values()]
        return [*services, self.gateway] if self.gateway else services


def ticket_env(database_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "TICKET_SERVICE_DATABASE_URL": database_url, **(extra or {})}


@contextmanager
def running_stack(
    database_url: str,
    *,
    analytics: bool = True,
    gateway: bool = True,
    ticket_extra_env: Mapping[str, str] | None = None,
) -> Iterator[Stack]:
    """Start the ticket service (and optionally the analytics services and the gateway)."""
    ticket_port = free_port()
    ticket_url = f"http://127.0.0.1:{ticket_port}"
    env = {**ticket_env(database_url, ticket_extra_env), "TICKET_SERVICE_URL": ticket_url}
    env["WEB_GATEWAY_SECRET_KEY"] = GATEWAY_SECRET
    stack = Stack(database_url, ServiceProcess("ticket_service", env, port=ticket_port))
    try:
        stack.ticket.start()
        if analytics:
            for name in ANALYTICS_SERVICES:
                stack.analytics[name] = ServiceProcess(name, env).start()
        if gateway:
            gateway_env = {**env, **{f"{name.upper()}_URL": s.url for name, s in stack.analytics.items()}}
            stack.gateway = ServiceProcess("web_gateway", gateway_env).start()
        yield stack
    finally:
        for service in reversed(stack.all()):
            service.stop()


@dataclass
class PostgresCluster:
    """A PostgreSQL cluster of its own, so a test may stop and start it without disturbing others."""

    url: str
    data: str
    base: str
    options: str
    runas: list[str]

    @classmethod
    def start_new(cls) -> PostgresCluster:
        script = str(REPO_ROOT / "scripts" / "throwaway_postgres.py")
        output = subprocess.run(
            [sys.executable, script, "start"], check=True, capture_output=True, text=True, timeout=60
        ).stdout
        values: dict[str, str] = {}
        for line in output.splitlines():
            if line.startswith("export "):
                key, _, value = line[len("export ") :].partition("=")
                values[key] = value.strip("'")
        return cls(
            url=values["CAMPUSDESK_TEST_POSTGRES_URL"],
            data=values["CAMPUSDESK_TEST_PGDATA"],
            base=values["CAMPUSDESK_TEST_PGBASE"],
            options=values["CAMPUSDESK_TEST_PGOPTIONS"],
            runas=values["CAMPUSDESK_TEST_PG_RUNAS"].split(),
        )

    def _pg_ctl(self, *args: str) -> None:
        pg_ctl = _pg_bin("pg_ctl")
        subprocess.run(
            [*self.runas, pg_ctl, "-D", self.data, *args],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=60,
        )

    def stop_server(self) -> None:
        self._pg_ctl("-m", "fast", "-w", "stop")

    def start_server(self) -> None:
        self._pg_ctl("-o", self.options, "-l", str(Path(self.base) / "server.log"), "-w", "start")

    def destroy(self) -> None:
        script = str(REPO_ROOT / "scripts" / "throwaway_postgres.py")
        subprocess.run([sys.executable, script, "stop", self.base], check=False, timeout=60)


def _pg_bin(name: str) -> str:
    import shutil
    from glob import glob

    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    assert candidates, f"{name} not found"
    return candidates[0]


def postgres_available() -> bool:
    return bool(os.environ.get("CAMPUSDESK_TEST_POSTGRES_URL"))


USER = {"X-Role": "user"}
HELPDESK = {"X-Role": "helpdesk"}


CSRF_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A cookie-keeping client that got its CSRF token from a page, like a real browser."""

    def __init__(self, url: str, role: str | None) -> None:
        self.client = httpx.Client(base_url=url, follow_redirects=False, timeout=15)
        entry = self.client.get("/")
        assert entry.status_code == 200, entry.text[:300]
        match = CSRF_TOKEN.search(entry.text)
        assert match, "the entry page has no CSRF token"
        self.token = match.group(1)
        if role:
            chosen = self.client.post("/role", data={"role": role, "csrf_token": self.token})
            assert chosen.status_code == 303, chosen.text[:300]

    def post(self, path: str, data: dict[str, Any] | None = None, *, token: bool = True, **kw: Any) -> httpx.Response:
        form = dict(data or {})
        if token:
            form["csrf_token"] = self.token
        return self.client.post(path, data=form, **kw)
