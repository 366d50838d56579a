"""A bounded async load generator (aiohttp) that records every latency.

`measure()` runs `clients` concurrent loops of one request kind for at most `seconds`
and at most `max_requests` requests, after `warmup` unrecorded requests, and keeps
each latency so medians and tails come from every sample, not from a histogram.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import aiohttp

Call = Callable[[aiohttp.ClientSession, int], Awaitable[int]]
"""Sends request number i and returns its HTTP status."""


@dataclass
class Measurement:
    name: str
    clients: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float | None = None
    p90_ms: float | None = None
    p99_ms: float | None = None
    mean_ms: float | None = None
    max_ms: float | None = None
    throughput: float | None = None
    error_samples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def summarise(
    name: str, clients: int, latencies: list[float], errors: int, seconds: float, samples: list[str]
) -> Measurement:
    values = sorted(latencies)
    result = Measurement(name=name, clients=clients, requests=len(values), errors=errors, seconds=round(seconds, 3))
    result.error_samples = samples[:5]
    if values:
        result.p50_ms = round(percentile(values, 0.50) * 1000, 3)
        result.p90_ms = round(percentile(values, 0.90) * 1000, 3)
        result.p99_ms = round(percentile(values, 0.99) * 1000, 3)
        result.mean_ms = round(statistics.fmean(values) * 1000, 3)
        result.max_ms = round(values[-1] * 1000, 3)
        result.throughput = round(len(values) / seconds, 1) if seconds else None
    return result


def new_session(clients: int, cookies: dict[str, str] | None = None) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(limit=clients + 4, ttl_dns_cache=None, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    jar = aiohttp.CookieJar(unsafe=True)
    session = aiohttp.ClientSession(connector=connector, timeout=timeout, cookie_jar=jar)
    if cookies:
        session.cookie_jar.update_cookies(cookies)
    return session


async def measure(
    name: str,
    call: Call,
    *,
    clients: int,
    seconds: float,
    max_requests: int | None = None,
    warmup: int = 20,
    cookies: dict[str, str] | None = None,
) -> Measurement:
    """Run `call` from `clients` loops; latencies of every request after the warm-up."""
    counter = itertools.count()
    latencies: list[float] = []
    errors = 0
    samples: list[str] = []
    limit = max_requests if max_requests is not None else 10**12
    async with new_session(clients, cookies) as session:
        for _ in range(warmup):
            if next(counter) >= limit:
                break
            with contextlib.suppress(Exception):  # warm-up failures show up in the measured part anyway
                await call(session, _)
        began = time.perf_counter()
        deadline = began + seconds

        async def loop() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                index = next(counter)
                if index >= limit:
                    return
                start = time.perf_counter()
                try:
                    status = await call(session, index)
                except Exception as exc:
                    status, detail = 0, f"{type(exc).__name__}: {exc}"
                else:
                    detail = f"HTTP {status}"
                elapsed = time.perf_counter() - start
                if 200 <= status < 400:
                    latencies.append(elapsed)
                else:
                    errors += 1
                    samples.append(detail)

        await asyncio.gather(*(loop() for _ in range(clients)))
        took = time.perf_counter() - began
    return summarise(name, clients, latencies, errors, took, samples)
