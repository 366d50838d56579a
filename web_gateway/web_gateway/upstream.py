"""Talking to the other services: send a request, parse the answer with its contract, or raise a typed problem.

Every answer is parsed with the provider's own model (`campusdesk_common.contracts`);
every failure becomes one of the `UpstreamProblem` classes below, which one
exception handler (`web_gateway.errors`) turns into a page.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from campusdesk_common.http_client import UpstreamClient
from campusdesk_common.problems import ProblemDetail, ServiceUnavailable

Answer = TypeVar("Answer", bound=BaseModel)
logger = logging.getLogger(__name__)
# Seconds a person is asked to wait before trying again, when the service did not say.
DEFAULT_RETRY_AFTER = 2


class UpstreamProblem(Exception):
    """A service could not do what the page asked; `detail` is the sentence to show."""

    status = 502
    title = "Request refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class UpstreamUnavailable(UpstreamProblem):
    """The service is unreachable, too slow, failing, or answered something its contract does not allow."""

    status, title = 503, "Temporarily unavailable"

    def __init__(self, detail: str, *, retry_after: int = DEFAULT_RETRY_AFTER) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class UpstreamUnanswered(UpstreamUnavailable):
    """No answer came (timeout, connection refused or dropped): a write may or may not have been applied."""


class UpstreamRejected(UpstreamProblem):
    """The service refused the input (400 or 422); `detail` is its own explanation."""

    status, title = 422, "Please check what you entered"


class TooLarge(UpstreamRejected):
    """The service refused a body over its size limit (413), e.g. a photo over 10 MB."""

    status, title = 413, "Too large"


class Forbidden(UpstreamProblem):
    status, title = 403, "Not allowed for your role"


class NotFound(UpstreamProblem):
    status, title = 404, "Not found"


class Conflict(UpstreamProblem):
    """The change does not fit the current state (e.g. a closed ticket)."""

    status, title = 409, "That change is not possible"


class StaleVersion(UpstreamProblem):
    """Someone else changed the resource since the page was shown (the provider answered 412)."""

    status, title = 409, "Someone else changed this"


_PROBLEM_BY_STATUS: dict[int, type[UpstreamProblem]] = {
    400: UpstreamRejected,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: StaleVersion,
    413: TooLarge,
    422: UpstreamRejected,
}


def _retry_after(response: httpx.Response) -> int:
    # Only a small whole number of seconds is passed on; a date or garbage becomes the default.
    value = response.headers.get("retry-after", "")
    return min(int(value), 60) if value.isascii() and value.isdigit() and int(value) > 0 else DEFAULT_RETRY_AFTER


def problem_of(client: UpstreamClient, response: httpx.Response) -> UpstreamProblem:
    """The typed problem for an error answer, carrying the provider's own `detail` when it sent one."""
    try:
        detail = ProblemDetail.model_validate_json(response.content).detail
    except ValidationError:
        detail = f"The {client.name} answered {response.status_code}."
    if response.status_code >= 500:
        return UpstreamUnavailable(detail, retry_after=_retry_after(response))
    return _PROBLEM_BY_STATUS.get(response.status_code, UpstreamProblem)(detail)


async def send(client: UpstreamClient, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """The provider's successful answer; any failure raised as an `UpstreamProblem`."""
    try:
        response = await client.request(method, path, **kwargs)
    except ServiceUnavailable as exc:
        raise UpstreamUnanswered(exc.detail) from exc
    if not response.is_success:
        raise problem_of(client, response)
    return response


async def call(client: UpstreamClient, method: str, path: str, model: type[Answer], **kwargs: Any) -> Answer:
    """Send a request and parse the answer with the provider's contract model."""
    response = await send(client, method, path, **kwargs)
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise UpstreamUnavailable(
            f"The {client.name} answered something that is not a {model.__name__}; this is a bug on our side."
        ) from exc


@dataclass(frozen=True)
class Recovery:
    """How long a form's write may be re-sent (same Idempotency-Key) when no answer came.

    The ticket service replays its first answer for a repeated key, so re-sending finds out
    whether the write was stored (and stores it once if it was not) before the person is told
    anything. `attempts` re-sends at most, with a doubling pause from `backoff` seconds, all
    within `budget` seconds from the first send.
    """

    attempts: int = 3
    backoff: float = 0.2
    budget: float = 6.0


async def call_recovering(
    client: UpstreamClient, recovery: Recovery, method: str, path: str, model: type[Answer], **kwargs: Any
) -> Answer:
    """`call`, re-sent with the same request (and key) while no answer comes, within `recovery`'s bounds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + recovery.budget
    pause = recovery.backoff
    for attempt in range(recovery.attempts + 1):
        try:
            async with asyncio.timeout_at(deadline):
                return await call(client, method, path, model, **kwargs)
        except UpstreamUnanswered as exc:
            last = exc
        except TimeoutError:
            last = UpstreamUnanswered(f"The {client.name} did not answer in time.")
        if attempt == recovery.attempts or loop.time() + pause >= deadline:
            break
        logger.warning("%s gave no answer to %s %s; re-sending (attempt %d)", client.name, method, path, attempt + 2)
        await asyncio.sleep(pause)
        pause *= 2
    raise last
