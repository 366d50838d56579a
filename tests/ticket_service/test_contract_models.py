"""The ticket service answers with the contract classes themselves, not with copies of them.

A copy with the same fields passes a schema comparison today and drifts tomorrow; this
checks identity: each registered operation's route declares the registry's class and status.
"""

from __future__ import annotations

from fastapi.routing import APIRoute

from campusdesk_common.contracts import stats, tickets
from campusdesk_common.contracts.registry import PROVIDERS
from ticket_service.routes import classification, messages
from ticket_service.routes import stats as stats_routes
from ticket_service.routes import tickets as ticket_routes

ROUTE_MODULES = (classification, ticket_routes, messages, stats_routes)


def test_every_operation_declares_the_registered_contract_class() -> None:
    declared = {
        (method, route.path): (route.status_code or 200, route.response_model)
        for module in ROUTE_MODULES
        for route in module.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods
    }
    registered = {op: (answer.status, answer.model) for op, answer in PROVIDERS["ticket_service"].items()}
    assert declared == registered


def test_the_routes_define_no_models_of_their_own() -> None:
    for module in ROUTE_MODULES:
        for name, value in vars(module).items():
            if isinstance(value, type) and hasattr(value, "model_fields"):
                assert value.__module__ in {tickets.__name__, stats.__name__}, (module.__name__, name)
