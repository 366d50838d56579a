"""Tokens of private links (and of e-mail unsubscribe links): derived from a secret, never stored.

A token is `derive(secret, "link", link_id)`: 24 bytes of an HMAC in URL-safe base64 (32 characters,
192 bits). The database keeps only its SHA-256 (`token_hash`), so a copy of the database opens no
ticket, and an answer that must be given again (an idempotent replay) derives the token anew
instead of reading it back from anywhere.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path
from typing import Any

from ticket_service.settings import Settings

logger = logging.getLogger(__name__)

_SECRET_FILE = "ticket_service_link_secret"
LINK = "link"
UNSUBSCRIBE = "unsubscribe"


def derive(secret: bytes, purpose: str, *parts: int | str) -> str:
    """The token for `purpose` and `parts`: HMAC-SHA256(secret, b"campusdesk-<purpose>:<parts joined by :>")."""
    message = f"campusdesk-{purpose}:{':'.join(str(part) for part in parts)}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()[:24]
    return base64.urlsafe_b64encode(digest).decode()


def link_token(secret: bytes, link_id: int) -> str:
    """The private link token of link `link_id`."""
    return derive(secret, LINK, link_id)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def load_secret(settings: Settings) -> bytes:
    """The derivation key: TICKET_SERVICE_LINK_SECRET, else a random key created once per install."""
    if settings.link_secret is not None and settings.link_secret.get_secret_value():
        return settings.link_secret.get_secret_value().encode()
    path = Path(settings.var_dir) / _SECRET_FILE
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    # Written whole under a private name, then linked into place: link() fails when the file
    # exists, so when two workers start together one key wins and nobody reads a half-written file.
    draft = path.with_name(f"{_SECRET_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    try:
        os.link(draft, path)
    except FileExistsError:
        return path.read_bytes().strip()
    finally:
        draft.unlink()
    logger.warning("TICKET_SERVICE_LINK_SECRET is not set: using the per-install key in %s", path)
    return key


def app_secret(state: Any) -> bytes:
    """The app's derivation key (`app.state`), loaded on first use and kept."""
    secret: bytes | None = getattr(state, "link_secret", None)
    if secret is None:
        secret = state.link_secret = load_secret(state.settings)
    return secret
