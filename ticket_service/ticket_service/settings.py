"""Ticket service configuration, read from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import SettingsConfigDict

from campusdesk_common.settings import ServiceSettings

# The repository root when running from a checkout; `make run` keeps its SQLite file under ./var.
_DEFAULT_SQLITE = Path.cwd() / "var" / "campusdesk.sqlite3"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TICKET_SERVICE_", extra="ignore", frozen=True, populate_by_name=True)

    port: int = 8001
    # The standard DATABASE_URL: sqlite:///path or postgresql+psycopg://user:pass@host/db
    database_url: str = Field(
        default=f"sqlite:///{_DEFAULT_SQLITE}",
        validation_alias=AliasChoices("DATABASE_URL", "TICKET_SERVICE_DATABASE_URL"),
    )
    # Connections per worker process (PostgreSQL); SQLite uses one writer at a time anyway.
    db_pool_size: int = 10
    # Seconds a statement may run before the request fails with a 503 instead of hanging.
    db_statement_timeout: float = 5.0
    # Threads per worker process that embed and classify (never the event loop); more
    # threads than cores per worker only queue the same CPU (classifier/workers.py).
    model_threads: int = Field(default=1, ge=1, le=16)
    # The key private-link tokens are derived with (tokens.py). Unset: a random key created once
    # per install in `var_dir`; every worker of one install must see the same key.
    link_secret: SecretStr | None = None
    var_dir: Path = Path.cwd() / "var"
