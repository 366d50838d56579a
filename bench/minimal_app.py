"""The fastest ticket endpoints this stack can serve: FastAPI, raw psycopg 3 async pool, no ORM.

The physical-limit reference of the benchmark, run with the same uvicorn settings and
worker count as the ticket service: `GET /tickets/{id}` reads one row, `POST /tickets`
inserts one.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.responses import Response
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool

_READ = (
    "SELECT id, description, category, status, opened_at, updated_at, closed_at, version, message_count "
    "FROM tickets WHERE id = %s"
)
_INSERT = (
    "INSERT INTO tickets (description, category, status, opened_at, updated_at) "
    "VALUES (%s, 'technical_it', 'open', now(), now()) "
    "RETURNING id, description, category, status, opened_at, updated_at, closed_at, version, message_count"
)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError


def create_app() -> FastAPI:
    url = os.environ["BENCH_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with AsyncConnectionPool(url, min_size=4, max_size=16, open=False) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/tickets/{ticket_id}")
    async def read(ticket_id: int, request: Request) -> Response:
        async with request.app.state.pool.connection() as connection:
            cursor = await connection.cursor(row_factory=dict_row).execute(_READ, (ticket_id,))
            row = await cursor.fetchone()
        if row is None:
            return Response(status_code=404)
        return Response(orjson.dumps(row, default=_default), media_type="application/json")

    @app.post("/tickets", status_code=201)
    async def insert(request: Request) -> Response:
        body = orjson.loads(await request.body())
        async with request.app.state.pool.connection() as connection:
            cursor = await connection.cursor(row_factory=dict_row).execute(_INSERT, (body["description"],))
            row = await cursor.fetchone()
        return Response(orjson.dumps(row, default=_default), status_code=201, media_type="application/json")

    return app
