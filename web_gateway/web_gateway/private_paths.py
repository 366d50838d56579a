"""The addresses that carry a secret token (`/t/<token>`, `/unsubscribe/<token>`): how they are answered and logged.

Whoever has such an address can read the ticket, so it must not leak: pages under these paths
send no Referer to other sites and are never cached, and log lines show the path with the
token replaced (the access logs of deploy/nginx do the same).
"""

from __future__ import annotations

import logging
import re

PRIVATE_PREFIXES = ("/t/", "/unsubscribe/")
# The token is whatever follows the prefix up to the next `/`, `?` or `#`: redacted whatever its shape.
_TOKEN_IN_PATH = re.compile(r"(/t/|/unsubscribe/)[^/?#\s\"']+")
REDACTED = r"\1<redacted>"
PRIVATE_HEADERS = {"Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def is_private_path(path: str) -> bool:
    return path.startswith(PRIVATE_PREFIXES)


def redact(text: str) -> str:
    """`text` with every private link's token replaced by `<redacted>`."""
    return _TOKEN_IN_PATH.sub(REDACTED, text)


class RedactTokens(logging.Filter):
    """A log filter: a record whose message names a private path is written with the token redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def redact_logs() -> None:
    """Install `RedactTokens` on every handler of the service's log output (the root's and uvicorn's)."""
    loggers = [logging.getLogger(name) for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access")]
    for handler in [handler for logger in loggers for handler in logger.handlers]:
        if not any(isinstance(f, RedactTokens) for f in handler.filters):
            handler.addFilter(RedactTokens())
