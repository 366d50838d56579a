"""Issue 16.1: one category model for every process and replica.

Two real ticket-service processes on one PostgreSQL database share corrections, retrainings and
models: 20 helpdesk corrections, half through each process, make exactly one retraining run
(one new version in the database), and both processes then answer the same text with the same
version and identical probabilities (they switch through LISTEN/NOTIFY, without a restart).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.support.services import ServiceProcess
from tests.support.waiting import wait_until
from tests.ticket_service.test_classifier_retraining import LOST_PROPERTY_CORRECTED, LOST_PROPERTY_UNSEEN
from ticket_service.database import sync_database_url

USER = {"X-Role": "user"}
HELPDESK = {"X-Role": "helpdesk"}
# Generous: bounds a hang (a retraining takes a few seconds on a busy machine), never asserted.
GIVE_UP_AFTER = 120.0


@pytest.fixture
def two_processes(postgres_url: str) -> Iterator[tuple[ServiceProcess, ServiceProcess]]:
    env = {"TICKET_SERVICE_DATABASE_URL": postgres_url, "TICKET_SERVICE_WORKERS": "1"}
    with ServiceProcess("ticket_service", env) as first, ServiceProcess("ticket_service", env) as second:
        yield first, second


def classify(service: ServiceProcess, description: str) -> dict[str, object]:
    response = httpx.post(f"{service.url}/classify", json={"description": description}, headers=USER, timeout=30)
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def correct(service: ServiceProcess, description: str) -> None:
    created = httpx.post(f"{service.url}/tickets", json={"description": description}, headers=USER, timeout=30)
    assert created.status_code == 201, created.text
    patched = httpx.patch(
        f"{service.url}/tickets/{created.json()['id']}",
        json={"category": "services_complaints"},
        headers=HELPDESK,
        timeout=30,
    )
    assert patched.status_code == 200, patched.text


def stored_versions(database_url: str) -> list[tuple[int, int]]:
    engine = create_engine(sync_database_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version, corrections FROM category_models ORDER BY version"))
            return [(int(version), int(corrections)) for version, corrections in rows]
    finally:
        engine.dispose()


def test_twenty_corrections_through_two_processes_give_one_retraining_both_use(
    two_processes: tuple[ServiceProcess, ServiceProcess], postgres_url: str
) -> None:
    first, second = two_processes
    probe = LOST_PROPERTY_UNSEEN[0]
    assert classify(first, probe)["model_version"] == classify(second, probe)["model_version"] == 1
    descriptions = [f"{text} ({n})" for n, text in enumerate(LOST_PROPERTY_CORRECTED * 2)][:20]
    for n, description in enumerate(descriptions):
        correct(first if n % 2 else second, description)

    def both_switched() -> bool:
        return all(classify(service, probe)["model_version"] == 2 for service in (first, second))

    assert wait_until(both_switched, GIVE_UP_AFTER)
    assert classify(first, probe) == classify(second, probe)
    assert classify(first, probe)["category"] == "services_complaints"
    assert stored_versions(postgres_url) == [(1, 0), (2, 20)]  # exactly one retraining, from 20 corrections
