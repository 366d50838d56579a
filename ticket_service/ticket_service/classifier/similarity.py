"""Possible duplicates: an in-memory index of the embeddings of open and active tickets.

On first use (the first preview or search after start-up) a background task
embeds every open and active ticket once (1-3 ms each, in a worker thread, in
chunks); searches meanwhile answer from the part already indexed and say so.
Nothing happens at start-up itself: a service nobody asks for duplicates does no work.
Afterwards each search first reads only the tickets changed since shortly before
the last one (`updated_at` index) and embeds only new or edited descriptions,
usually straight from the classifier's cache of the text it just categorised.
A search is then one matrix-vector product: ~3 ms for 10,000 tickets.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from ticket_service.classifier.embedding import EMBEDDING_DIM, Vectors
from ticket_service.classifier.service import TrainedClassifier
from ticket_service.models import Ticket

logger = logging.getLogger(__name__)

# A change stamped `updated_at` = T is assumed committed by T + COMMIT_DELAY, so a read
# started at R has seen every change stamped before R - COMMIT_DELAY; later ones are re-read.
COMMIT_DELAY = timedelta(seconds=5)


Embed = Callable[[list[str]], Vectors]
# Runs `embed` off the event loop: the service passes its model threads (ModelWorkers.run).
RunEmbed = Callable[[Embed, list[str]], Awaitable[Vectors]]


async def _in_a_thread(embed: Embed, texts: list[str]) -> Vectors:
    return await asyncio.to_thread(embed, texts)


class SimilarTickets:
    """Slots of ticket embeddings; closed tickets leave the index on the next refresh."""

    def __init__(self, embed: Embed, run: RunEmbed = _in_a_thread) -> None:
        self._embed = embed
        self._run = run
        self._vectors = np.zeros((1024, EMBEDDING_DIM), dtype=np.float32)
        self._ids: npt.NDArray[np.int64] = np.full(1024, -1, dtype=np.int64)
        self._slot_of: dict[int, int] = {}
        self._descriptions: dict[int, str] = {}
        self._free: list[int] = list(range(1023, -1, -1))
        self._high = 0
        self._seen_before: datetime | None = None
        self._lock = asyncio.Lock()
        self._build: asyncio.Task[None] | None = None
        self._stopping = False

    def __len__(self) -> int:
        return len(self._slot_of)

    @property
    def building(self) -> bool:
        return self._build is not None and not self._build.done()

    def start_build(self, engine: AsyncEngine, chunk: int = 256) -> None:
        """Index the existing open and active tickets in the background (once)."""
        if self._build is None:
            self._build = asyncio.create_task(self._build_all(engine, chunk), name="similar-tickets-index")

    async def _build_all(self, engine: AsyncEngine, chunk: int) -> None:
        try:
            await self._index_open_tickets(engine, chunk)
        except Exception:  # searches then fall back to reading every open ticket themselves
            logger.exception("indexing the open tickets for similar-ticket search failed")

    async def _index_open_tickets(self, engine: AsyncEngine, chunk: int) -> None:
        async with self._lock:
            started = datetime.now(UTC)
            async with engine.connect() as connection:  # released before the long embedding work
                query = select(Ticket.id, Ticket.description).where(Ticket.status != "closed")
                rows = (await connection.execute(query)).all()
            for first in range(0, len(rows), chunk):
                if self._stopping:
                    return
                part = rows[first : first + chunk]
                vectors = await self._run(self._embed, [description for _, description in part])
                for (ticket_id, description), vector in zip(part, vectors, strict=True):
                    self._put(ticket_id, description, vector)
            self._seen_before = started - COMMIT_DELAY

    async def wait_built(self) -> None:
        """Wait for the start-up build (tests, benchmarks)."""
        if self._build is not None:
            await asyncio.wait({self._build})

    async def stop(self) -> None:
        """Stop the build after its current chunk (a worker thread cannot be cancelled mid-way)."""
        self._stopping = True
        if self._build is not None and not self._build.done():
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._build), timeout=5)
            self._build.cancel()

    async def refresh(self, connection: AsyncConnection) -> bool:
        """Bring the index up to date with the database (one indexed query when little changed).

        False while the start-up build is still running: the index is then incomplete.
        """
        if self._build is not None and not self._build.done():
            # Wait briefly: a small database is indexed by then; a large one answers partially.
            await asyncio.wait({self._build}, timeout=0.2)
            if not self._build.done():
                return False
        async with self._lock:
            started = datetime.now(UTC)
            query = select(Ticket.id, Ticket.status, Ticket.description)
            if self._seen_before is None:
                query = query.where(Ticket.status != "closed")
            else:
                query = query.where(Ticket.updated_at >= self._seen_before)
            rows = (await connection.execute(query)).all()
            to_embed: list[tuple[int, str]] = []
            for ticket_id, status, description in rows:
                if status == "closed":
                    self._remove(ticket_id)
                elif self._descriptions.get(ticket_id) != description:
                    to_embed.append((ticket_id, description))
            if to_embed:
                vectors = await self._run(self._embed, [d for _, d in to_embed])
                for (ticket_id, description), vector in zip(to_embed, vectors, strict=True):
                    self._put(ticket_id, description, vector)
            self._seen_before = started - COMMIT_DELAY
        return True

    def search(self, text_vector: Vectors, limit: int) -> list[tuple[int, float]]:
        """The `limit` most similar tickets: (id, cosine similarity), best first."""
        if not self._slot_of:
            return []
        used = self._high  # slots above it are empty: scanning them would cost ~40% more
        scores: npt.NDArray[np.float32] = self._vectors[:used] @ text_vector
        scores[self._ids[:used] < 0] = -np.inf
        limit = min(limit, len(self._slot_of))
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top])]
        return [(int(self._ids[i]), round(float(np.clip(scores[i], -1.0, 1.0)), 4)) for i in top]

    def _put(self, ticket_id: int, description: str, vector: Vectors) -> None:
        slot = self._slot_of.get(ticket_id)
        if slot is None:
            if not self._free:
                self._grow()
            slot = self._free.pop()  # the lowest free slot, so used slots stay packed at the start
            self._high = max(self._high, slot + 1)
            self._slot_of[ticket_id] = slot
            self._ids[slot] = ticket_id
        self._vectors[slot] = vector
        self._descriptions[ticket_id] = description

    def _remove(self, ticket_id: int) -> None:
        slot = self._slot_of.pop(ticket_id, None)
        if slot is not None:
            self._ids[slot] = -1
            self._vectors[slot] = 0.0
            self._free.append(slot)
            self._free.sort(reverse=True)
            del self._descriptions[ticket_id]

    def _grow(self) -> None:
        old = len(self._ids)
        self._vectors = np.vstack([self._vectors, np.zeros((old, EMBEDDING_DIM), dtype=np.float32)])
        self._ids = np.concatenate([self._ids, np.full(old, -1, dtype=np.int64)])
        self._free.extend(range(2 * old - 1, old - 1, -1))


def similar_tickets(app: FastAPI, classifier: TrainedClassifier) -> SimilarTickets:
    """The app's index, its background build started on first use (embedding in the model threads)."""
    index: SimilarTickets | None = getattr(app.state, "similar_tickets", None)
    if index is None:
        index = app.state.similar_tickets = SimilarTickets(classifier.embed, app.state.model_workers.run)
    index.start_build(app.state.engine)
    return index


async def stop_similar_tickets(app: FastAPI) -> None:
    index: SimilarTickets | None = getattr(app.state, "similar_tickets", None)
    if index is not None:
        await index.stop()
