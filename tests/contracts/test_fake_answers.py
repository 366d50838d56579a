"""Every answer the tests' fakes give a consumer validates against the provider's live `/openapi.json`,
with no key the provider does not send."""

from __future__ import annotations

import httpx

from campusdesk_common.contracts.registry import PROVIDERS
from tests.contracts.consumers import Log, drive_gateway
from tests.contracts.live import Provider
from tests.contracts.schemas import closed, live_response_schema, violations
from tests.web_gateway import fakes


def _invalid(provider: Provider, operation: tuple[str, str], status: int, body: object) -> list[str]:
    schema = live_response_schema(provider.document, operation, status)
    return violations(body, closed(schema if schema is not None else {"not": {}}))


def test_every_sample_answer_of_the_gateway_fakes_is_what_the_provider_sends(providers: dict[str, Provider]) -> None:
    samples = fakes.sample_answers()
    problems = [
        f"{name} {operation}: {line}"
        for name, answers in samples.items()
        for operation, model in answers.items()
        for line in _invalid(
            providers[name], operation, PROVIDERS[name][operation].status, model.model_dump(mode="json")
        )
    ]
    assert problems == []
    assert {(name, op) for name, answers in samples.items() for op in answers} <= {
        (name, op) for name, operations in PROVIDERS.items() for op in operations
    }


async def test_every_answer_the_stateful_fakes_give_the_gateway_is_what_the_provider_sends(
    providers: dict[str, Provider],
) -> None:
    tickets, analytics = fakes.FakeTicketService(), fakes.FakeAnalytics()
    log = Log()

    def transport(name: str) -> httpx.AsyncBaseTransport:
        return httpx.MockTransport(tickets.handler if name == "ticket_service" else analytics.handler)

    # The fake unsubscribes by the link's own token: it sends no e-mail to take one from.
    await drive_gateway(log, transport, {name: f"http://{name}" for name in PROVIDERS}, lambda token: token)
    problems = []
    for received in log.received:
        assert received.operation is not None, received.request
        status = PROVIDERS[received.provider][received.operation].status
        assert received.response.status_code == status, (received.request, received.response.text)
        if received.response.headers.get("content-type", "").startswith("application/json"):
            body = received.response.json()
            problems += [
                f"{received.request}: {line}"
                for line in _invalid(providers[received.provider], received.operation, status, body)
            ]
    assert problems == []
    assert {r.operation for r in log.received if r.provider == "ticket_service"} >= {
        op for op in PROVIDERS["ticket_service"] if not op[1].startswith("/stats/")
    }
