"""Limits on what a client may send before a request reaches the app.

httptools accepts a header of any size and any number of headers, and uvicorn
waits forever for a request that never finishes: one 100 MB header kept a
worker busy for 26 s. `GuardedHttpToolsProtocol` counts the request head's
bytes *before* the parser sees them and answers like nginx does in front of the
gateway (`deploy/nginx/limits.conf` holds the same numbers):

- a request line over `max_line_bytes` is a 414, a head over `max_head_bytes`
  or with more than `max_header_count` fields a 431;
- a connection that has not sent a whole head within `head_timeout` seconds of
  its first byte (or of connecting) gets a 408 and is closed (slowloris);
- a body that stalls for `body_timeout` seconds between two reads is a 408.

Idle keep-alive connections are already closed by uvicorn's `timeout_keep_alive`.
"""

from __future__ import annotations

import asyncio
from functools import cache

from pydantic_settings import BaseSettings, SettingsConfigDict
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from campusdesk_common.problems import PROBLEM_MEDIA_TYPE, problem_body

_HEAD_END = b"\r\n\r\n"


class RequestLimits(BaseSettings):
    """Read from `CAMPUSDESK_REQUEST_*` variables, the same for every service."""

    model_config = SettingsConfigDict(env_prefix="CAMPUSDESK_REQUEST_", frozen=True, extra="ignore")

    max_line_bytes: int = 8 * 1024
    max_head_bytes: int = 32 * 1024
    max_header_count: int = 100
    head_timeout: float = 10.0
    body_timeout: float = 30.0


@cache
def request_limits() -> RequestLimits:
    return RequestLimits()


# Reason phrase and problem type of each refusal the guard sends itself.
_REFUSALS = {
    408: ("Request Timeout", "request-timeout"),
    414: ("URI Too Long", "uri-too-long"),
    431: ("Request Header Fields Too Large", "request-header-fields-too-large"),
}


def problem_bytes(status: int, detail: str) -> bytes:
    """A complete HTTP/1.1 answer carrying a problem+json body, closing the connection."""
    reason, slug = _REFUSALS[status]
    body = problem_body(status, detail, slug=slug).model_dump_json(exclude_none=True).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        f"content-type: {PROBLEM_MEDIA_TYPE}\r\n"
        f"content-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with limits on the request head and slow clients."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._limits = request_limits()
        self._timer: asyncio.TimerHandle | None = None
        self._start_head()
        # A connection that never sends a byte is a head that never finishes.
        self._arm(self._limits.head_timeout, "The request head did not arrive in time.")

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _start_head(self) -> None:
        self._in_head = True
        self._head_bytes = 0
        self._head_lines = 0
        self._line_bytes = 0
        self._line_done = False
        self._tail = b""

    def data_received(self, data: bytes) -> None:
        if self._in_head and not self._count_head(data):
            return
        if not self._in_head and self.cycle is not None and not self.cycle.response_started:
            # Body bytes arrived: the stall clock starts again.
            self._arm(self._limits.body_timeout, "The request body stalled.")
        super().data_received(data)

    def _count_head(self, data: bytes) -> bool:
        """Count the head bytes in `data`; answer and close when a limit is crossed."""
        if self._timer is None:
            self._arm(self._limits.head_timeout, "The request head did not arrive in time.")
        # The blank line that ends the head may straddle two reads.
        end = (self._tail + data).find(_HEAD_END)
        head = data if end < 0 else data[: max(end + len(_HEAD_END) - len(self._tail), 0)]
        self._tail = (self._tail + data)[-3:]
        if not self._line_done:
            newline = head.find(b"\n")
            self._line_bytes += len(head) if newline < 0 else newline
            self._line_done = newline >= 0
        self._head_bytes += len(head)
        self._head_lines += head.count(b"\n")
        limits = self._limits
        if self._line_bytes > limits.max_line_bytes:
            self._refuse(414, f"The request line is longer than {limits.max_line_bytes} bytes.")
            return False
        if self._head_bytes > limits.max_head_bytes:
            self._refuse(431, f"The request headers are larger than {limits.max_head_bytes} bytes in total.")
            return False
        # Lines of the head: the request line, one per field, and the final blank line.
        if self._head_lines - 2 > limits.max_header_count:
            self._refuse(431, f"The request has more than {limits.max_header_count} header fields.")
            return False
        return True

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._arm(self._limits.body_timeout, "The request body stalled.")
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        # The whole request is in: from here on the app's time is its own.
        self._disarm()
        self._start_head()
        super().on_message_complete()

    def _arm(self, seconds: float, detail: str) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._time_out, detail)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _time_out(self, detail: str) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()
            return
        self._refuse(408, detail)

    def _refuse(self, status: int, detail: str) -> None:
        self._disarm()
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.write(problem_bytes(status, detail))
        self.transport.close()
