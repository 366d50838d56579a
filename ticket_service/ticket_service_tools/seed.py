"""Fill the ticket database with realistic, deterministic tickets, messages and history.

`seed_database(url, tickets=N, seed=S)` appends N tickets opened over the last 18 months
(an academic-year rhythm: busy in October and March, quiet in August, nights and
weekends), in three categories and five languages. Each ticket is answered after a
log-normal delay (median 2.5 h) and closed after another (median 10-48 h by category),
so almost every ticket older than a few weeks is closed and the open/active backlog
stays small. Threads have 2.7 messages on average; every ticket has its `created` event
and one `status_changed` event per transition; the resolution roll-ups get exactly the
closed tickets created here.

Rows are generated with numpy in chunks of `CHUNK` tickets (one random stream per
chunk, so the data depends only on the seed, the ticket count and `now`) and loaded
with binary `COPY` on PostgreSQL (rows assembled by numpy), while a second thread
prepares the next chunk. A big load (at least as many tickets as already stored) drops
the secondary indexes, the primary keys and the foreign keys to and from the three
tables first and rebuilds them at the end, all in one transaction: a failure leaves the
database as it was. On 2 cores the COPY itself runs at 60-90k tickets/s; the rebuild of
the pg_trgm GIN index on descriptions (~25-35 s per million tickets, single-threaded in
PostgreSQL 15, and in the same transaction) then dominates the end-to-end rate. Into an empty database the rows
are copied with `FREEZE`, so they are visible to index-only scans without a VACUUM.
SQLite gets `executemany` in one transaction (about 20x slower; fine for local data).

The load takes EXCLUSIVE locks on the three tables (readers go on, writers wait), so
the ids continue correctly even next to a running service; sequences are moved past
the new ids at the end.
"""

from __future__ import annotations

import math
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import psycopg
from tqdm import tqdm

from campusdesk_common.contracts.stats import COARSE_BUCKET_GROUP, HISTOGRAM_RATIO, histogram_bucket
from campusdesk_common.vocabulary import (
    CATEGORIES,
    NEXT_STATUS,
    ROLES,
    STATUSES,
    CategorySource,
    EventKind,
    Role,
    Status,
)
from ticket_service import verified_fixes
from ticket_service.counters import rebuild_counters_at
from ticket_service.database import is_sqlite, sync_database_url
from ticket_service_tools.campus import current_room_codes, load_demo_campus_if_empty
from ticket_service_tools.seed_texts import LANGUAGE_WEIGHTS, LANGUAGES, description_pool, message_pool

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]

CHUNK = 50_000
HISTORY_DAYS = 548  # 18 months
HOUR_US = 3_600_000_000
DAY_US = 24 * HOUR_US
# Generated rows hold indexes into the vocabulary's tuples (STATUSES, CATEGORIES, ROLES).
OPEN, ACTIVE, CLOSED = range(len(STATUSES))
AUTO: CategorySource = "auto"
CATEGORY_WEIGHTS = (0.30, 0.45, 0.25)
# Share of each category's tickets reported with a room (facility problems are almost always somewhere).
PLACED_SHARE = (0.9, 0.55, 0.45)
# Median hours from opening to the first helpdesk action, and from then to closing.
RESPONSE_MEDIAN_HOURS = 2.5
RESPONSE_SIGMA = 1.3
RESOLUTION_MEDIAN_HOURS = (30.0, 10.0, 48.0)  # per category, in CATEGORIES order
RESOLUTION_SIGMA = 1.2
MAX_LIFETIME_US = 120 * DAY_US  # nobody leaves a ticket open for more than four months
# Every bucket a resolution time can fall in is below this (it follows HISTOGRAM_RATIO).
BUCKET_SPAN = histogram_bucket(MAX_LIFETIME_US / 1e6) + 1
# Relative ticket volume by calendar month (January first): the academic year.
MONTH_WEIGHTS = (1.0, 1.2, 1.25, 1.1, 1.0, 0.8, 0.5, 0.4, 1.4, 1.35, 1.2, 0.7)
WEEKDAY_WEIGHTS = (1.0, 1.0, 1.0, 0.95, 0.85, 0.25, 0.2)  # Monday first
NIGHT_AND_MORNING = (0.1, 0.06, 0.04, 0.03, 0.03, 0.05, 0.2, 0.5, 1.0, 1.4, 1.5, 1.4)
AFTERNOON_AND_EVENING = (1.1, 1.2, 1.4, 1.3, 1.1, 0.9, 0.6, 0.45, 0.35, 0.3, 0.22, 0.15)
HOUR_WEIGHTS = (*NIGHT_AND_MORNING, *AFTERNOON_AND_EVENING)  # UTC hour of day
DESCRIPTION_POOL = 3000
TABLES = ("tickets", "messages", "ticket_events")
ROLLUP_TABLES = (
    "resolution_monthly",
    "resolution_histogram",
    "resolution_histogram_coarse",
    "open_backlog_hourly",
    "active_counts",
)

TICKET_COLUMNS = (
    "id",
    "description",
    "category",
    "category_confidence",
    "category_source",
    "status",
    "opened_at",
    "updated_at",
    "closed_at",
    "version",
    "message_count",
    "room_code",
)
MESSAGE_COLUMNS = ("id", "ticket_id", "author_role", "body", "created_at")
EVENT_COLUMNS = ("id", "ticket_id", "kind", "role", "at", "old_value", "new_value")


@dataclass
class SeedReport:
    """What a seeding run added, and how long each phase took (seconds)."""

    tickets: int = 0
    messages: int = 0
    events: int = 0
    closed: int = 0
    rebuilt_indexes: bool = False
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def tickets_per_second(self) -> float:
        return self.tickets / self.seconds if self.seconds else 0.0


@dataclass
class _Chunk:
    """One chunk of generated rows, as columns."""

    ticket_id: I64
    category: I64
    language: I64
    description: list[str]
    description_pick: I64  # index into the generator's descriptions
    confidence: F64
    status: I64
    opened_us: I64
    active_us: I64
    closed_us: I64
    updated_us: I64
    version: I64
    message_count: I64
    message_id: I64
    message_ticket_id: I64
    message_role: I64
    message_body: list[str]
    body_pick: I64  # index into the generator's bodies
    message_us: I64
    event_id: I64
    event_ticket_id: I64
    event_step: I64  # 0 created, 1 open -> active, 2 active -> closed
    event_us: I64
    room: I64  # index into the generator's room codes; -1: reported without a place


@dataclass
class _Rollups:
    """Closed tickets per (opening month, category): count, seconds, histogram buckets."""

    monthly: dict[tuple[str, str], list[float]] = field(default_factory=dict)
    histogram: dict[tuple[str, str, int], int] = field(default_factory=dict)

    def add(self, chunk: _Chunk) -> int:
        closed = chunk.status == CLOSED
        if not closed.any():
            return 0
        opened = chunk.opened_us[closed]
        seconds = (chunk.closed_us[closed] - opened) / 1e6
        month = opened.astype("datetime64[us]").astype("datetime64[M]").astype(np.int64)
        category = chunk.category[closed]
        buckets = _buckets(seconds)
        keys, inverse = np.unique(month * 3 + category, return_inverse=True)
        counts = np.bincount(inverse)
        totals = np.bincount(inverse, weights=seconds)
        for key, count, total in zip(keys.tolist(), counts.tolist(), totals.tolist(), strict=True):
            entry = self.monthly.setdefault((_month_name(key // 3), CATEGORIES[key % 3]), [0, 0.0])
            entry[0] += count
            entry[1] += total
        hist_keys, hist_counts = np.unique((month * 3 + category) * BUCKET_SPAN + buckets, return_counts=True)
        for key, count in zip(hist_keys.tolist(), hist_counts.tolist(), strict=True):
            cell = (_month_name(key // (3 * BUCKET_SPAN)), CATEGORIES[(key // BUCKET_SPAN) % 3], key % BUCKET_SPAN)
            self.histogram[cell] = self.histogram.get(cell, 0) + count
        return int(closed.sum())

    def coarse_rows(self) -> list[tuple[str, str, int, int]]:
        """The histogram summed over groups of COARSE_BUCKET_GROUP buckets (`resolution_histogram_coarse`)."""
        coarse: dict[tuple[str, str, int], int] = {}
        for (month, category, bucket), count in self.histogram.items():
            key = (month, category, bucket // COARSE_BUCKET_GROUP * COARSE_BUCKET_GROUP)
            coarse[key] = coarse.get(key, 0) + count
        return [(month, category, bucket, count) for (month, category, bucket), count in coarse.items()]


def _month_name(months_since_epoch: int) -> str:
    return f"{1970 + months_since_epoch // 12:04d}-{months_since_epoch % 12 + 1:02d}"


def _buckets(seconds: F64) -> I64:
    """`histogram_bucket` for an array, exact: values within rounding of a bucket edge are redone one by one."""
    ratio = np.log(np.maximum(seconds, 0.0) + 1.0) / math.log(HISTOGRAM_RATIO)
    buckets = np.floor(ratio).astype(np.int64)
    near = np.abs(ratio - np.round(ratio)) < 1e-9
    for index in np.flatnonzero(near).tolist():
        buckets[index] = histogram_bucket(float(seconds[index]))
    return buckets


class _Generator:
    """Deterministic rows for a seed: ticket k of the run is the same whatever else runs."""

    def __init__(self, *, tickets: int, seed: int, now_us: int, room_codes: Sequence[str] = ()) -> None:
        self.tickets = tickets
        self.room_codes = list(room_codes)
        # Each category has its own few rooms where most of its problems happen (a skewed, seeded
        # preference), so some rooms see the same problem again and again: recurring problems.
        places = np.random.default_rng([seed & 0xFFFF_FFFF_FFFF_FFFF, 4])
        rank_weights = 1.0 / (1.0 + np.arange(len(self.room_codes))) ** 1.1
        self.room_weights = [
            (rank_weights[places.permutation(len(self.room_codes))] / rank_weights.sum()) if self.room_codes else None
            for _ in CATEGORIES
        ]
        self.seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self.now_us = now_us
        self.start_us = now_us - HISTORY_DAYS * DAY_US
        texts = np.random.default_rng([self.seed, 1])
        self.descriptions: list[str] = []
        self.description_offset = np.zeros(len(CATEGORIES) * len(LANGUAGES), dtype=np.int64)
        self.description_size = np.zeros_like(self.description_offset)
        for c, category in enumerate(CATEGORIES):
            for g, language in enumerate(LANGUAGES):
                pool = description_pool(category, language, DESCRIPTION_POOL, texts)
                self.description_offset[c * len(LANGUAGES) + g] = len(self.descriptions)
                self.description_size[c * len(LANGUAGES) + g] = len(pool)
                self.descriptions.extend(pool)
        self.bodies: list[str] = []
        self.body_offset = np.zeros(len(LANGUAGES) * 2, dtype=np.int64)
        self.body_size = np.zeros_like(self.body_offset)
        for g, language in enumerate(LANGUAGES):
            for r, role in enumerate(ROLES):
                pool = message_pool(language, role, texts)
                self.body_offset[g * 2 + r] = len(self.bodies)
                self.body_size[g * 2 + r] = len(pool)
                self.bodies.extend(pool)
        # Tickets per hour of the window, then ticket i's hour is where the running count passes i.
        hours = HISTORY_DAYS * 24
        starts = (self.start_us + np.arange(hours, dtype=np.int64) * HOUR_US).astype("datetime64[us]")
        month = starts.astype("datetime64[M]").astype(np.int64) % 12
        weekday = (starts.astype("datetime64[D]").astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday
        hour = (starts.astype("datetime64[h]").astype(np.int64)) % 24
        growth = np.linspace(0.85, 1.15, hours)  # enrolment grows
        weights = np.asarray(MONTH_WEIGHTS)[month] * np.asarray(WEEKDAY_WEIGHTS)[weekday]
        weights = weights * np.asarray(HOUR_WEIGHTS)[hour] * growth
        arrivals = np.random.default_rng([self.seed, 2])
        per_hour = arrivals.multinomial(tickets, weights / weights.sum()).astype(np.int64)
        self.hour_end = np.cumsum(per_hour)
        self.hour_count = per_hour

    def chunk(self, index: int, *, first_ticket: int, first_message: int, first_event: int) -> _Chunk:
        lo, hi = index * CHUNK, min((index + 1) * CHUNK, self.tickets)
        n = hi - lo
        rng = np.random.default_rng([self.seed, 3, index])
        position = np.arange(lo, hi, dtype=np.int64)
        # Stratified within the hour, so opening times grow with the ticket id.
        hour = np.searchsorted(self.hour_end, position, side="right")
        rank = position - (self.hour_end[hour] - self.hour_count[hour])
        within = (rank + rng.random(n)) / self.hour_count[hour]
        opened = self.start_us + hour * HOUR_US + (within * HOUR_US).astype(np.int64)
        opened = np.minimum(opened, self.now_us - 1)

        category = rng.choice(len(CATEGORIES), size=n, p=CATEGORY_WEIGHTS).astype(np.int64)
        language = rng.choice(len(LANGUAGES), size=n, p=LANGUAGE_WEIGHTS).astype(np.int64)
        pool = category * len(LANGUAGES) + language
        pick = self.description_offset[pool] + (rng.random(n) * self.description_size[pool]).astype(np.int64)
        description = list(map(self.descriptions.__getitem__, pick.tolist()))
        confidence = np.round(0.55 + 0.45 * rng.beta(6.0, 2.0, size=n), 3)

        response = rng.lognormal(math.log(RESPONSE_MEDIAN_HOURS), RESPONSE_SIGMA, size=n) * HOUR_US
        medians = np.asarray(RESOLUTION_MEDIAN_HOURS)[category]
        resolution = rng.lognormal(0.0, RESOLUTION_SIGMA, size=n) * medians * HOUR_US
        active = opened + np.maximum(response.astype(np.int64), 1_000_000)
        active = np.minimum(active, opened + MAX_LIFETIME_US // 2)
        closed = np.minimum(active + np.maximum(resolution.astype(np.int64), 1_000_000), opened + MAX_LIFETIME_US)
        status = np.where(closed <= self.now_us, CLOSED, np.where(active <= self.now_us, ACTIVE, OPEN)).astype(np.int64)

        # Threads: closed tickets had a conversation; the backlog has fewer messages yet.
        mean_messages = np.asarray([0.4, 1.4, 1.7])[status]  # per status, in STATUSES order
        message_count = np.minimum(rng.poisson(mean_messages) + (status == CLOSED), 30).astype(np.int64)
        m = int(message_count.sum())
        owner = np.repeat(np.arange(n, dtype=np.int64), message_count)
        thread_start = np.cumsum(message_count) - message_count
        thread_position = np.arange(m, dtype=np.int64) - thread_start[owner]
        end = np.where(status == CLOSED, closed, self.now_us)
        fraction = np.sort(owner + rng.random(m)) - owner  # sorted within each thread
        message_us = opened[owner] + (fraction * (end - opened)[owner]).astype(np.int64)
        first_role = (rng.random(n) < 0.65).astype(np.int64)  # 1: the helpdesk writes first
        message_role = (first_role[owner] + thread_position) % 2
        body_pool = language[owner] * 2 + message_role
        body_pick = self.body_offset[body_pool] + (rng.random(m) * self.body_size[body_pool]).astype(np.int64)
        message_body = list(map(self.bodies.__getitem__, body_pick.tolist()))

        updated = np.where(status >= ACTIVE, active, opened)
        updated = np.where(status == CLOSED, closed, updated)
        has_messages = message_count > 0
        last_message = np.zeros(n, dtype=np.int64)
        last_message[has_messages] = message_us[(thread_start + message_count - 1)[has_messages]]
        updated = np.maximum(updated, last_message)

        changes = status  # open: none, active: one, closed: two status changes
        events_per_ticket = 1 + changes
        e = int(events_per_ticket.sum())
        event_owner = np.repeat(np.arange(n, dtype=np.int64), events_per_ticket)
        event_step = np.arange(e, dtype=np.int64) - (np.cumsum(events_per_ticket) - events_per_ticket)[event_owner]
        event_us = np.choose(event_step, [opened[event_owner], active[event_owner], closed[event_owner]])

        ticket_id = np.arange(first_ticket, first_ticket + n, dtype=np.int64)
        room = self._rooms(index, category)
        return _Chunk(
            ticket_id=ticket_id,
            category=category,
            language=language,
            description=description,
            description_pick=pick,
            confidence=confidence,
            status=status,
            opened_us=opened,
            active_us=active,
            closed_us=closed,
            updated_us=updated,
            version=1 + changes,
            message_count=message_count,
            message_id=np.arange(first_message, first_message + m, dtype=np.int64),
            message_ticket_id=ticket_id[owner],
            message_role=message_role,
            message_body=message_body,
            body_pick=body_pick,
            message_us=message_us,
            event_id=np.arange(first_event, first_event + e, dtype=np.int64),
            event_ticket_id=ticket_id[event_owner],
            event_step=event_step,
            event_us=event_us,
            room=room,
        )

    def _rooms(self, index: int, category: I64) -> I64:
        """Where each ticket was reported from (-1: nowhere), from a generator of its own so the
        other columns stay what they were before tickets had places."""
        room = np.full(len(category), -1, dtype=np.int64)
        if not self.room_codes:
            return room
        rng = np.random.default_rng([self.seed, 5, index])
        placed = rng.random(len(category)) < np.asarray(PLACED_SHARE)[category]
        for c, weights in enumerate(self.room_weights):
            chosen = placed & (category == c)
            room[chosen] = rng.choice(len(self.room_codes), size=int(chosen.sum()), p=weights)
        return room


def _strings(values: I64) -> list[str]:
    return list(map(str, values.tolist()))


def _timestamps(values: I64, *, sep: str = "T") -> list[str]:
    """ISO 8601 UTC text with microseconds; SQLite wants SQLAlchemy's "YYYY-MM-DD HH:MM:SS.ffffff"."""
    text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
    if sep != "T":
        text = np.strings.replace(text, "T", sep)
    return list(text.tolist())


# A ticket's history, step by step: reported by its user, then started and closed by the helpdesk.
_EVENT_KIND: tuple[EventKind, ...] = ("created", "status_changed", "status_changed")
_EVENT_ROLE: tuple[Role, ...] = ("user", "helpdesk", "helpdesk")
_EVENT_OLD: tuple[Status | None, ...] = (None, *NEXT_STATUS)
_EVENT_NEW: tuple[Status | None, ...] = (None, *NEXT_STATUS.values())


def _pick(values: tuple[Any, ...], index: I64) -> list[Any]:
    return list(map(values.__getitem__, index.tolist()))


def _ticket_columns(chunk: _Chunk, room_codes: Sequence[str], *, sep: str, null: Any) -> list[list[Any]]:
    n = len(chunk.ticket_id)
    closed = _timestamps(chunk.closed_us, sep=sep)
    if null is not None or sep != "T":
        closed = [
            value if status == CLOSED else null for value, status in zip(closed, chunk.status.tolist(), strict=True)
        ]
    return [
        _strings(chunk.ticket_id),
        chunk.description,
        _pick(CATEGORIES, chunk.category),
        list(map(str, chunk.confidence.tolist())),
        [AUTO] * n,
        _pick(STATUSES, chunk.status),
        _timestamps(chunk.opened_us, sep=sep),
        _timestamps(chunk.updated_us, sep=sep),
        closed,
        _strings(chunk.version),
        _strings(chunk.message_count),
        [room_codes[r] if r >= 0 else None for r in chunk.room.tolist()],
    ]


def _message_columns(chunk: _Chunk, *, sep: str) -> list[list[Any]]:
    return [
        _strings(chunk.message_id),
        _strings(chunk.message_ticket_id),
        _pick(ROLES, chunk.message_role),
        chunk.message_body,
        _timestamps(chunk.message_us, sep=sep),
    ]


def _event_columns(chunk: _Chunk, *, sep: str, null: Any) -> list[list[Any]]:
    old = tuple(null if value is None else value for value in _EVENT_OLD)
    new = tuple(null if value is None else value for value in _EVENT_NEW)
    return [
        _strings(chunk.event_id),
        _strings(chunk.event_ticket_id),
        _pick(_EVENT_KIND, chunk.event_step),
        _pick(_EVENT_ROLE, chunk.event_step),
        _timestamps(chunk.event_us, sep=sep),
        _pick(old, chunk.event_step),
        _pick(new, chunk.event_step),
    ]


# COPY binary format: a signature, then per row an int16 field count and per field an int32
# length (-1: NULL) and the value, big-endian; then a -1 trailer. The rows are assembled
# with numpy: fixed-width columns as one (rows, bytes) block, texts gathered from pools of
# pre-encoded fields (the drawn texts and the few status / role words), so Python does no
# per-row work and PostgreSQL parses no text (about 1.3x less work per row than text COPY).
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
_BINARY_TRAILER = b"\xff\xff"
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01, where PostgreSQL timestamps count from


@dataclass
class _Pool:
    """Pre-encoded COPY binary fields (int32 length + UTF-8 text) drawn by index."""

    data: npt.NDArray[np.uint8]
    start: I64
    size: I64

    @classmethod
    def of(cls, items: Iterable[Sequence[str | None]]) -> _Pool:
        """One entry per item: its values as consecutive fields."""
        entries = [b"".join(map(_text_field, item)) for item in items]
        size = np.fromiter(map(len, entries), dtype=np.int64, count=len(entries))
        data = np.frombuffer(b"".join(entries), dtype=np.uint8)
        return cls(data=data, start=np.cumsum(size) - size, size=size)


def _text_field(value: str | None) -> bytes:
    if value is None:
        return b"\xff\xff\xff\xff"
    raw = value.encode()
    return len(raw).to_bytes(4, "big") + raw


def _nullable(block: npt.NDArray[np.uint8], present: npt.NDArray[np.bool_]) -> tuple[_Pool, I64]:
    """A fixed-width column that is NULL where not `present`: each row its own pool entry."""
    rows, width = block.shape
    data = np.concatenate([block.reshape(-1), np.full(4, 0xFF, dtype=np.uint8)])
    start = np.append(np.arange(rows, dtype=np.int64) * width, rows * width)
    size = np.append(np.full(rows, width, dtype=np.int64), 4)
    return _Pool(data=data, start=start, size=size), np.where(present, np.arange(rows, dtype=np.int64), rows)


def _fixed(values: npt.NDArray[Any], kind: str) -> npt.NDArray[np.uint8]:
    """A fixed-width column as (rows, 4 + width) bytes: length prefix and big-endian value."""
    record = np.empty(len(values), dtype=[("n", ">i4"), ("v", kind)])
    record["n"] = record.dtype["v"].itemsize
    record["v"] = values
    return record.view(np.uint8).reshape(len(values), -1)


def _timestamp(values: I64) -> npt.NDArray[np.uint8]:
    return _fixed(values - _PG_EPOCH_US, ">i8")


def _put(out: npt.NDArray[np.uint8], at: I64, pool: _Pool, pick: I64) -> I64:
    """Copy field `pick[i]` of `pool` to `out[at[i]:]`; return the sizes written."""
    size = pool.size[pick]
    total = int(size.sum())
    before = np.cumsum(size) - size
    step = np.arange(total, dtype=np.int64)
    out[np.repeat(at - before, size) + step] = pool.data[np.repeat(pool.start[pick] - before, size) + step]
    return size


def _copy_binary(rows: int, fields: int, columns: list[npt.NDArray[np.uint8] | tuple[_Pool, I64]]) -> bytes:
    """`rows` rows of `fields` fields in COPY binary format; each column a block of fields or (pool, pick)."""
    if not rows:
        return b""
    sizes = np.full(rows, 2, dtype=np.int64)
    for column in columns:
        if isinstance(column, tuple):
            sizes += column[0].size[column[1]]
        else:
            sizes += column.shape[1]
    out = np.empty(len(_BINARY_HEADER) + int(sizes.sum()) + len(_BINARY_TRAILER), dtype=np.uint8)
    out[: len(_BINARY_HEADER)] = np.frombuffer(_BINARY_HEADER, dtype=np.uint8)
    out[-len(_BINARY_TRAILER) :] = 0xFF
    at = len(_BINARY_HEADER) + np.cumsum(sizes) - sizes
    out[at] = fields >> 8
    out[at + 1] = fields & 0xFF
    at = at + 2
    for column in columns:
        if isinstance(column, tuple):
            at = at + _put(out, at, *column)
        else:
            width = column.shape[1]
            out[at[:, None] + np.arange(width, dtype=np.int64)] = column
            at = at + width
    return out.tobytes()


_TICKET_BINARY_COLUMNS = (
    "id",
    "category_confidence",
    "opened_at",
    "updated_at",
    "version",
    "message_count",
    "category",
    "category_source",
    "status",
    "closed_at",
    "description",
    "room_code",
)
_MESSAGE_BINARY_COLUMNS = ("id", "ticket_id", "created_at", "author_role", "body")
_EVENT_BINARY_COLUMNS = ("id", "ticket_id", "at", "kind", "role", "old_value", "new_value")


class _BinaryPayload:
    """The three COPY binary payloads of a chunk (pools encoded once per run)."""

    def __init__(self, generator: _Generator) -> None:
        self.descriptions = _Pool.of((text,) for text in generator.descriptions)
        self.bodies = _Pool.of((text,) for text in generator.bodies)
        self.categories = _Pool.of((category, AUTO) for category in CATEGORIES)
        self.statuses = _Pool.of((status,) for status in STATUSES)
        self.roles = _Pool.of((role,) for role in ROLES)
        self.steps = _Pool.of(zip(_EVENT_KIND, _EVENT_ROLE, _EVENT_OLD, _EVENT_NEW, strict=True))
        self.rooms = _Pool.of([(code,) for code in generator.room_codes] + [(None,)])  # last: no place

    def __call__(self, chunk: _Chunk) -> tuple[bytes, bytes, bytes]:
        numbers = np.hstack(
            [
                _fixed(chunk.ticket_id, ">i8"),
                _fixed(chunk.confidence, ">f8"),
                _timestamp(chunk.opened_us),
                _timestamp(chunk.updated_us),
                _fixed(chunk.version, ">i4"),
                _fixed(chunk.message_count, ">i4"),
            ]
        )
        tickets = _copy_binary(
            len(chunk.ticket_id),
            len(_TICKET_BINARY_COLUMNS),
            [
                numbers,
                (self.categories, chunk.category),
                (self.statuses, chunk.status),
                _nullable(_timestamp(chunk.closed_us), chunk.status == CLOSED),
                (self.descriptions, chunk.description_pick),
                (self.rooms, np.where(chunk.room >= 0, chunk.room, len(self.rooms.size) - 1)),
            ],
        )
        message_numbers = np.hstack(
            [_fixed(chunk.message_id, ">i8"), _fixed(chunk.message_ticket_id, ">i8"), _timestamp(chunk.message_us)]
        )
        messages = _copy_binary(
            len(chunk.message_id),
            len(_MESSAGE_BINARY_COLUMNS),
            [message_numbers, (self.roles, chunk.message_role), (self.bodies, chunk.body_pick)],
        )
        event_numbers = np.hstack(
            [_fixed(chunk.event_id, ">i8"), _fixed(chunk.event_ticket_id, ">i8"), _timestamp(chunk.event_us)]
        )
        events = _copy_binary(
            len(chunk.event_id), len(_EVENT_BINARY_COLUMNS), [event_numbers, (self.steps, chunk.event_step)]
        )
        return tickets, messages, events


def _chunks(generator: _Generator, starts: tuple[int, int, int], prepare: Any) -> Iterator[tuple[_Chunk, Any]]:
    """Chunks in order, each generated and `prepare`d in a worker thread one step ahead."""
    count = math.ceil(generator.tickets / CHUNK)
    next_ticket, next_message, next_event = starts

    def build(index: int, ticket: int, message: int, event: int) -> tuple[_Chunk, Any]:
        chunk = generator.chunk(index, first_ticket=ticket, first_message=message, first_event=event)
        return chunk, prepare(chunk)

    # Ids of chunk k+1 depend on the row counts of chunk k, so each chunk is built after
    # its predecessor; the thread still overlaps building chunk k+1 with loading chunk k.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending: Future[tuple[_Chunk, Any]] | None = None
        for index in range(count):
            if pending is None:
                pending = pool.submit(build, index, next_ticket, next_message, next_event)
            chunk, payload = pending.result()
            next_ticket += len(chunk.ticket_id)
            next_message += len(chunk.message_id)
            next_event += len(chunk.event_id)
            pending = (
                pool.submit(build, index + 1, next_ticket, next_message, next_event) if index + 1 < count else None
            )
            yield chunk, payload


def seed_database(
    url: str,
    *,
    tickets: int,
    seed: int,
    now: datetime | None = None,
    rebuild_indexes: bool | None = None,
    progress: bool = True,
) -> SeedReport:
    """Append `tickets` realistic tickets (with threads, history and roll-ups) to the database at `url`.

    The same `seed`, `tickets` and `now` give the same rows (ids shift when the database
    already has tickets). `now` defaults to the current time. `rebuild_indexes` (PostgreSQL)
    drops and rebuilds secondary indexes; by default only when the load at least doubles
    the table.
    """
    if tickets < 0:
        raise ValueError("tickets must be >= 0")
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    now_us = int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds() * 1_000_000)
    began = time.perf_counter()
    load_demo_campus_if_empty(url)
    generator = _Generator(tickets=tickets, seed=seed, now_us=now_us, room_codes=current_room_codes(url))
    report = SeedReport(phases={"prepare": time.perf_counter() - began})
    if is_sqlite(url):
        _seed_sqlite(url, generator, report, progress=progress)
    else:
        _seed_postgres(url, generator, report, rebuild_indexes=rebuild_indexes, progress=progress)
    rebuild_counters_at(url)  # the backlog counters (open per hour, active per category) from the tickets
    verified_fixes.rebuild_at(url)  # the verified-fix facts per closing month, from the closed tickets
    report.seconds = time.perf_counter() - began
    if progress:
        print(
            f"seeded {report.tickets:,} tickets, {report.messages:,} messages, {report.events:,} events "
            f"in {report.seconds:.1f} s ({report.tickets_per_second:,.0f} tickets/s)",
            file=sys.stderr,
        )
        load = report.phases.get("copy") or report.phases.get("insert")
        phases = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in report.phases.items())
        rate = f"; load alone {report.tickets / load:,.0f} tickets/s" if load else ""
        print(f"phases: {phases}{rate}", file=sys.stderr)
    return report


def _progress_bar(total: int, enabled: bool) -> tqdm[Any]:
    return tqdm(total=total, unit=" tickets", unit_scale=True, disable=not enabled, desc="seeding", smoothing=0.1)


# ---------------------------------------------------------------- PostgreSQL


def _libpq_url(url: str) -> str:
    return "postgresql://" + sync_database_url(url).split("://", 1)[1]


_ADD_MONTHLY_PG = (
    "INSERT INTO resolution_monthly (month, category, closed_count, total_seconds) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (month, category) DO UPDATE SET "
    "closed_count = resolution_monthly.closed_count + excluded.closed_count, "
    "total_seconds = resolution_monthly.total_seconds + excluded.total_seconds"
)
_ADD_HISTOGRAM_PG = (
    "INSERT INTO resolution_histogram (month, category, bucket, count) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (month, category, bucket) DO UPDATE SET count = resolution_histogram.count + excluded.count"
)
_ADD_COARSE_PG = (
    "INSERT INTO resolution_histogram_coarse (month, category, bucket, count) VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (month, category, bucket) DO UPDATE SET count = resolution_histogram_coarse.count + excluded.count"
)


def _next_ids(cursor: psycopg.Cursor[Any]) -> tuple[int, int, int]:
    """The first free id of each table: past both the largest id and the sequence."""
    starts = []
    for table in TABLES:
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")  # noqa: S608 - fixed table names
        largest = int(cursor.fetchone()[0])  # type: ignore[index]
        cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", (table,))
        sequence = cursor.fetchone()[0]  # type: ignore[index]
        if sequence:
            cursor.execute(f"SELECT last_value, is_called FROM {sequence}")  # noqa: S608
            last_value, is_called = cursor.fetchone()  # type: ignore[misc]
            largest = max(largest, int(last_value) if is_called else int(last_value) - 1)
        starts.append(largest + 1)
    return starts[0], starts[1], starts[2]


def _secondary_indexes(cursor: psycopg.Cursor[Any]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of every non-unique index of the three tables."""
    cursor.execute(
        "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid "
        "WHERE t.relname = ANY(%s) AND t.relnamespace = 'public'::regnamespace "
        "AND NOT i.indisunique AND NOT i.indisprimary ORDER BY c.relname",
        (list(TABLES),),
    )
    return [(str(name), str(definition)) for name, definition in cursor.fetchall()]


def _constraints(cursor: psycopg.Cursor[Any]) -> list[tuple[str, str, str]]:
    """(table, name, definition) of the three tables' primary keys, then of every foreign key to or from them.

    A bulk load drops them (foreign keys first) and adds them back in this order: building a
    primary key from the loaded rows is far cheaper than maintaining it row by row.
    """
    cursor.execute(
        "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE (c.contype = 'p' AND c.conrelid = ANY(%(tables)s::regclass[])) "
        "OR (c.contype = 'f' AND (c.conrelid = ANY(%(tables)s::regclass[]) "
        "OR c.confrelid = ANY(%(tables)s::regclass[]))) "
        "ORDER BY c.contype = 'f', 1, 2",
        {"tables": [f"public.{table}" for table in TABLES]},
    )
    return [(str(table), str(name), str(definition)) for table, name, definition in cursor.fetchall()]


def _seed_postgres(
    url: str, generator: _Generator, report: SeedReport, *, rebuild_indexes: bool | None, progress: bool
) -> None:
    phases = report.phases
    with psycopg.connect(_libpq_url(url)) as connection, connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'UTC'")
        cursor.execute("SET LOCAL synchronous_commit = off")
        # Index builds: the sorts fit in memory, and btree builds use the second core.
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        cursor.execute("SET LOCAL max_parallel_maintenance_workers = 2")
        cursor.execute("LOCK TABLE tickets, messages, ticket_events IN EXCLUSIVE MODE")
        cursor.execute("SELECT EXISTS (SELECT 1 FROM tickets)")
        empty = not cursor.fetchone()[0]  # type: ignore[index]
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'tickets'")
        estimated = max(0.0, float(cursor.fetchone()[0]))  # type: ignore[index]
        bulk = rebuild_indexes if rebuild_indexes is not None else generator.tickets >= max(estimated, 20_000)
        report.rebuilt_indexes = bulk
        starts = _next_ids(cursor)
        options = "FORMAT binary"
        if empty:
            # No ticket means no row refers to one: truncating lets COPY write frozen, all-visible pages.
            cursor.execute("TRUNCATE tickets, messages, ticket_events CASCADE")
            options += ", FREEZE"
        indexes: list[tuple[str, str]] = []
        constraints: list[tuple[str, str, str]] = []
        if bulk:
            indexes = _secondary_indexes(cursor)
            constraints = _constraints(cursor)
            for table, name, _definition in reversed(constraints):
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for name, _definition in indexes:
                cursor.execute(f'DROP INDEX "{name}"')

        rollups = _Rollups()
        began = time.perf_counter()
        with _progress_bar(generator.tickets, progress) as bar:
            for chunk, (tickets, messages, events) in _chunks(generator, starts, _BinaryPayload(generator)):
                for table, columns, payload in (
                    ("tickets", _TICKET_BINARY_COLUMNS, tickets),
                    ("messages", _MESSAGE_BINARY_COLUMNS, messages),
                    ("ticket_events", _EVENT_BINARY_COLUMNS, events),
                ):
                    if payload:
                        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH ({options})"
                        with cursor.copy(statement) as copy:
                            copy.write(payload)
                report.closed += rollups.add(chunk)
                report.tickets += len(chunk.ticket_id)
                report.messages += len(chunk.message_id)
                report.events += len(chunk.event_id)
                bar.update(len(chunk.ticket_id))
        phases["copy"] = time.perf_counter() - began

        began = time.perf_counter()
        cursor.executemany(
            _ADD_MONTHLY_PG,
            [(month, category, int(count), total) for (month, category), (count, total) in rollups.monthly.items()],
        )
        cursor.executemany(
            _ADD_HISTOGRAM_PG,
            [(month, category, bucket, count) for (month, category, bucket), count in rollups.histogram.items()],
        )
        cursor.executemany(_ADD_COARSE_PG, rollups.coarse_rows())
        loaded = (report.tickets, report.messages, report.events)
        for table, start, count in zip(TABLES, starts, loaded, strict=True):
            # The new rows have the largest ids (no scan: the primary key may not be rebuilt yet).
            largest = (
                f"{start + count - 1}, true"
                if count
                else f"(SELECT coalesce(max(id), 1) FROM {table}), (SELECT count(*) > 0 FROM {table})"  # noqa: S608
            )
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {largest})")
        phases["rollups"] = time.perf_counter() - began

        began = time.perf_counter()
        primary = [constraint for constraint in constraints if constraint[2].startswith("PRIMARY KEY")]
        for table, name, definition in primary:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        gin = 0.0  # the trigram index: PostgreSQL 15 builds GIN indexes on one core, ~30 s per million tickets
        for _name, definition in indexes:
            started = time.perf_counter()
            cursor.execute(definition)
            gin += time.perf_counter() - started if " USING gin " in definition else 0.0
        for table, name, definition in constraints[len(primary) :]:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        phases["indexes"] = time.perf_counter() - began - gin
        phases["gin_indexes"] = gin
        connection.commit()

    # Statistics (and, unless the pages were frozen, the visibility map for index-only scans).
    began = time.perf_counter()
    with psycopg.connect(_libpq_url(url), autocommit=True) as connection:
        for table in TABLES:
            connection.execute(f"ANALYZE {table}" if empty else f"VACUUM (ANALYZE) {table}")
        # Without statistics the planner guesses one row per roll-up and re-runs the median
        # subquery once per month (7 ms instead of 2 ms at 10k tickets).
        for table in ROLLUP_TABLES:
            connection.execute(f"ANALYZE {table}")
    phases["analyze"] = time.perf_counter() - began


# ---------------------------------------------------------------- SQLite


_ADD_MONTHLY_SQLITE = _ADD_MONTHLY_PG.replace("%s", "?")
_ADD_HISTOGRAM_SQLITE = _ADD_HISTOGRAM_PG.replace("%s", "?")
_ADD_COARSE_SQLITE = _ADD_COARSE_PG.replace("%s", "?")


def _sqlite_path(url: str) -> str:
    return sync_database_url(url).split("sqlite:///", 1)[1]


def _seed_sqlite(url: str, generator: _Generator, report: SeedReport, *, progress: bool) -> None:
    connection = sqlite3.connect(_sqlite_path(url), isolation_level=None, timeout=30)
    try:
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA busy_timeout=30000")
        connection.execute("BEGIN IMMEDIATE")
        starts = tuple(
            int(connection.execute(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").fetchone()[0])  # noqa: S608
            for table in TABLES
        )
        rollups = _Rollups()
        began = time.perf_counter()

        def rows(chunk: _Chunk) -> tuple[list[Any], list[Any], list[Any]]:
            tickets = _ticket_columns(chunk, generator.room_codes, sep=" ", null=None)
            tickets[0] = chunk.ticket_id.tolist()
            tickets[3] = chunk.confidence.tolist()
            tickets[9] = chunk.version.tolist()
            tickets[10] = chunk.message_count.tolist()
            messages = _message_columns(chunk, sep=" ")
            messages[0], messages[1] = chunk.message_id.tolist(), chunk.message_ticket_id.tolist()
            events = _event_columns(chunk, sep=" ", null=None)
            events[0], events[1] = chunk.event_id.tolist(), chunk.event_ticket_id.tolist()
            return list(zip(*tickets, strict=True)), list(zip(*messages, strict=True)), list(zip(*events, strict=True))

        with _progress_bar(generator.tickets, progress) as bar:
            for chunk, (tickets, messages, events) in _chunks(generator, starts, rows):  # type: ignore[arg-type]
                for table, columns, values in (
                    ("tickets", TICKET_COLUMNS, tickets),
                    ("messages", MESSAGE_COLUMNS, messages),
                    ("ticket_events", EVENT_COLUMNS, events),
                ):
                    marks = ", ".join("?" * len(columns))
                    connection.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)  # noqa: S608
                report.closed += rollups.add(chunk)
                report.tickets += len(chunk.ticket_id)
                report.messages += len(chunk.message_id)
                report.events += len(chunk.event_id)
                bar.update(len(chunk.ticket_id))
        report.phases["insert"] = time.perf_counter() - began
        connection.executemany(
            _ADD_MONTHLY_SQLITE,
            [(month, category, int(count), total) for (month, category), (count, total) in rollups.monthly.items()],
        )
        connection.executemany(
            _ADD_HISTOGRAM_SQLITE,
            [(month, category, bucket, count) for (month, category, bucket), count in rollups.histogram.items()],
        )
        connection.executemany(_ADD_COARSE_SQLITE, rollups.coarse_rows())
        connection.execute("COMMIT")
        connection.execute("ANALYZE")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.close()
