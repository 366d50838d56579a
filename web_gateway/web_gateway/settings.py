"""Web gateway configuration, read from the environment (prefix `WEB_GATEWAY_`)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from campusdesk_common.settings import ServiceSettings


def _service_url(name: str, port: int) -> str:
    return Field(
        default=f"http://127.0.0.1:{port}",
        validation_alias=AliasChoices(f"{name}_URL", f"WEB_GATEWAY_{name}_URL"),
    )


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_GATEWAY_", extra="ignore", frozen=True, populate_by_name=True)

    port: int = 8000
    ticket_service_url: str = _service_url("TICKET_SERVICE", 8001)
    analytics_open_service_url: str = _service_url("ANALYTICS_OPEN_SERVICE", 8002)
    analytics_resolution_service_url: str = _service_url("ANALYTICS_RESOLUTION_SERVICE", 8003)
    analytics_category_service_url: str = _service_url("ANALYTICS_CATEGORY_SERVICE", 8004)
