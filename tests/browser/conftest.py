"""Browser tests: the five real services on loopback, driven by Debian's headless Chromium.

One service stack and one browser per module keep the tests fast; each test
opens its own browser contexts (its own cookies), so tests stay independent.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support import databases
from tests.support.services import REPO_ROOT, ServiceProcess, free_port

playwright_sync = pytest.importorskip("playwright.sync_api")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
AXE_SOURCE = Path(__file__).parent / "vendor" / "axe-4.10.3.min.js"
SCREENSHOTS = REPO_ROOT / "docs" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}

pytestmark = pytest.mark.browser


class Stack:
    def __init__(self, services: list[ServiceProcess]) -> None:
        self.services = services
        self.ticket_url = services[0].url
        self.gateway_url = services[-1].url


@pytest.fixture(scope="module")
def stack_env() -> dict[str, str]:
    """More environment for every service of a module's stack; a module overrides it (e.g. SMTP_URL for e-mail)."""
    return {}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, stack_env: dict[str, str]) -> Iterator[Stack]:
    """Ticket service (SQLite), the three analytics services and the gateway, as real processes."""
    folder = tmp_path_factory.mktemp("browser-stack")
    template = databases.create_sqlite_template(folder)
    database_url = databases.copy_sqlite(template, folder)
    ticket_port, gateway_port = free_port(), free_port()
    env = {
        **stack_env,
        "DATABASE_URL": database_url,
        "TICKET_SERVICE_DATABASE_URL": database_url,
        "TICKET_SERVICE_URL": f"http://127.0.0.1:{ticket_port}",
        "WEB_GATEWAY_SECRET_KEY": "browser-test-secret",
        "WEB_GATEWAY_MESSAGE_POLL_SECONDS": "2",
        # The journeys check badges right after filing tickets: no minute-old answer.
        "WEB_GATEWAY_RECURRING_BADGE_MAX_AGE": "0",
        # Private links, on the page and in e-mail updates, lead to this stack's gateway.
        "TICKET_SERVICE_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
        "WEB_GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{gateway_port}",
    }
    services = [ServiceProcess("ticket_service", env, port=ticket_port)]
    try:
        services[0].start(timeout=60)
        for name in ("analytics_open_service", "analytics_resolution_service", "analytics_category_service"):
            services.append(ServiceProcess(name, env).start())
        gateway_env = {**env, **{f"{s.name.upper()}_URL": s.url for s in services[1:]}}
        services.append(ServiceProcess("web_gateway", gateway_env, port=gateway_port).start())
        yield Stack(services)
    finally:
        for service in reversed(services):
            service.stop()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed: run `bash scripts/ensure-debian-packages.sh`")
    with playwright_sync.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium: Any, stack: Stack) -> Iterator[Callable[..., Any]]:
    """open_page(role=None, viewport=DESKTOP, javascript=True) -> a Page on the gateway, with that role chosen."""
    contexts: list[Any] = []

    def factory(role: str | None = None, viewport: dict[str, int] = DESKTOP, javascript: bool = True) -> Any:
        context = chromium.new_context(
            viewport=viewport, base_url=stack.gateway_url, java_script_enabled=javascript, locale="en-GB"
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.csp_violations = []
        page.dialogs = []
        page.on(
            "console",
            lambda message: (
                page.csp_violations.append(message.text) if "Content Security Policy" in message.text else None
            ),
        )

        def on_dialog(dialog: Any) -> None:
            page.dialogs.append((dialog.type, dialog.message))
            if dialog.type == "confirm":
                dialog.accept()
            else:
                dialog.dismiss()

        page.on("dialog", on_dialog)
        page.goto("/")
        if role is not None:
            page.get_by_role("button", name="Simple user" if role == "user" else "Helpdesk staff").click()
            # With JavaScript the choice is an htmx (boosted) navigation: wait until it has landed.
            page.wait_for_url(re.compile(r"/tickets"))
            page.wait_for_load_state()
        return page

    yield factory
    for context in contexts:
        context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page (axe injected over the DevTools protocol)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE.read_text(encoding="utf-8") + "\n;undefined")
    results = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'],"
        " runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def screenshot(page: Any, name: str) -> None:
    """Save docs/screenshots/<name>.png when CAMPUSDESK_SCREENSHOTS=1 (so `make test` leaves the tree clean)."""
    if os.environ.get("CAMPUSDESK_SCREENSHOTS") != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
