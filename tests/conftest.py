"""Fixtures shared by the whole suite: databases on PostgreSQL and SQLite, and the ticket service in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import databases
from ticket_service.main import create_app as create_ticket_app
from ticket_service.settings import Settings as TicketSettings


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The throwaway PostgreSQL started by `make test`, with a migrated template database."""
    url = databases.server_url()
    if url is None:
        pytest.skip("CAMPUSDESK_TEST_POSTGRES_URL is not set: run the suite with `make test`")
    databases.create_template(url)
    yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for one test."""
    url = databases.create_database_from_template(postgres_server)
    yield url
    databases.drop_database(url)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.create_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    """A fresh, migrated SQLite file for one test."""
    return databases.copy_sqlite(sqlite_template, tmp_path)


@pytest.fixture(params=["postgresql", "sqlite"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on PostgreSQL and once on SQLite."""
    name = "postgres_url" if request.param == "postgresql" else "sqlite_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
async def ticket_client(database_url: str) -> AsyncIterator[httpx.AsyncClient]:
    """The ticket service in-process (lifespan run), on each database."""
    app = create_ticket_app(TicketSettings(database_url=database_url))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://ticket-service") as client:
            yield client
