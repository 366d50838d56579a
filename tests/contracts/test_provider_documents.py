"""Each provider's live `/openapi.json` documents every registered operation with the contract's model."""

from __future__ import annotations

import pytest

from campusdesk_common.contracts.registry import PROVIDERS, Answer, Operation
from tests.contracts.live import Provider
from tests.contracts.schemas import drift, live_operations, live_response_schema, model_schema

REGISTERED = [
    pytest.param(provider, operation, answer, id=f"{provider} {operation[0]} {operation[1]}")
    for provider, operations in PROVIDERS.items()
    for operation, answer in operations.items()
]


@pytest.mark.parametrize(("provider", "operation", "answer"), REGISTERED)
def test_live_answer_schema_is_the_contract_model(
    providers: dict[str, Provider], provider: str, operation: Operation, answer: Answer
) -> None:
    document = providers[provider].document
    assert operation in live_operations(document), f"{provider} does not serve {operation}"
    live = live_response_schema(document, operation, answer.status)
    assert live is not None, f"{provider} documents no JSON answer {answer.status} for {operation}"
    differences = drift(live, model_schema(answer.model))
    assert differences == [], f"{provider} {operation} drifted from {answer.model.__name__}:\n" + "\n".join(differences)
