"""The ticket service answers with the contract classes themselves, not with copies of them.

A copy with the same fields passes a schema comparison today and drifts tomorrow; this
checks identity: each registered operation's route declares the registry's class and status.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime, timedelta

from fastapi.routing import APIRoute

from campusdesk_common.contracts import links, places, stats, tickets
from campusdesk_common.contracts.registry import PROVIDERS
from campusdesk_common.contracts.stats import (
    ActiveCounts,
    HistogramBin,
    HourCount,
    MonthResolutionFacts,
    OpenTicketCounts,
    ResolutionMonthly,
)
from campusdesk_common.vocabulary import CATEGORIES
from ticket_service import routes
from ticket_service.routes import classification, email_updates, messages, photos
from ticket_service.routes import links as link_routes
from ticket_service.routes import places as places_routes
from ticket_service.routes import stats as stats_routes
from ticket_service.routes import tickets as ticket_routes
from ticket_service.routes.responses import many_cells_response

ROUTE_MODULES = (
    classification,
    ticket_routes,
    messages,
    stats_routes,
    places_routes,
    photos,
    link_routes,
    email_updates,
)


def test_every_route_module_is_checked() -> None:
    with_router = {
        module.name
        for module in pkgutil.iter_modules(routes.__path__)
        if hasattr(importlib.import_module(f"ticket_service.routes.{module.name}"), "router")
    }
    assert with_router == {module.__name__.rsplit(".", 1)[1] for module in ROUTE_MODULES}


def test_every_operation_declares_the_registered_contract_class() -> None:
    declared = {
        (method, route.path): (route.status_code or 200, route.response_model)
        for module in ROUTE_MODULES
        for route in module.router.routes
        # The photo bytes are no JSON answer: the registry lists none for them.
        if isinstance(route, APIRoute) and route.response_model is not None
        for method in route.methods
    }
    registered = {op: (answer.status, answer.model) for op, answer in PROVIDERS["ticket_service"].items()}
    assert declared == registered


def test_the_routes_define_no_models_of_their_own() -> None:
    for module in ROUTE_MODULES:
        for name, value in vars(module).items():
            if isinstance(value, type) and hasattr(value, "model_fields"):
                contracts = {tickets.__name__, stats.__name__, places.__name__, links.__name__}
                assert value.__module__ in contracts, (module.__name__, name)


def test_the_fast_stats_serialisation_writes_what_the_contract_would() -> None:
    start = datetime(2026, 3, 10, 10, 30, 0, 250_000, tzinfo=UTC)
    answers = [
        OpenTicketCounts(
            since=start,
            until=start + timedelta(days=3),
            cells=[
                HourCount(hour=datetime(2026, 3, 10, h, tzinfo=UTC), category=c, count=h + 1)
                for h in range(24)
                for c in CATEGORIES
            ],
        ),
        ResolutionMonthly(
            first="2026-01",
            last="2026-03",
            categories=list(CATEGORIES),
            months=[
                MonthResolutionFacts(
                    month="2026-01",
                    closed_count=3,
                    total_resolution_seconds=seconds,
                    histogram=[HistogramBin(bucket=0, count=1), HistogramBin(bucket=97, count=2)],
                )
                for seconds in (0.0, 0.1 + 0.2, 72000.25, 1e20, 123456789.123456)
            ],
        ),
        ActiveCounts(active=dict.fromkeys(CATEGORIES, 7)),
    ]
    for answer in answers:
        assert many_cells_response(answer).body == answer.model_dump_json().encode()
