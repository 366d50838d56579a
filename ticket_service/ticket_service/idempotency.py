"""Idempotency-Key: a retried POST gets the first answer again and creates nothing new.

The key row is claimed with `INSERT ... ON CONFLICT DO NOTHING` inside the same
transaction that creates the resource. A concurrent retry with the same key
waits on that row (PostgreSQL's unique index, SQLite's single writer) and then
finds the committed answer, so two racing retries still create one resource.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import Response
from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.problems import InvalidInput
from ticket_service.dependencies import UnitOfWork
from ticket_service.models import UTCDateTime

_CLAIM = text(
    "INSERT INTO idempotency_keys (scope, key, request_hash, status_code, response_body, location, created_at) "
    "VALUES (:scope, :key, :request_hash, 0, '', NULL, :created_at) "
    "ON CONFLICT (scope, key) DO NOTHING RETURNING key"
).bindparams(bindparam("created_at", type_=UTCDateTime()))
_FIND = text(
    "SELECT request_hash, status_code, response_body, location FROM idempotency_keys "
    "WHERE scope = :scope AND key = :key"
)
_RECORD = text(
    "UPDATE idempotency_keys SET status_code = :status_code, response_body = :response_body, location = :location "
    "WHERE scope = :scope AND key = :key"
)


@dataclass(frozen=True, slots=True)
class StoredResponse:
    """A response that can be sent now and replayed later."""

    status_code: int
    body: str
    location: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_response(self, *, replayed: bool = False, reveal: Callable[[str], str] | None = None) -> Response:
        headers = dict(self.headers)
        body = self.body if reveal is None else reveal(self.body)
        if self.location is not None:
            headers["Location"] = self.location
        if replayed:
            headers["Idempotent-Replayed"] = "true"
        return Response(body, status_code=self.status_code, headers=headers, media_type="application/json")


def fingerprint(scope: str, role: str, payload: Any) -> str:
    """A hash of what a request asks for, to tell a true retry from a reused key."""
    canonical = json.dumps([scope, role, payload], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


async def run_once(
    uow: UnitOfWork,
    *,
    scope: str,
    key: str | None,
    request_hash: str,
    produce: Callable[[AsyncConnection], Awaitable[StoredResponse]],
    reveal: Callable[[str], str] | None = None,
) -> Response:
    """Run `produce` in the unit of work, unless `key` already has an answer in `scope`: replay it then.

    `reveal` turns a stored body into the one to send, first time and replays alike: an answer with a
    secret (a private link's token) is stored without it and gets it back only on its way out.
    """
    connection = await uow.connection()
    if key is None:
        return (await produce(connection)).to_response(reveal=reveal)
    params = {"scope": scope, "key": key}
    claimed = await connection.execute(
        _CLAIM, {**params, "request_hash": request_hash, "created_at": datetime.now(UTC)}
    )
    if claimed.first() is None:
        first = (await connection.execute(_FIND, params)).mappings().one()
        if first["request_hash"] != request_hash:
            raise InvalidInput(
                "This Idempotency-Key was already used for a different request. "
                "Use a new key for a new request; reuse a key only to retry exactly the same request.",
                slug="idempotency-key-reused",
            )
        return StoredResponse(first["status_code"], first["response_body"], first["location"]).to_response(
            replayed=True, reveal=reveal
        )
    stored = await produce(connection)
    await connection.execute(
        _RECORD,
        {**params, "status_code": stored.status_code, "response_body": stored.body, "location": stored.location},
    )
    return stored.to_response(reveal=reveal)
