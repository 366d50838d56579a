"""Schemathesis against the ticket service and the three analytics services on PostgreSQL
(a bounded run; `make fuzz` runs a long one)."""

from __future__ import annotations

import os

import pytest

from tests.reliability.fuzz_targets import fuzz_all_apis
from tests.reliability.fuzzing import FuzzReport

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

# Positive and negative cases per operation; a few hundred per API in all.
BOUNDED_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES_IN_TESTS", "15"))


@pytest.fixture(scope="module")
def fuzz_reports(postgres_server: str) -> list[FuzzReport]:
    from tests.support import databases

    url = databases.create_database_from_template(postgres_server)
    try:
        return fuzz_all_apis(url, max_examples=BOUNDED_EXAMPLES)
    finally:
        databases.drop_database(url)


@pytest.mark.parametrize(
    "api", ["ticket_service", "analytics_open_service", "analytics_resolution_service", "analytics_category_service"]
)
def test_api_survives_fuzzing(fuzz_reports: list[FuzzReport], api: str) -> None:
    report = next(r for r in fuzz_reports if r.api == api)
    print(report.summary())
    # The run really exercised the API: every operation got cases, and errors were provoked.
    assert report.cases >= len(report.cases_per_operation) > 0, report.summary()
    assert not [code for code in report.statuses if code >= 500], report.summary()
    assert report.failures == {}, "\n\n".join(f"{k}\n{v}" for k, v in report.failures.items())
