"""Monthly resolution roll-ups, kept up to date in the transaction that closes a ticket.

A closed ticket never reopens, so adding each closure once keeps the facts exact: per
opening month and category, the count, the total seconds, and the histogram of resolution
times in the log-spaced buckets of `campusdesk_common.contracts.stats.histogram_bucket`
(the analytics service that reads them owns the average and the median), and the same
histogram summed over groups of COARSE_BUCKET_GROUP buckets (`resolution_histogram_coarse`).

`verified_fixes_monthly` holds the facts of "Verified fixes" per closing month and category
(`MonthCategoryFixFacts` defines each count): a closure adds to `closed`; a fix answer or a
follow-up adds only what changes its closed ticket's standing. A closed ticket's category and
closing month never change and answers come only after closure, so its row is fixed. The
answer path first locks the closed ticket's row (`lock_fix_facts`), so the answers and
follow-ups of one ticket are counted one transaction after the other, each seeing the last.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, text
from sqlalchemy.ext.asyncio import AsyncConnection

from campusdesk_common.contracts.stats import COARSE_BUCKET_GROUP, histogram_bucket
from campusdesk_common.vocabulary import FOLLOW_UP_DAYS
from ticket_service.models import UTCDateTime


def opening_month(opened_at: datetime) -> str:
    """The "YYYY-MM" (UTC) a ticket counts in."""
    return opened_at.astimezone(UTC).strftime("%Y-%m")


def closing_month(closed_at: datetime) -> str:
    """The "YYYY-MM" (UTC) a closed ticket's verified-fix facts count in (four year digits, as in SQL)."""
    moment = closed_at.astimezone(UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


# ON CONFLICT ... DO UPDATE is the same on PostgreSQL and SQLite (3.24+).
_ADD_MONTHLY = text(
    "INSERT INTO resolution_monthly (month, category, closed_count, total_seconds) "
    "VALUES (:month, :category, 1, :seconds) "
    "ON CONFLICT (month, category) DO UPDATE SET "
    "closed_count = resolution_monthly.closed_count + 1, "
    "total_seconds = resolution_monthly.total_seconds + excluded.total_seconds"
)
_ADD_HISTOGRAM = text(
    "INSERT INTO resolution_histogram (month, category, bucket, count) "
    "VALUES (:month, :category, :bucket, 1) "
    "ON CONFLICT (month, category, bucket) DO UPDATE SET count = resolution_histogram.count + 1"
)
_ADD_COARSE = text(
    "INSERT INTO resolution_histogram_coarse (month, category, bucket, count) "
    "VALUES (:month, :category, :bucket, 1) "
    "ON CONFLICT (month, category, bucket) DO UPDATE SET count = resolution_histogram_coarse.count + 1"
)


async def record_resolution(
    connection: AsyncConnection, *, category: str, opened_at: datetime, closed_at: datetime
) -> None:
    """Add one closed ticket to the roll-ups (verified fixes' `closed` too); call it in the closing transaction."""
    seconds = max((closed_at - opened_at).total_seconds(), 0.0)
    month = opening_month(opened_at)
    await connection.execute(_ADD_MONTHLY, {"month": month, "category": category, "seconds": seconds})
    bucket = histogram_bucket(seconds)
    await connection.execute(_ADD_HISTOGRAM, {"month": month, "category": category, "bucket": bucket})
    coarse = bucket // COARSE_BUCKET_GROUP * COARSE_BUCKET_GROUP
    await connection.execute(_ADD_COARSE, {"month": month, "category": category, "bucket": coarse})
    await _add_fix_facts(connection, category=category, closed_at=closed_at, closed=1)


_ADD_FIX_FACTS = text(
    "INSERT INTO verified_fixes_monthly (month, category, closed, answered, confirmed_fixed, followed_up) "
    "VALUES (:month, :category, :closed, :answered, :confirmed_fixed, :followed_up) "
    "ON CONFLICT (month, category) DO UPDATE SET "
    "closed = verified_fixes_monthly.closed + excluded.closed, "
    "answered = verified_fixes_monthly.answered + excluded.answered, "
    "confirmed_fixed = verified_fixes_monthly.confirmed_fixed + excluded.confirmed_fixed, "
    "followed_up = verified_fixes_monthly.followed_up + excluded.followed_up"
)
# FOR NO KEY UPDATE: answerers of one ticket wait for each other, while rows that only refer to
# the ticket (a follow-up's `follows_up`, a link, an outbox row: KEY SHARE) are not held up.
_LOCK_TICKET = text("SELECT id FROM tickets WHERE id = :ticket_id FOR NO KEY UPDATE")
# The ticket's other recorded answers, and how many of them are "broken" (index by ticket).
_OTHER_ANSWERS = text(
    "SELECT count(*), count(CASE WHEN fix_answer = 'broken' THEN 1 END) FROM private_links "
    "WHERE ticket_id = :ticket_id AND fix_answer IS NOT NULL AND id <> :link_id"
)
_EARLIER_FOLLOW_UP = text(
    "SELECT 1 FROM tickets WHERE follows_up = :ticket_id AND follows_up IS NOT NULL AND opened_at <= :until LIMIT 1"
).bindparams(bindparam("until", type_=UTCDateTime()))


async def _add_fix_facts(
    connection: AsyncConnection,
    *,
    category: str,
    closed_at: datetime,
    closed: int = 0,
    answered: int = 0,
    confirmed_fixed: int = 0,
    followed_up: int = 0,
) -> None:
    deltas = {"closed": closed, "answered": answered, "confirmed_fixed": confirmed_fixed, "followed_up": followed_up}
    if any(deltas.values()):
        await connection.execute(_ADD_FIX_FACTS, {"month": closing_month(closed_at), "category": category, **deltas})


async def lock_fix_facts(connection: AsyncConnection, ticket_id: int) -> None:
    """Lock the ticket whose link is about to answer, before the answer is claimed (PostgreSQL).

    Held until commit, so the next answerer of the same ticket reads this answer (and follow-up)
    before it counts its own. SQLite writers are serialized by BEGIN IMMEDIATE already.
    """
    if connection.dialect.name == "postgresql":
        await connection.execute(_LOCK_TICKET, {"ticket_id": ticket_id})


async def record_fix_answer(
    connection: AsyncConnection, *, ticket_id: int, link_id: int, answer: str, category: str, closed_at: datetime
) -> None:
    """Count the answer link `link_id` just recorded for closed ticket `ticket_id` (after `lock_fix_facts`).

    The ticket's first answer makes it answered (and confirmed fixed if "fixed"); a later "broken"
    on a ticket whose answers were all "fixed" so far takes it out of the confirmed fixes.
    """
    row = (await connection.execute(_OTHER_ANSWERS, {"ticket_id": ticket_id, "link_id": link_id})).one()
    others, broken = int(row[0]), int(row[1])
    if others == 0:
        fixed = 1 if answer == "fixed" else 0
        await _add_fix_facts(connection, category=category, closed_at=closed_at, answered=1, confirmed_fixed=fixed)
    elif answer == "broken" and broken == 0:
        await _add_fix_facts(connection, category=category, closed_at=closed_at, confirmed_fixed=-1)


async def record_follow_up(
    connection: AsyncConnection, *, ticket_id: int, category: str, closed_at: datetime, opened_at: datetime
) -> None:
    """Count a follow-up of closed ticket `ticket_id` about to be filed at `opened_at` (after `lock_fix_facts`).

    It counts once per closed ticket, and only within FOLLOW_UP_DAYS of the closure.
    """
    until = closed_at + timedelta(days=FOLLOW_UP_DAYS)
    if opened_at > until:
        return
    earlier = await connection.execute(_EARLIER_FOLLOW_UP, {"ticket_id": ticket_id, "until": until})
    if earlier.first() is None:
        await _add_fix_facts(connection, category=category, closed_at=closed_at, followed_up=1)
