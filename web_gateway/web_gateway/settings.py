"""Web gateway configuration, read from the environment (prefix `WEB_GATEWAY_`)."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network, ip_network
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from campusdesk_common.contracts.links import MAX_LOOKUP
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
    # Signs CSRF tokens. Production sets it; a local run without it gets a random
    # per-install secret kept in `var_dir` (never a default baked into the code).
    secret_key: SecretStr | None = None
    var_dir: Path = Path("var")
    # Cookies marked Secure when the gateway is served over HTTPS.
    secure_cookies: bool = False
    # A form's write that got no answer (timeout, dropped connection) is re-sent with the same
    # Idempotency-Key up to this many times, within this many seconds, before the person is told.
    write_recovery_attempts: int = Field(default=3, ge=0, le=10)
    write_recovery_seconds: float = Field(default=6.0, gt=0, le=30)
    # Where people reach the gateway: the QR codes on the walls carry absolute addresses built from
    # this, never from the request's Host header (which a client chooses).
    public_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^/?#\s]+(/[^?#\s]*)?$")
    # Seconds between two polls of a thread for new messages.
    message_poll_seconds: int = 3
    # How old the "Recurring" badges' answer may be before a process asks the category
    # analytics service again (it changes slowly; asking on every staff page would not).
    recurring_badge_max_age: float = Field(default=60.0, ge=0)
    # "My tickets": how many private links one browser keeps in its signed cookie (the newest).
    my_tickets_max: int = Field(default=50, ge=1, le=MAX_LOOKUP)
    # Anonymous writes (role `user`) allowed per client address within `rate_limit_window_seconds`,
    # counted by each gateway process on its own (see README).
    rate_limit_window_seconds: float = Field(default=600.0, gt=0)
    rate_limit_tickets: int = Field(default=10, ge=1)
    rate_limit_messages: int = Field(default=30, ge=1)
    rate_limit_follows: int = Field(default=20, ge=1)
    rate_limit_fix_answers: int = Field(default=10, ge=1)
    # Peers (addresses or networks, comma-separated) whose X-Forwarded-For entry names the client:
    # the reverse proxy in front of the gateway. Anyone else's X-Forwarded-For is ignored.
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode] = Field(default_factory=list)

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()]
        return value
