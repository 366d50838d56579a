"""Revision 0004 rebuilds the resolution histogram at the contract's ratio, bucket for bucket as
the application files a closure (edges included), on both databases; the downgrade rebuilds it
at the old ratio 1.1."""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import command

from campusdesk_common.contracts.stats import (
    COARSE_BUCKET_GROUP,
    HISTOGRAM_RATIO,
    histogram_bounds,
    histogram_bucket,
)
from campusdesk_common.vocabulary import CATEGORIES
from ticket_service.database import alembic_config, migrate, sync_database_url
from ticket_service.models import Ticket
from ticket_service.rollups import opening_month
from ticket_service_tools.seed import seed_database

Cell = tuple[str, str, int]


def _closed_tickets() -> list[dict[str, Any]]:
    """Closed tickets over three months, with random times and times a microsecond around bucket edges."""
    rng = random.Random(13)
    base = datetime(2026, 1, 31, 23, 0, 0, tzinfo=UTC)  # the first hour is January, the rest February
    seconds: list[float] = [rng.lognormvariate(math.log(20 * 3600), 1.2) for _ in range(300)]
    for bucket in (2_000, 2_500, 2_900):
        edge, _upper = histogram_bounds(bucket)
        seconds += [edge - 1e-6, edge, edge + 1e-6]
    seconds += [0.0, 0.5, 1.0]
    rows = []
    for number, duration in enumerate(seconds):
        opened = base + timedelta(seconds=rng.randint(0, 40 * 86400), microseconds=rng.randint(0, 999_999))
        if number == 0:
            opened = base + timedelta(hours=1, microseconds=-1)  # January's last microsecond (UTC)
        closed = opened + timedelta(microseconds=round(duration * 1e6))
        category = CATEGORIES[number % len(CATEGORIES)]
        rows.append(
            {
                "description": "closed before the migration",
                "category": category,
                "status": "closed",
                "opened_at": opened,
                "updated_at": closed,
                "closed_at": closed,
            }
        )
    return rows


def _expected(rows: list[dict[str, Any]], bucket_of: Callable[[float], int]) -> Counter[Cell]:
    return Counter(
        (opening_month(r["opened_at"]), r["category"], bucket_of((r["closed_at"] - r["opened_at"]).total_seconds()))
        for r in rows
    )


def _histogram(engine: sa.Engine) -> Counter[Cell]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT month, category, bucket, count FROM resolution_histogram"))
        return Counter({(str(m), str(c), int(b)): int(n) for m, c, b, n in rows})


def _coarse_is_the_fine_histogram_grouped(engine: sa.Engine) -> None:
    fine = _histogram(engine)
    grouped: Counter[Cell] = Counter()
    for (month, category, bucket), n in fine.items():
        grouped[(month, category, bucket // COARSE_BUCKET_GROUP * COARSE_BUCKET_GROUP)] += n
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT month, category, bucket, count FROM resolution_histogram_coarse"))
        assert Counter({(str(m), str(c), int(b)): int(n) for m, c, b, n in rows}) == grouped != Counter()


def _bucket_at_old_ratio(seconds: float) -> int:
    return math.floor(math.log(max(seconds, 0.0) + 1.0) / math.log(1.1))


def test_upgrade_rebuilds_the_histogram_at_the_contract_ratio_and_downgrade_at_the_old(database_url: str) -> None:
    assert HISTOGRAM_RATIO == 1.005
    command.downgrade(alembic_config(database_url), "0003")
    engine = sa.create_engine(sync_database_url(database_url))
    rows = _closed_tickets()
    try:
        with engine.begin() as connection:
            connection.execute(sa.insert(Ticket.__table__), rows)
            # A stale row at the old ratio, and none of the tickets filed: the rebuild owes nothing to them.
            connection.execute(
                sa.text(
                    "INSERT INTO resolution_histogram (month, category, bucket, count) VALUES ('2026-02', :c, 9, 7)"
                ),
                {"c": CATEGORIES[0]},
            )
        migrate(database_url)
        fine = _histogram(engine)
        assert fine == _expected(rows, histogram_bucket)
        assert sum(fine.values()) == len(rows)
        assert {month for month, _c, _b in fine} == {"2026-01", "2026-02", "2026-03"}
        _coarse_is_the_fine_histogram_grouped(engine)

        command.downgrade(alembic_config(database_url), "0003")
        assert _histogram(engine) == _expected(rows, _bucket_at_old_ratio)
        migrate(database_url)
        assert _histogram(engine) == fine
    finally:
        engine.dispose()


def test_the_seeder_and_closures_keep_the_coarse_histogram_the_fine_one_grouped(database_url: str) -> None:
    seed_database(database_url, tickets=3000, seed=5)
    engine = sa.create_engine(sync_database_url(database_url))
    try:
        _coarse_is_the_fine_histogram_grouped(engine)
    finally:
        engine.dispose()
