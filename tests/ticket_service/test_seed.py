"""The seeder: counts, determinism, consistency, exact roll-ups and a realistic backlog, on both databases."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import create_engine, select, text

from campusdesk_common.contracts.stats import histogram_bucket as bucket_of
from tests.support import databases
from ticket_service.database import sync_database_url
from ticket_service.models import Message, ResolutionHistogram, ResolutionMonthly, Ticket, TicketEvent
from ticket_service.rollups import opening_month
from ticket_service_tools.seed import seed_database

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
TICKETS = 3000


def _rows(url: str, statement: Any) -> list[Any]:
    engine = create_engine(sync_database_url(url))
    try:
        with engine.connect() as connection:
            return list(connection.execute(statement))
    finally:
        engine.dispose()


def _tickets(url: str) -> list[Any]:
    return _rows(url, select(Ticket.__table__).order_by(Ticket.id))


def test_counts_threads_and_history_are_consistent(database_url: str) -> None:
    report = seed_database(database_url, tickets=TICKETS, seed=7, now=NOW, progress=False)
    tickets = _tickets(database_url)
    messages = _rows(database_url, select(Message.__table__).order_by(Message.id))
    events = _rows(database_url, select(TicketEvent.__table__).order_by(TicketEvent.id))

    assert [t.id for t in tickets] == list(range(1, TICKETS + 1))
    assert (report.tickets, report.messages, report.events) == (TICKETS, len(messages), len(events))
    assert {t.category for t in tickets} == {"facility_management", "technical_it", "services_complaints"}
    assert {t.category_source for t in tickets} == {"auto"}
    assert all(0.5 <= t.category_confidence <= 1 for t in tickets)
    by_ticket: dict[int, list[Any]] = {}
    for message in messages:
        by_ticket.setdefault(message.ticket_id, []).append(message)
    events_of: dict[int, list[Any]] = {}
    for event in events:
        events_of.setdefault(event.ticket_id, []).append(event)
    for ticket in tickets:
        thread = by_ticket.get(ticket.id, [])
        assert ticket.message_count == len(thread)
        end = ticket.closed_at or NOW
        times = [m.created_at for m in thread]
        assert times == sorted(times)
        assert all(ticket.opened_at <= moment <= end for moment in times)
        history = events_of[ticket.id]
        assert history[0].kind == "created" and history[0].at == ticket.opened_at
        transitions = [(e.old_value, e.new_value) for e in history[1:]]
        expected = {"open": [], "active": [("open", "active")], "closed": [("open", "active"), ("active", "closed")]}
        assert transitions == expected[ticket.status]
        assert [e.at for e in history] == sorted(e.at for e in history)
        assert ticket.version == len(history)
        assert ticket.updated_at == max([ticket.opened_at, *times, *(e.at for e in history)])
        assert ticket.updated_at <= NOW
        if ticket.status == "closed":
            assert history[-1].at == ticket.closed_at
    # Several languages: a few words that only the Italian, Spanish, French or German templates use.
    descriptions = " ".join(t.description for t in tickets)
    for word in ("per favore", "Mañana", "Merci", "Bitte"):
        assert word.lower() in descriptions.lower()
    assert 2.0 < len(messages) / TICKETS < 3.5


def test_backlog_is_small_and_recent(database_url: str) -> None:
    seed_database(database_url, tickets=TICKETS, seed=3, now=NOW, progress=False)
    tickets = _tickets(database_url)
    statuses = Counter(t.status for t in tickets)
    assert statuses["open"] + statuses["active"] < 0.05 * TICKETS
    assert statuses["closed"] > 0.9 * TICKETS
    old = [t for t in tickets if t.opened_at < NOW - timedelta(days=21)]
    assert sum(t.status != "closed" for t in old) <= 0.01 * len(old)
    assert min(t.opened_at for t in tickets) >= NOW - timedelta(days=548)
    assert max(t.opened_at for t in tickets) < NOW
    hours = sorted((t.closed_at - t.opened_at).total_seconds() / 3600 for t in tickets if t.closed_at)
    median = hours[len(hours) // 2]
    assert 5 < median < 100  # a day or two, with a long tail
    assert hours[-1] > 10 * median


def test_same_seed_same_rows_and_other_seed_other_rows(database_url: str, request: pytest.FixtureRequest) -> None:
    seed_database(database_url, tickets=500, seed=11, now=NOW, progress=False)
    first = _tickets(database_url)
    other = _second_database(database_url, request)
    seed_database(other, tickets=500, seed=11, now=NOW, progress=False)
    assert _tickets(other) == first
    third = _second_database(database_url, request)
    seed_database(third, tickets=500, seed=12, now=NOW, progress=False)
    assert _tickets(third) != first


def _second_database(url: str, request: pytest.FixtureRequest) -> str:
    if url.startswith("sqlite"):
        return databases.copy_sqlite(request.getfixturevalue("sqlite_template"), request.getfixturevalue("tmp_path"))

    created = databases.create_database_from_template(request.getfixturevalue("postgres_server"))
    request.addfinalizer(lambda: databases.drop_database(created))
    return created


def _recomputed_rollups(url: str) -> tuple[dict[Any, tuple[int, float]], Counter[Any]]:
    monthly: dict[Any, tuple[int, float]] = {}
    histogram: Counter[Any] = Counter()
    for ticket in _tickets(url):
        if ticket.closed_at is None:
            continue
        seconds = (ticket.closed_at - ticket.opened_at).total_seconds()
        key = (opening_month(ticket.opened_at), ticket.category)
        count, total = monthly.get(key, (0, 0.0))
        monthly[key] = (count + 1, total + seconds)
        histogram[(*key, bucket_of(seconds))] += 1
    return monthly, histogram


def _assert_rollups_exact(url: str) -> None:
    monthly, histogram = _recomputed_rollups(url)
    stored = {(r.month, r.category): (r.closed_count, r.total_seconds) for r in _rows(url, select(ResolutionMonthly))}
    assert stored.keys() == monthly.keys()
    for key, (count, total) in monthly.items():
        assert stored[key][0] == count
        assert stored[key][1] == pytest.approx(total, rel=1e-12)
    buckets = {(r.month, r.category, r.bucket): r.count for r in _rows(url, select(ResolutionHistogram))}
    assert buckets == dict(histogram)


def test_rollups_are_exact_and_appending_continues_ids(database_url: str) -> None:
    seed_database(database_url, tickets=1500, seed=5, now=NOW, progress=False)
    _assert_rollups_exact(database_url)
    seed_database(database_url, tickets=700, seed=6, now=NOW + timedelta(days=40), progress=False)
    _assert_rollups_exact(database_url)
    tickets = _tickets(database_url)
    assert [t.id for t in tickets] == list(range(1, 2201))
    for table, model in (("messages", Message), ("ticket_events", TicketEvent)):
        ids = [row.id for row in _rows(database_url, select(model.__table__.c.id).order_by(model.id))]
        assert ids == list(range(1, len(ids) + 1)), table


def test_postgres_sequences_continue_after_seeding(postgres_url: str) -> None:
    seed_database(postgres_url, tickets=300, seed=1, now=NOW, progress=False)
    engine = create_engine(sync_database_url(postgres_url))
    with engine.begin() as connection:
        new_id = connection.execute(
            text(
                "INSERT INTO tickets (description, category, status, opened_at, updated_at) "
                "VALUES ('x', 'technical_it', 'open', now(), now()) RETURNING id"
            )
        ).scalar_one()
        message_id = connection.execute(
            text(
                "INSERT INTO messages (ticket_id, author_role, body, created_at) "
                "VALUES (:t, 'user', 'hi', now()) RETURNING id"
            ),
            {"t": new_id},
        ).scalar_one()
        largest = connection.execute(text("SELECT max(id) FROM messages WHERE id <> :m"), {"m": message_id}).scalar()
    engine.dispose()
    assert new_id == 301
    assert message_id == largest + 1


def test_postgres_bulk_load_rebuilds_every_index_and_foreign_key(postgres_url: str) -> None:
    query = text(
        "SELECT indexname FROM pg_indexes WHERE tablename IN ('tickets', 'messages', 'ticket_events') "
        "UNION ALL SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY 1"
    )
    before = _rows(postgres_url, query)
    report = seed_database(postgres_url, tickets=800, seed=2, now=NOW, rebuild_indexes=True, progress=False)
    assert report.rebuilt_indexes
    assert _rows(postgres_url, query) == before
    invalid = _rows(postgres_url, text("SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid"))
    assert invalid == []
    _assert_rollups_exact(postgres_url)
    # A second bulk load appends: the foreign keys are validated again over all rows.
    seed_database(postgres_url, tickets=900, seed=3, now=NOW, rebuild_indexes=True, progress=False)
    assert len(_tickets(postgres_url)) == 1700
    _assert_rollups_exact(postgres_url)


def test_seeded_tickets_have_places_on_the_demo_campus_loaded_once(database_url: str) -> None:
    seed_database(database_url, tickets=TICKETS, seed=7, now=NOW, progress=False)
    rooms = _rows(database_url, text("SELECT count(*), count(DISTINCT building_code) FROM rooms WHERE NOT retired"))
    assert rooms == [(73, 5)]
    placed = dict(
        _rows(
            database_url,
            text(
                "SELECT category, avg(CASE WHEN room_code IS NULL THEN 0.0 ELSE 1.0 END) FROM tickets GROUP BY category"
            ),
        )
    )
    assert placed["facility_management"] > 0.85 > placed["technical_it"] > placed["services_complaints"] > 0.35
    # A seeded campus has recurring problems: a room with 3+ tickets of one category in the last 30 days.
    since = NOW - timedelta(days=30)
    hot = _rows(
        database_url,
        select(Ticket.room_code, Ticket.category)
        .where(Ticket.room_code.is_not(None), Ticket.opened_at >= since)
        .group_by(Ticket.room_code, Ticket.category)
        .having(text("count(*) >= 3")),
    )
    assert len(hot) >= 3
    # Seeding again appends tickets but leaves a non-empty directory alone.
    engine = create_engine(sync_database_url(database_url))
    with engine.begin() as connection:
        connection.execute(text("UPDATE rooms SET name = 'Renamed' WHERE code = 'MAIN-001'"))
    engine.dispose()
    seed_database(database_url, tickets=10, seed=8, now=NOW, progress=False)
    assert _rows(database_url, text("SELECT name FROM rooms WHERE code = 'MAIN-001'")) == [("Renamed",)]
