"""Limits on anonymous writes (role `user`): so many per client address in a sliding window.

The count lives in this process's memory: each gateway process (or replica) counts on its own,
so N processes allow up to N times the limit (README). The client is the socket peer, or the
address a trusted proxy (`WEB_GATEWAY_TRUSTED_PROXIES`) added to X-Forwarded-For: a client
cannot pick its own address by sending the header itself.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from typing import Literal

from fastapi import Request

from web_gateway.security import current_role
from web_gateway.settings import Settings

Action = Literal["tickets", "messages", "follows", "fix_answers"]
# What the 429 page says was limited.
ACTION_WORDS: dict[Action, str] = {
    "tickets": "tickets reported",
    "messages": "messages sent",
    "follows": "tickets followed",
    "fix_answers": "answers to “Is it fixed?”",
}
# Addresses remembered per action; beyond this the longest-unseen is forgotten (bounded memory).
MAX_CLIENTS = 20_000
Network = IPv4Network | IPv6Network


class RateLimited(Exception):
    """Too many writes from this address: try again after `retry_after` seconds."""

    status = 429

    def __init__(self, action: Action, limit: int, window: float, retry_after: int) -> None:
        minutes = max(1, round(window / 60))
        super().__init__(
            f"Too many {ACTION_WORDS[action]} from your network: at most {limit} in {minutes} minutes. "
            f"Please try again in {retry_after} seconds."
        )
        self.detail = str(self)
        self.retry_after = retry_after


class SlidingWindow:
    """At most `limit` events per key within `window` seconds (the times of the recent events are kept)."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.events: OrderedDict[str, deque[float]] = OrderedDict()

    def hit(self, key: str) -> int:
        """Count one event for `key`: 0 when allowed, else the whole seconds until one would be."""
        now = self.clock()
        times = self.events.pop(key, None) or deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        self.events[key] = times
        if len(self.events) > MAX_CLIENTS:
            self.events.popitem(last=False)
        if len(times) >= self.limit:
            return max(1, math.ceil(times[0] + self.window - now))
        times.append(now)
        return 0


def limiters(settings: Settings) -> dict[Action, SlidingWindow]:
    window = settings.rate_limit_window_seconds
    return {
        "tickets": SlidingWindow(settings.rate_limit_tickets, window),
        "messages": SlidingWindow(settings.rate_limit_messages, window),
        "follows": SlidingWindow(settings.rate_limit_follows, window),
        "fix_answers": SlidingWindow(settings.rate_limit_fix_answers, window),
    }


def _address(text: str) -> IPv4Address | IPv6Address | None:
    try:
        return ip_address(text.strip())
    except ValueError:
        return None


def client_address(peer: str, forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str:
    """The client: walking X-Forwarded-For from the right, each entry a trusted proxy added, up to the first
    address that is not a trusted proxy. An untrusted peer's header is never read."""
    current = _address(peer)
    if current is None:
        return peer
    entries = [entry for header in forwarded_for for entry in header.split(",")]
    for entry in reversed(entries):
        if not any(current in network for network in trusted):
            break
        previous = _address(entry)
        if previous is None:
            break
        current = previous
    return str(current)


def request_client(request: Request) -> str:
    settings: Settings = request.app.state.settings
    peer = request.client.host if request.client else ""
    return client_address(peer, request.headers.getlist("x-forwarded-for"), settings.trusted_proxies)


def limit_anonymous(request: Request, action: Action) -> None:
    """Count this write of a simple user (staff are not limited); `RateLimited` when over the limit."""
    if current_role(request) == "helpdesk":
        return
    window: SlidingWindow = request.app.state.rate_limits[action]
    wait = window.hit(request_client(request))
    if wait:
        raise RateLimited(action, window.limit, window.window, wait)
