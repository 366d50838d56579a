"""The providers run once for the whole contract suite: starting the ticket service loads its classifier."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.contracts.live import Provider, RealAnswer, real_answers, running_providers
from tests.support import databases
from tests.support.smtp_sink import SmtpSink


@pytest.fixture(scope="session")
def mail() -> Iterator[SmtpSink]:
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()


@pytest.fixture(scope="session")
def providers(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory, mail: SmtpSink
) -> Iterator[dict[str, Provider]]:
    database_url = databases.copy_sqlite(sqlite_template, tmp_path_factory.mktemp("contracts"))
    with running_providers(database_url, mail.url) as running:
        yield running


@pytest.fixture(scope="session")
def answers(providers: dict[str, Provider], mail: SmtpSink) -> list[RealAnswer]:
    return real_answers(providers, mail)
