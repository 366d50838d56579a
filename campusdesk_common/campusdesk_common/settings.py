"""Settings base: every service reads its configuration from environment variables."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Where a service listens and how it logs.

    Subclasses set `env_prefix` (for example `TICKET_SERVICE_`), so
    `TICKET_SERVICE_PORT=9001` moves the ticket service.
    """

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Seconds a request to another service may take before we give up on it.
    upstream_timeout: float = 1.5
