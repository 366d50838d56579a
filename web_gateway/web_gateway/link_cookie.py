"""The private links one browser was given ("My tickets"), kept in a signed cookie that works without JavaScript.

The value is the tokens, newest first, and an HMAC of them with the gateway's secret: a cookie
that was changed, cut or forged is ignored as a whole (the browser simply has no links), never
partly trusted. Only tokens in the contract's shape are ever written.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from fastapi import Request
from fastapi.responses import Response

LINKS_COOKIE = "campusdesk_links"
LINKS_COOKIE_MAX_AGE = 400 * 24 * 3600  # the longest lifetime browsers accept
_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
_SIGNATURE_CHARS = 32  # 128 bits of HMAC-SHA256


def _signature(secret: bytes, joined: str) -> str:
    return hmac.new(secret, b"links:" + joined.encode(), hashlib.sha256).hexdigest()[:_SIGNATURE_CHARS]


def encode_links(secret: bytes, tokens: list[str]) -> str:
    joined = ".".join(tokens)
    return f"{joined}.{_signature(secret, joined)}" if joined else ""


def decode_links(secret: bytes, value: str) -> list[str]:
    """The tokens of a cookie value; [] when it is empty, malformed or not signed with `secret`."""
    joined, _, signature = value.rpartition(".")
    if not joined or not hmac.compare_digest(signature, _signature(secret, joined)):
        return []
    tokens = joined.split(".")
    return tokens if all(_TOKEN.fullmatch(token) for token in tokens) else []


def kept_links(request: Request) -> list[str]:
    """This browser's private links, newest first (what a previous answer of this request added included)."""
    added = request.scope.get("state", {}).get("links_cookie")
    if isinstance(added, list):
        return list(added)
    return decode_links(request.app.state.secret, request.cookies.get(LINKS_COOKIE, ""))


def keep_link(request: Request, response: Response, token: str) -> None:
    """Add `token` to this browser's links (first, once), keeping at most the newest `my_tickets_max`."""
    if not _TOKEN.fullmatch(token):
        return
    current = kept_links(request)
    tokens = [token, *(t for t in current if t != token)][: request.app.state.settings.my_tickets_max]
    if tokens == current:
        return
    request.scope.setdefault("state", {})["links_cookie"] = tokens
    response.set_cookie(
        LINKS_COOKIE,
        encode_links(request.app.state.secret, tokens),
        max_age=LINKS_COOKIE_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=request.app.state.settings.secure_cookies,
    )
