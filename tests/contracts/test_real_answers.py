"""Real answers of the running providers hold to the registry's models, with extra="forbid" semantics:
no unknown key, no missing required key, every value of the declared type. The analytics services
serialise their answers themselves, so their documents alone prove nothing about what they send."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from campusdesk_common.contracts.registry import PROVIDERS
from tests.contracts.live import Provider, RealAnswer
from tests.contracts.schemas import closed, live_response_schema, model_schema, violations


def test_every_registered_operation_was_called(answers: list[RealAnswer]) -> None:
    called = {(a.provider, a.operation) for a in answers}
    registered = {(provider, operation) for provider, operations in PROVIDERS.items() for operation in operations}
    assert registered - called == set(), "add a call for these operations to tests/contracts/live.py"


def test_every_real_answer_is_the_registered_model_and_nothing_more(
    answers: list[RealAnswer], providers: dict[str, Provider]
) -> None:
    problems = []
    for answer in answers:
        status, model = PROVIDERS[answer.provider][answer.operation]
        response = answer.response
        if response.status_code != status:
            problems.append(f"{answer.request}: {response.status_code} {response.text[:300]}")
            continue
        body = response.json()
        for line in violations(body, closed(model_schema(model))):
            problems.append(f"{answer.request} against {model.__name__}: {line}")
        live = live_response_schema(providers[answer.provider].document, answer.operation, status)
        for line in violations(body, closed(live or {"not": {}})):
            problems.append(f"{answer.request} against its own /openapi.json: {line}")
        model.model_validate_json(response.content)
    assert problems == []


# Arrays no real answer of that operation can fill: only a closed ticket has follow-ups, and a
# closed ticket is neither created nor changed.
NEVER_FILLED = {
    "ticket_service ('POST', '/tickets')": {"$.followed_up_by"},
    "ticket_service ('PATCH', '/tickets/{ticket_id}')": {"$.followed_up_by"},
}


def test_the_answers_have_content_so_every_nested_model_is_checked(answers: list[RealAnswer]) -> None:
    empty: dict[str, set[str]] = defaultdict(set)
    filled: dict[str, set[str]] = defaultdict(set)
    for answer in answers:
        if answer.response.is_success:
            key = f"{answer.provider} {answer.operation}"
            _lists(answer.response.json(), "$", empty[key], filled[key])
    unchecked = {key: paths - filled[key] - NEVER_FILLED.get(key, set()) for key, paths in empty.items()}
    assert {key: paths for key, paths in unchecked.items() if paths} == {}


def _lists(value: Any, where: str, empty: set[str], filled: set[str]) -> None:
    """Record which arrays (by path, items as [*]) were empty and which had items."""
    if isinstance(value, dict):
        for key, item in value.items():
            _lists(item, f"{where}.{key}", empty, filled)
    elif isinstance(value, list):
        (filled if value else empty).add(where)
        for item in value:
            _lists(item, f"{where}[*]", empty, filled)
