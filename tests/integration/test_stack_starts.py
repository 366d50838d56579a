"""The five services start as real processes (as `make run` starts them) and find each other."""

from __future__ import annotations

import httpx

from tests.support.services import ServiceProcess, free_port


def test_all_five_services_answer_health_and_ready(sqlite_url: str) -> None:
    ticket_port = free_port()
    ticket_url = f"http://127.0.0.1:{ticket_port}"
    env = {"DATABASE_URL": sqlite_url, "TICKET_SERVICE_URL": ticket_url, "WEB_GATEWAY_SECRET_KEY": "test-secret"}
    services = [ServiceProcess("ticket_service", env, port=ticket_port)]
    services += [
        ServiceProcess(name, env)
        for name in ("analytics_open_service", "analytics_resolution_service", "analytics_category_service")
    ]
    try:
        for service in services:
            service.start()
        gateway_env = {**env, **{f"{s.name.upper()}_URL": s.url for s in services[1:]}}
        services.append(ServiceProcess("web_gateway", gateway_env).start())
        for service in services:
            assert httpx.get(f"{service.url}/health").status_code == 200
            ready = httpx.get(f"{service.url}/ready")
            assert ready.status_code == 200, (service.name, ready.text)
            assert httpx.get(f"{service.url}/openapi.json").status_code == 200
    finally:
        for service in reversed(services):
            service.stop()
