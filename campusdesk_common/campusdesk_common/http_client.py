"""The one way a service calls another: timeouts, bounded retries, clear failures.

Every failure to reach an upstream becomes `ServiceUnavailable` (503 with
Retry-After) so callers never hang and never turn an outage into a 500.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

import httpx

from campusdesk_common.problems import ServiceUnavailable

logger = logging.getLogger(__name__)

# Methods safe to repeat after a connection failure.
_RETRYABLE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class UpstreamClient:
    """An async HTTP client bound to one upstream service.

    One instance per process (created in the app's lifespan) keeps a small
    connection pool; creating a client per request costs a TCP handshake.
    """

    def __init__(
        self,
        name: str,
        base_url: str,
        *,
        timeout: float = 1.5,
        retries: int = 1,
        max_connections: int = 16,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.name = name
        self.retries = retries
        self._client = httpx.AsyncClient(
            base_url=base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 1.0)),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
            transport=transport,
        )

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        retry: bool | None = None,
    ) -> httpx.Response:
        """Send a request; raise ServiceUnavailable if the upstream cannot answer.

        Connection failures are retried (`retries` times, short backoff) for
        idempotent methods, or when `retry=True` (e.g. a POST with an
        Idempotency-Key). Upstream 5xx answers are returned to the caller.
        """
        may_retry = method.upper() in _RETRYABLE_METHODS if retry is None else retry
        attempts = 1 + (self.retries if may_retry else 0)
        for attempt in range(attempts):
            try:
                return await self._client.request(
                    method, path, params=params, json=json, content=content, headers=headers
                )
            except httpx.TimeoutException as exc:
                logger.warning("%s timed out on %s %s: %s", self.name, method, path, exc)
                raise ServiceUnavailable(f"The {self.name} did not answer in time.") from exc
            except httpx.TransportError as exc:
                if attempt + 1 < attempts:
                    await asyncio.sleep(0.05 * (attempt + 1))
                    continue
                logger.warning("%s unreachable on %s %s: %s", self.name, method, path, exc)
                raise ServiceUnavailable(f"The {self.name} is not reachable right now.") from exc
        raise AssertionError("unreachable")

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", path, **kwargs)

    async def probe(self, path: str = "/health") -> str | None:
        """Readiness check: None when the upstream answers `path` with 2xx."""
        try:
            response = await self._client.get(path)
        except httpx.HTTPError as exc:
            return f"{type(exc).__name__}"
        return None if response.is_success else f"answered {response.status_code}"

    async def aclose(self) -> None:
        await self._client.aclose()
