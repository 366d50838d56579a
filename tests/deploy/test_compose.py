"""docker-compose.yml and the Dockerfiles are validated here, since no Docker engine runs on CI."""

from __future__ import annotations

import re
import subprocess
import sys
from ipaddress import ip_address
from pathlib import Path
from typing import Any

import pytest
import yaml

from web_gateway.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SERVICES = [
    "ticket_service",
    "analytics_open_service",
    "analytics_resolution_service",
    "analytics_category_service",
    "web_gateway",
]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_compose_file_matches_the_compose_specification() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec", "docker-compose.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_depends_on_names_a_real_service_and_waits_for_health(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            assert rule == {"condition": "service_healthy"}
            assert "healthcheck" in services[dependency] or _dockerfile_has_healthcheck(services[dependency])


def _dockerfile_has_healthcheck(service: dict[str, Any]) -> bool:
    dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
    return "HEALTHCHECK" in dockerfile.read_text()


def test_every_build_context_and_dockerfile_exists(compose: dict[str, Any]) -> None:
    built = {name: s["build"] for name, s in compose["services"].items() if "build" in s}
    assert sorted(built) == sorted(SERVICES)
    for build in built.values():
        context = ROOT / build["context"]
        assert context.is_dir()
        assert (context / build["dockerfile"]).is_file()


@pytest.mark.parametrize("service", SERVICES)
def test_every_copy_source_exists_and_image_runs_as_non_root(service: str) -> None:
    text = (ROOT / service / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim", text, re.MULTILINE)
    assert re.search(r"^USER (?!root)\S+", text, re.MULTILINE)
    copies = re.findall(r"^COPY\s+(?!--from)(.+)$", text, re.MULTILINE)
    assert copies
    for line in copies:
        *sources, _target = line.split()
        for source in sources:
            assert (ROOT / source).exists(), f"{service}/Dockerfile copies missing {source}"


def test_only_the_proxy_publishes_a_port_and_it_fronts_the_gateway(compose: dict[str, Any]) -> None:
    published = [name for name, s in compose["services"].items() if s.get("ports")]
    assert published == ["mailpit", "proxy"]
    # Mailpit's web UI (the e-mail updates it caught) is published on the loopback interface only.
    assert compose["services"]["mailpit"]["ports"] == ["127.0.0.1:${MAILPIT_PORT:-8025}:8025"]
    proxy = compose["services"]["proxy"]
    assert proxy["volumes"] == ["./deploy/nginx:/etc/nginx/campusdesk:ro"]
    assert "/etc/nginx/campusdesk/campusdesk.conf" in proxy["command"]
    assert proxy["read_only"] is True and not proxy["user"].startswith("0")
    assert "server web_gateway:8000;" in (ROOT / "deploy" / "nginx" / "campusdesk.conf").read_text()


def test_the_gateway_counts_clients_behind_the_proxy_not_the_proxy(compose: dict[str, Any]) -> None:
    # Without trusted proxies every person would share nginx's address, and one per-address limit.
    value = compose["services"]["web_gateway"]["environment"]["WEB_GATEWAY_TRUSTED_PROXIES"]
    default = re.fullmatch(r"\$\{WEB_GATEWAY_TRUSTED_PROXIES:-(.+)\}", value)
    assert default is not None, value
    trusted = Settings(trusted_proxies=default.group(1)).trusted_proxies
    assert any(ip_address("172.18.0.5") in network for network in trusted)  # a compose network address
    assert not any(ip_address("203.0.113.9") in network for network in trusted)  # a public client


def test_secrets_have_no_production_defaults(compose: dict[str, Any]) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    assert "${POSTGRES_PASSWORD:?" in text
    assert "${WEB_GATEWAY_SECRET_KEY:?" in text
    assert "${TICKET_SERVICE_LINK_SECRET:?" in text
    assert compose["services"]["postgres"]["volumes"][0].startswith("postgres-data:")
    assert "healthcheck" in compose["services"]["postgres"]


def test_no_package_registry_address_is_committed() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    pattern = re.compile(r"(pypi\.org|files\.pythonhosted|registry\.npmjs|--index-url|--extra-index-url|deb\.debian)")
    offenders = [
        path
        for path in tracked
        if (ROOT / path).is_file()
        and path != "tests/deploy/test_compose.py"
        and pattern.search((ROOT / path).read_text(errors="ignore"))
    ]
    assert offenders == []
