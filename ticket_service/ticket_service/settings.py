"""Ticket service configuration, read from the environment."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from campusdesk_common.settings import ServiceSettings
from ticket_service.mail.addresses import sender_address
from ticket_service.mail.smtp_url import SmtpServer, parse_smtp_url

# The repository root when running from a checkout; `make run` keeps its SQLite file under ./var.
_DEFAULT_SQLITE = Path.cwd() / "var" / "campusdesk.sqlite3"


class Settings(ServiceSettings):
    # hide_input_in_errors: a refused SMTP_URL may hold a password; the error names the field, not the value.
    model_config = SettingsConfigDict(
        env_prefix="TICKET_SERVICE_", extra="ignore", frozen=True, populate_by_name=True, hide_input_in_errors=True
    )

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

    # E-mail updates (mail/): unset SMTP_URL turns them off and the option is hidden.
    # smtp://host:port, smtp+starttls://user:password@host:port or smtps://… (user and password percent-encoded).
    smtp_url: SecretStr | None = Field(default=None, validation_alias="SMTP_URL")
    smtp_from: str = Field(default="CampusDesk <campusdesk@localhost>", validation_alias="SMTP_FROM")
    # The gateway's public address: the private and unsubscribe links in messages start with it.
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")
    # A delivery that failed is tried again after 30 s, 1 min, 2 min, … at most an hour apart (with jitter).
    mail_retry_min_seconds: float = Field(default=30.0, gt=0)
    mail_retry_max_seconds: float = Field(default=3600.0, gt=0)
    mail_max_attempts: int = Field(default=12, ge=1)
    # One SMTP conversation may take this long; a worker claims this many messages at a time.
    mail_send_timeout: float = Field(default=30.0, gt=0)
    mail_batch_size: int = Field(default=10, ge=1, le=100)
    # The sender looks for due messages this often even when no commit woke it (other workers' events).
    mail_poll_seconds: float = Field(default=5.0, gt=0)
    # How often addresses of tickets closed EMAIL_RETENTION_DAYS ago are erased.
    mail_erase_every_seconds: float = Field(default=600.0, gt=0)

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url_is_valid(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and value.get_secret_value():
            parse_smtp_url(value.get_secret_value())
        return value if value is not None and value.get_secret_value() else None

    @field_validator("smtp_from")
    @classmethod
    def _smtp_from_is_an_address(cls, value: str) -> str:
        sender_address(value)
        return value

    @property
    def smtp_server(self) -> SmtpServer | None:
        """Where messages are handed over; None when e-mail updates are off."""
        return None if self.smtp_url is None else parse_smtp_url(self.smtp_url.get_secret_value())
