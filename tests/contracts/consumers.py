"""The consumers' own client code, driven against any provider (live processes or the tests' fakes),
with every answer it received and every model it parsed recorded in order."""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import BaseModel

from campusdesk_common.contracts.links import FixAnswerCreate
from campusdesk_common.contracts.registry import PROVIDERS, Operation
from campusdesk_common.contracts.tickets import MessageCreate, TicketCreate, TicketUpdate
from campusdesk_common.http_client import UpstreamClient
from tests.contracts.live import CAMPUS, jpeg_bytes
from tests.contracts.schemas import matching_operation
from web_gateway.analytics_api import AnalyticsApi
from web_gateway.ticket_api import LinkApi, TicketApi

ANALYTICS = ("analytics_open_service", "analytics_resolution_service", "analytics_category_service")
# Gateway client methods whose answer is not JSON, so no contract model applies.
NOT_JSON = {"AnalyticsApi.csv", "TicketApi.photo"}
# Answers that are bytes, not JSON, so the registry (JSON answers only) lists no model for them.
BINARY_ANSWERS = re.compile(r"^/photos/\d+(/thumbnail)?$")


@dataclass
class Received:
    """One answer a consumer received: from which provider, to which operation."""

    provider: str
    operation: Operation | None
    request: str
    response: httpx.Response
    parsed_with: list[type[BaseModel]] = field(default_factory=list)


@dataclass
class Log:
    received: list[Received] = field(default_factory=list)
    called: set[str] = field(default_factory=set)
    binary: list[str] = field(default_factory=list)  # answers that are bytes (photos)

    def transport(self, provider: str, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return _Recorder(self, provider, inner)


class _Recorder(httpx.AsyncBaseTransport):
    def __init__(self, log: Log, provider: str, inner: httpx.AsyncBaseTransport) -> None:
        self.log, self.provider, self.inner = log, provider, inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "GET" and BINARY_ANSWERS.match(request.url.path):
            self.log.binary.append(f"{request.method} {request.url} {response.status_code}")
            return response
        operation = matching_operation(set(PROVIDERS[self.provider]), request.method, request.url.path)
        self.log.received.append(Received(self.provider, operation, f"{request.method} {request.url}", response))
        return response


@contextmanager
def parses_recorded(log: Log) -> Iterator[None]:
    """Record which model parses JSON after each answer (consumers parse with `Model.model_validate_json`)."""
    original = BaseModel.__dict__["model_validate_json"].__func__

    def spy(cls: type[BaseModel], *args: Any, **kwargs: Any) -> BaseModel:
        if log.received:
            log.received[-1].parsed_with.append(cls)
        result: BaseModel = original(cls, *args, **kwargs)
        return result

    BaseModel.model_validate_json = classmethod(spy)  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        BaseModel.model_validate_json = classmethod(original)  # type: ignore[assignment,method-assign]


class _Tracked:
    """Records which methods of a client were called, to prove the script covers every one."""

    def __init__(self, target: object, called: set[str]) -> None:
        self._target, self._called = target, called

    def __getattr__(self, name: str) -> Any:
        self._called.add(f"{type(self._target).__name__}.{name}")
        return getattr(self._target, name)


def gateway_methods() -> set[str]:
    """Every public method of the gateway's clients that talks to a provider."""
    return {
        f"{cls.__name__}.{name}"
        for cls in (TicketApi, LinkApi, AnalyticsApi)
        for name, function in inspect.getmembers(cls, inspect.iscoroutinefunction)
        if not name.startswith("_") and name in vars(cls)  # an inherited method counts once, for its class
    }


async def drive_gateway(
    log: Log,
    transports: Callable[[str], httpx.AsyncBaseTransport],
    urls: dict[str, str],
    unsubscribe_token: Callable[[str], str],
) -> None:
    """Call every method of the gateway's ticket, link and analytics clients once, through `transports(provider)`.

    `unsubscribe_token(link_token)` is the unsubscribe token of an e-mail update sent to that link's address.
    """

    def client(provider: str) -> UpstreamClient:
        return UpstreamClient(provider, urls[provider], transport=log.transport(provider, transports(provider)))

    tickets = client("ticket_service")
    user: Any = _Tracked(TicketApi(tickets, "user"), log.called)
    staff: Any = _Tracked(TicketApi(tickets, "helpdesk"), log.called)
    analytics_clients = [client(name) for name in ANALYTICS]
    analytics: Any = _Tracked(AnalyticsApi(*analytics_clients), log.called)
    try:
        await staff.replace_directory(CAMPUS)
        await staff.preview_directory(CAMPUS)
        await user.directory()
        await user.rooms("library")
        photo = await user.upload_photo(jpeg_bytes(), "contract-photo")
        report = TicketCreate(
            description="The WiFi in room 2.14 drops every hour", room_code="LIB-101", photo_ids=[photo.id]
        )
        created = await user.create(report, "contract-1")
        assert created.private_link is not None
        reporter: Any = _Tracked(LinkApi(tickets, created.private_link.token), log.called)
        await reporter.state()
        await reporter.subscribe("reporter@campus.example")
        await user.photo(photo.id)
        await user.photo(photo.id, thumbnail=True)
        await staff.search([("status", "open")])
        current = await staff.get(created.id)
        await staff.update(created.id, TicketUpdate(status="active"), current.version)  # an e-mail update
        await user.unsubscribe(unsubscribe_token(created.private_link.token))
        await reporter.subscribe("reporter@campus.example")
        await reporter.stop_email()
        await user.follow(created.id, "contract-follow")
        await _closed_and_answered(user, staff, tickets, log)
        await user.lookup([created.private_link.token])
        await user.post_message(created.id, MessageCreate(body="It dropped again."), "contract-2")
        await reporter.mark_seen(0)
        await staff.messages(created.id)
        await staff.history(created.id)
        await staff.explanation(created.id)
        await user.similar("wifi room")
        await user.classify("The elevator in building B is stuck")
        await analytics.open_tickets([("days", "1")])
        await analytics.open_tickets([("days", "30")])
        await analytics.resolution_time([])
        await analytics.verified_fixes([])
        await analytics.active_by_category()
        await analytics.recurring_problems()
        await analytics.csv("category", [])
    finally:
        for upstream in (tickets, *analytics_clients):
            await upstream.aclose()


async def _closed_and_answered(user: Any, staff: Any, tickets: UpstreamClient, log: Log) -> None:
    """A report the helpdesk closes, and its reporter's answer to "Is it fixed?"."""
    closed = await user.create(TicketCreate(description="The elevator in building B is stuck"), "contract-3")
    assert closed.private_link is not None
    active = await staff.update(closed.id, TicketUpdate(status="active"), closed.version)
    await staff.update(closed.id, TicketUpdate(status="closed"), active.version)
    reporter: Any = _Tracked(LinkApi(tickets, closed.private_link.token), log.called)
    await reporter.answer_fix(FixAnswerCreate(answer="fixed"), "contract-fixed")


async def drive_analytics_services(log: Log, ticket_transport: httpx.AsyncBaseTransport, ticket_url: str) -> None:
    """Each analytics service in-process, its client to the ticket service going through `ticket_transport`."""
    queries = {
        "analytics_open_service": ["/open-tickets?hours=6", "/open-tickets?days=30"],
        "analytics_resolution_service": ["/resolution-time", "/verified-fixes"],
        "analytics_category_service": ["/active-by-category", "/recurring-problems"],
    }
    for service, paths in queries.items():
        app: FastAPI = importlib.import_module(f"{service}.main").create_app(
            importlib.import_module(f"{service}.settings").Settings()
        )
        async with app.router.lifespan_context(app):
            await app.state.tickets.aclose()
            app.state.tickets = UpstreamClient(
                "ticket service", ticket_url, transport=log.transport("ticket_service", ticket_transport)
            )
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://analytics") as api:
                for path in paths:
                    response = await api.get(path)
                    assert response.status_code == 200, (service, path, response.text[:300])
            await app.state.tickets.aclose()
