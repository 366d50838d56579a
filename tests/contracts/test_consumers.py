"""Each consumer parses every answer it receives with the registry's model for that operation.

The consumers' own client code runs against the live providers; every answer it receives is
recorded with the models that parsed it. A consumer reading an answer as a dict, or with a
model of its own, or calling an operation the registry does not list, fails here.
"""

from __future__ import annotations

import httpx

from campusdesk_common.contracts.registry import PROVIDERS
from tests.contracts.consumers import (
    NOT_JSON,
    Log,
    drive_analytics_services,
    drive_gateway,
    gateway_methods,
    parses_recorded,
)
from tests.contracts.live import Provider
from tests.support.smtp_sink import SmtpSink, mail_mentioning, unsubscribe_token


def _misread(log: Log) -> list[str]:
    problems = []
    for received in log.received:
        if received.operation is None:
            problems.append(f"{received.request}: not an operation the registry lists for {received.provider}")
            continue
        status, model = PROVIDERS[received.provider][received.operation]
        is_json = received.response.headers.get("content-type", "").startswith("application/json")
        if received.response.status_code == status and is_json and model not in received.parsed_with:
            problems.append(f"{received.request}: parsed with {received.parsed_with}, not {model.__name__}")
    return problems


async def test_the_gateway_parses_every_answer_with_the_registry_model(
    providers: dict[str, Provider], mail: SmtpSink
) -> None:
    log = Log()
    urls = {name: provider.url for name, provider in providers.items()}

    def unsubscribe_token_of(link_token: str) -> str:
        return unsubscribe_token(mail_mentioning(mail, link_token))

    with parses_recorded(log):
        await drive_gateway(log, lambda _: httpx.AsyncHTTPTransport(), urls, unsubscribe_token_of)
    assert gateway_methods() - NOT_JSON - log.called == set(), "drive these in tests/contracts/consumers.py"
    assert {r.provider for r in log.received} == set(PROVIDERS)
    assert all(r.response.is_success for r in log.received), [(r.request, r.response.text) for r in log.received]
    assert _misread(log) == []


async def test_the_analytics_services_parse_the_stats_with_the_registry_models(providers: dict[str, Provider]) -> None:
    log = Log()
    ticket_url = providers["ticket_service"].url
    with parses_recorded(log):
        await drive_analytics_services(log, httpx.AsyncHTTPTransport(), ticket_url)
    stats = {operation for operation in PROVIDERS["ticket_service"] if operation[1].startswith("/stats/")}
    assert {r.operation for r in log.received} == stats
    assert _misread(log) == []


async def test_a_consumer_reading_an_answer_as_a_dict_is_reported(providers: dict[str, Provider]) -> None:
    log = Log()
    transport = log.transport("ticket_service", httpx.AsyncHTTPTransport())
    with parses_recorded(log):
        async with httpx.AsyncClient(transport=transport, base_url=providers["ticket_service"].url) as client:
            (await client.get("/tickets", headers={"X-Role": "helpdesk"})).json()
    assert _misread(log) == [f"GET {providers['ticket_service'].url}/tickets: parsed with [], not TicketPage"]
