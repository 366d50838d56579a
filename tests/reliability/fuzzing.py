"""Schemathesis (v4) against a running service's OpenAPI: no 5xx, documented statuses,
content types and schemas, and every error an RFC 9457 problem.

Used by `test_fuzz.py` (a bounded run in `make test`) and by `make fuzz`
(`python -m tests.reliability.fuzz`, thousands of cases per API).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks as core_checks
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi import checks as openapi_checks

PROBLEM_MEDIA_TYPE = "application/problem+json"
# What must hold for every response (the negative-data check only acts on negative cases).
CHECKS = [
    core_checks.not_a_server_error,
    openapi_checks.status_code_conformance,
    openapi_checks.content_type_conformance,
    openapi_checks.response_schema_conformance,
    openapi_checks.negative_data_rejection,
]
MODES = (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)


@dataclass
class FuzzReport:
    api: str
    cases: int = 0
    unsendable: int = 0
    seconds: float = 0.0
    statuses: Counter[int] = field(default_factory=Counter)
    cases_per_operation: Counter[str] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)

    def add_failure(self, key: str, message: str) -> None:
        # One example per distinct failure is enough to reproduce it.
        self.failures.setdefault(key, message[:3000])

    def summary(self) -> str:
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(self.statuses.items()))
        return (
            f"{self.api}: {self.cases} cases over {len(self.cases_per_operation)} operations "
            f"in {self.seconds:.1f} s; statuses {{{statuses}}}; {self.unsendable} not sendable by the client; "
            f"{len(self.failures)} distinct failures"
        )


def _header(response: Any, name: str) -> str:
    for key, value in response.headers.items():
        if key.lower() == name:
            return str(value[0] if isinstance(value, list) else value)
    return ""


def problem_failure(response: Any) -> str | None:
    """Why an error response is not a well-formed problem+json, or None if it is."""
    if response.status_code < 400:
        return None
    content_type = _header(response, "content-type")
    if not content_type.startswith(PROBLEM_MEDIA_TYPE):
        return f"error {response.status_code} has content type {content_type!r}, not {PROBLEM_MEDIA_TYPE}"
    try:
        body = response.json()
    except ValueError:
        return f"error {response.status_code} body is not JSON"
    if not isinstance(body, dict):
        return f"error {response.status_code} body is not an object"
    missing = [key for key in ("type", "title", "status", "detail") if key not in body]
    if missing:
        return f"error {response.status_code} problem lacks {missing}"
    if body["status"] != response.status_code:
        return f"problem status {body['status']} differs from HTTP status {response.status_code}"
    return None


def fuzz_api(
    api: str,
    base_url: str,
    *,
    max_examples: int,
    derandomize: bool = True,
    exclude_paths: tuple[str, ...] = (),
    positive_headers: list[dict[str, str]] | None = None,
) -> FuzzReport:
    """Run `max_examples` positive and `max_examples` negative cases per operation of `base_url`.

    `positive_headers`: fixed headers for positive cases, one run per entry (e.g. each valid role,
    which a generator would otherwise rarely guess); negative cases generate every header freely.
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json", wait_for_schema=10)
    # Refusing an oversized request line or head (414, 431) is a rejection too; the services
    # document both on every operation (campusdesk_common.http_limits).
    rejection = schema.config.checks.negative_data_rejection
    rejection.expected_statuses = [*rejection.expected_statuses, "414", "431"]
    report = FuzzReport(api)
    session = requests.Session()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in exclude_paths:
            continue
        label = f"{operation.method.upper()} {operation.path}"
        for fixed in positive_headers or [{}]:
            _fuzz_operation(report, operation, label, MODES[0], session, base_url, max_examples, derandomize, fixed)
        _fuzz_operation(report, operation, label, MODES[1], session, base_url, max_examples, derandomize, {})
    report.seconds = time.monotonic() - started
    session.close()
    return report


def _fuzz_operation(
    report: FuzzReport,
    operation: Any,
    label: str,
    mode: schemathesis.GenerationMode,
    session: requests.Session,
    base_url: str,
    max_examples: int,
    derandomize: bool,
    fixed_headers: dict[str, str],
) -> None:
    try:
        strategy = operation.as_strategy(generation_mode=mode, headers=fixed_headers or None)
    except Exception as exc:  # e.g. nothing to negate in an operation without parameters
        report.cases_per_operation[label] += 0
        _ = exc
        return

    @settings(
        max_examples=max_examples,
        deadline=None,
        database=None,
        derandomize=derandomize,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False,
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        report.cases += 1
        report.cases_per_operation[label] += 1
        try:
            response = case.call(base_url=base_url, session=session, timeout=15)
        except (UnicodeError, ValueError, requests.exceptions.InvalidHeader) as exc:
            # The HTTP client itself cannot send it (e.g. a header outside latin-1): no request was made.
            report.unsendable += 1
            report.cases -= 1
            report.cases_per_operation[label] -= 1
            _ = exc
            return
        except requests.RequestException as exc:
            report.add_failure(f"{label} {mode}: transport {type(exc).__name__}", f"{exc}\n{case.as_curl_command()}")
            return
        report.statuses[response.status_code] += 1
        why = problem_failure(response)
        if why:
            report.add_failure(f"{label} {mode}: {why}", f"{why}\n{case.as_curl_command()}\n{response.text[:500]!r}")
        try:
            case.validate_response(response, checks=CHECKS)
        except FailureGroup as group:
            for failure in group.exceptions:
                report.add_failure(f"{label} {mode}: {failure.title}", str(group))

    try:
        run()
    except Exception as exc:  # hypothesis could not generate (Unsatisfiable etc.): not a service failure
        if type(exc).__name__ not in ("Unsatisfiable", "FailedHealthCheck"):
            import traceback

            report.add_failure(f"{label} {mode}: runner {type(exc).__name__}", traceback.format_exc())
