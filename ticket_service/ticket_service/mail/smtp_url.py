"""`SMTP_URL`: where e-mail updates are handed over, parsed once at start-up."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import unquote, urlsplit

Security = Literal["plain", "starttls", "tls"]

# scheme -> (how the connection is secured, the port when none is given)
_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}
EXPECTED = "smtp://host:port, smtp+starttls://user:password@host:port or smtps://user:password@host:port"


@dataclass(frozen=True)
class SmtpServer:
    """An SMTP server and how to log in to it; the password never appears in a repr or a log line."""

    host: str
    port: int
    security: Security
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """For logs: scheme, host and port, never the credentials."""
        scheme = next(name for name, (security, _) in _SCHEMES.items() if security == self.security)
        return f"{scheme}://{self.host}:{self.port}"


def parse_smtp_url(url: str) -> SmtpServer:
    """The server an `SMTP_URL` names; ValueError (without the URL, which may hold a password) otherwise."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise ValueError(f"SMTP_URL is not a URL; expected {EXPECTED}") from None
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"SMTP_URL must start with smtp://, smtp+starttls:// or smtps://; expected {EXPECTED}")
    if not parts.hostname:
        raise ValueError(f"SMTP_URL names no host; expected {EXPECTED}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"SMTP_URL takes no path, query or fragment; expected {EXPECTED}")
    if port == 0:
        raise ValueError("SMTP_URL's port must be between 1 and 65535")
    security, default_port = _SCHEMES[parts.scheme]
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and username is None:
        raise ValueError(f"SMTP_URL has a password but no user; expected {EXPECTED}")
    return SmtpServer(parts.hostname, port or default_port, security, username, password)
