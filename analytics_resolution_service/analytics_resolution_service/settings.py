"""analytics_resolution_service configuration, read from the environment (prefix `ANALYTICS_RESOLUTION_SERVICE_`)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from campusdesk_common.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="ANALYTICS_RESOLUTION_SERVICE_", extra="ignore", frozen=True, populate_by_name=True
    )

    port: int = 8003
    ticket_service_url: str = Field(
        default="http://127.0.0.1:8001",
        validation_alias=AliasChoices("TICKET_SERVICE_URL", "ANALYTICS_RESOLUTION_SERVICE_TICKET_SERVICE_URL"),
    )
