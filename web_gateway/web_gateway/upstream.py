"""Calls to the ticket service on behalf of the person using the page.

Every call carries the person's role (`X-Role`); an answer the page cannot use
becomes an `UpstreamError` carrying the status and the service's own sentence.
"""

from __future__ import annotations

from typing import Any

import httpx

from campusdesk_common.http_client import UpstreamClient
from web_gateway.security import Role


class UpstreamError(Exception):
    """The ticket service answered with an error the page should explain."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def problem_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return f"The service answered {response.status_code}."
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return detail
    return f"The service answered {response.status_code}."


def _checked(response: httpx.Response) -> Any:
    if response.is_success:
        return response.json() if response.content else None
    raise UpstreamError(response.status_code, problem_detail(response))


class TicketApi:
    """The ticket service's API as the gateway uses it, for one role."""

    def __init__(self, client: UpstreamClient, role: Role) -> None:
        self.client = client
        self.headers: dict[str, str] = {"X-Role": role}

    def _if_match(self, version: int | None) -> dict[str, str]:
        return {**self.headers, "If-Match": f'"{version}"'} if version is not None else self.headers

    def _idempotent(self, submission_key: str | None) -> dict[str, str]:
        # The form's one-time key: a double click or a browser retry of the same form creates nothing new.
        if submission_key is None:
            return self.headers
        return {**self.headers, "Idempotency-Key": f"{self.headers['X-Role']}-{submission_key}"}

    async def search(self, params: list[tuple[str, str]]) -> dict[str, Any]:
        return dict(_checked(await self.client.get("/tickets", params=params, headers=self.headers)))

    async def get(self, ticket_id: int) -> dict[str, Any]:
        return dict(_checked(await self.client.get(f"/tickets/{ticket_id}", headers=self.headers)))

    async def create(self, description: str, submission_key: str | None = None) -> dict[str, Any]:
        response = await self.client.request(
            "POST",
            "/tickets",
            json={"description": description},
            headers=self._idempotent(submission_key),
            retry=submission_key is not None,
        )
        return dict(_checked(response))

    async def update(self, ticket_id: int, changes: dict[str, str], version: int | None) -> dict[str, Any]:
        response = await self.client.request(
            "PATCH", f"/tickets/{ticket_id}", json=changes, headers=self._if_match(version)
        )
        return dict(_checked(response))

    async def messages(self, ticket_id: int, after: int | None = None) -> list[dict[str, Any]]:
        params = {"after": str(after)} if after is not None else None
        body = _checked(await self.client.get(f"/tickets/{ticket_id}/messages", params=params, headers=self.headers))
        return list(body["items"])

    async def post_message(self, ticket_id: int, text: str, submission_key: str | None = None) -> dict[str, Any]:
        response = await self.client.request(
            "POST",
            f"/tickets/{ticket_id}/messages",
            json={"body": text},
            headers=self._idempotent(submission_key),
            retry=submission_key is not None,
        )
        return dict(_checked(response))

    async def history(self, ticket_id: int) -> list[dict[str, Any]]:
        body = _checked(await self.client.get(f"/tickets/{ticket_id}/history", headers=self.headers))
        return list(body["items"] if isinstance(body, dict) else body)

    async def explanation(self, ticket_id: int) -> dict[str, Any]:
        return dict(_checked(await self.client.get(f"/tickets/{ticket_id}/category-explanation", headers=self.headers)))

    async def similar(self, text: str, limit: int = 3) -> list[dict[str, Any]]:
        params = {"q": text, "limit": str(limit)}
        body = _checked(await self.client.get("/tickets/similar", params=params, headers=self.headers))
        return list(body["items"] if isinstance(body, dict) else body)

    async def classify(self, text: str) -> dict[str, Any]:
        response = await self.client.request(
            "POST", "/classify", json={"description": text}, headers=self.headers, retry=True
        )
        return dict(_checked(response))
