"""CSRF tokens, the role cookie and the security headers of every page.

CSRF is a signed double submit: a random value lives in an HttpOnly cookie and
every form (and htmx, through `hx-headers`) sends HMAC(secret, value). A page
on another site can neither read the cookie nor compute the HMAC.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlsplit, urlunsplit

from starlette.datastructures import MutableHeaders
from starlette.requests import Request, cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from campusdesk_common.vocabulary import ROLES, Role
from web_gateway.multipart_text import multipart_text_is_utf8
from web_gateway.private_paths import PRIVATE_HEADERS, is_private_path
from web_gateway.settings import Settings

logger = logging.getLogger(__name__)

CSRF_COOKIE = "campusdesk_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
ROLE_COOKIE = "campusdesk_role"
ROLE_COOKIE_MAX_AGE = 180 * 24 * 3600

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
# FastAPI's /docs page loads Swagger UI from its CDN; it is a developer page, not one people use.
_DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")


def load_secret(settings: Settings) -> bytes:
    """The HMAC key: WEB_GATEWAY_SECRET_KEY, else a random key created once per install under var/."""
    if settings.secret_key is not None and settings.secret_key.get_secret_value():
        return settings.secret_key.get_secret_value().encode()
    path = Path(settings.var_dir) / "web_gateway_secret_key"
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48).encode()
    # O_EXCL: when two workers start together, one writes and the other reads its key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    logger.warning("WEB_GATEWAY_SECRET_KEY is not set: using the per-install key in %s", path)
    return key


def csrf_token_for(secret: bytes, cookie_value: str) -> str:
    return hmac.new(secret, b"csrf:" + cookie_value.encode(), hashlib.sha256).hexdigest()


def csrf_cookie_value(request: Request) -> str:
    """The CSRF cookie of this request, or the fresh one the middleware will set."""
    value = request.scope.get("state", {}).get("csrf_cookie")
    if isinstance(value, str):
        return value
    return request.cookies.get(CSRF_COOKIE, "")


def csrf_token(request: Request) -> str:
    secret: bytes = request.app.state.secret
    return csrf_token_for(secret, csrf_cookie_value(request))


async def csrf_is_valid(request: Request) -> bool:
    """True when the request carries the token matching its cookie (header or form field)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie:
        return False
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent:
        return False
    return hmac.compare_digest(sent, csrf_token_for(request.app.state.secret, cookie))


def current_role(request: Request) -> Role | None:
    value = request.cookies.get(ROLE_COOKIE)
    for role in ROLES:
        if value == role:
            return role
    return None


class SecurityHeaders:
    """Set the CSP and friends on every response, and hand out the CSRF cookie on first visit."""

    def __init__(self, app: ASGIApp, *, secure_cookies: bool = False) -> None:
        self.app = app
        self.secure = "; Secure" if secure_cookies else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        new_cookie: str | None = None
        # Parsed as cookies: `old_campusdesk_csrf=…` or an empty `campusdesk_csrf=` is not our cookie.
        if not cookie_parser(_cookie_header(scope)).get(CSRF_COOKIE):
            new_cookie = secrets.token_urlsafe(32)
            scope.setdefault("state", {})["csrf_cookie"] = new_cookie
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                # A response with a policy of its own (a photo's sandbox) keeps it.
                if not path.startswith(_DOCS_PATHS) and "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                if is_private_path(path):
                    # A private link's page: its address must not leave in a Referer, nor stay in a cache.
                    headers.update(PRIVATE_HEADERS)
                if "location" in headers:
                    headers["Location"] = relative_location(headers["location"])
                if new_cookie is not None:
                    headers.append(
                        "Set-Cookie",
                        f"{CSRF_COOKIE}={new_cookie}; Path=/; HttpOnly; SameSite=Lax{self.secure}",
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _cookie_header(scope: Scope) -> str:
    # Several Cookie headers (HTTP/2 may split them) are one list of cookies.
    values = [bytes(value).decode("latin-1") for name, value in scope.get("headers", []) if name == b"cookie"]
    return "; ".join(values)


def relative_location(location: str) -> str:
    """`location` without scheme and host: a redirect never sends the person to the host the request claimed.

    The gateway only redirects to its own pages; Starlette's trailing-slash redirect builds an absolute
    URL from the `Host` header, which a forged Host would turn into an open redirect. A leading `//`
    (a protocol-relative URL, i.e. another host) is collapsed to one slash.
    """
    parts = urlsplit(location)
    path = "/" + parts.path.lstrip("/")
    return urlunsplit(("", "", path, parts.query, parts.fragment))


class FormEncodingCheck:
    """Flag forms (url-encoded or multipart) whose text is not UTF-8 (`state.form_not_utf8`).

    The form parser would silently turn broken bytes into U+FFFD (url-encoded) or
    Latin-1 (multipart); the CSRF dependency refuses flagged requests so nothing
    garbled is stored. Bodies are already bounded by BodySizeLimit, which runs before this.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = _form_type(scope) if scope["type"] == "http" and scope["method"] == "POST" else b""
        if not kind:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if not _text_is_utf8(kind, body):
            scope.setdefault("state", {})["form_not_utf8"] = True
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _form_type(scope: Scope) -> bytes:
    """The request's Content-Type when it is a form (url-encoded or multipart), else b""."""
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            kind = bytes(value)
            return kind if kind.lower().startswith(_FORM_TYPES) else b""
    return b""


_FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def _text_is_utf8(content_type: bytes, body: bytes) -> bool:
    if content_type.lower().startswith(b"multipart/"):
        return multipart_text_is_utf8(content_type, body)
    try:
        unquote_to_bytes(body.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
