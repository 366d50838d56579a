"""The ticket service's tables (SQLAlchemy 2 declarative); the schema itself is made by Alembic."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from campusdesk_common.vocabulary import (
    CATEGORIES,
    CATEGORY_SOURCES,
    EVENT_KINDS,
    FIX_ANSWERS,
    LINK_KINDS,
    NOTIFICATION_EVENTS,
    ROLES,
    STATUSES,
)

# Stable constraint names, so migrations can refer to them on both databases.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on both databases.

    PostgreSQL stores `timestamptz`; SQLite has no time zones, so values are
    stored as naive UTC text (which sorts chronologically) and come back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


# BIGINT on PostgreSQL, but INTEGER on SQLite where only "INTEGER PRIMARY KEY" auto-increments.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Ticket(Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    description: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    category_confidence: Mapped[float] = mapped_column(Float, server_default=text("1.0"))
    category_source: Mapped[str] = mapped_column(String(16), server_default=text("'auto'"))
    status: Mapped[str] = mapped_column(String(16), server_default=text("'open'"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    version: Mapped[int] = mapped_column(Integer, server_default=text("1"))
    message_count: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    # Where the problem is (revision 0005): a room of the directory, never deleted while referenced.
    room_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("rooms.code"), nullable=True)
    place_note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Private links (revision 0006): the closed ticket a "Still broken" follow-up continues,
    # and the reporter plus everyone who said "This affects me too".
    follows_up: Mapped[int | None] = mapped_column(BigInteger, ForeignKey("tickets.id"), nullable=True)
    affected_count: Mapped[int] = mapped_column(Integer, server_default=text("1"))

    __table_args__ = (
        CheckConstraint(_in("status", STATUSES), name="status_valid"),
        CheckConstraint(_in("category", CATEGORIES), name="category_valid"),
        CheckConstraint(_in("category_source", CATEGORY_SOURCES), name="category_source_valid"),
        CheckConstraint(
            "(status = 'closed' AND closed_at IS NOT NULL) OR (status <> 'closed' AND closed_at IS NULL)",
            name="closed_iff_closed_at",
        ),
        CheckConstraint("length(trim(description)) > 0", name="description_not_blank"),
        CheckConstraint("category_confidence >= 0 AND category_confidence <= 1", name="confidence_range"),
        CheckConstraint("version >= 1", name="version_positive"),
        # Newest activity first, keyset-paginated: (updated_at, id) is the sort key.
        Index("ix_tickets_updated_at_id", "updated_at", "id"),
        Index("ix_tickets_status_updated_at_id", "status", "updated_at", "id"),
        # Partial indexes: their predicates must match the queries' text exactly.
        Index(
            "ix_tickets_not_closed_updated_at_id",
            "updated_at",
            "id",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        Index(
            "ix_tickets_not_closed_opened_at",
            "opened_at",
            "category",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
        Index(
            "ix_tickets_active_category",
            "category",
            postgresql_where=text("status = 'active'"),
            sqlite_where=text("status = 'active'"),
        ),
        # Search by any part of the description (ILIKE '%…%'); SQLite scans instead.
        Index(
            "ix_tickets_description_trgm",
            "description",
            postgresql_using="gin",
            postgresql_ops={"description": "gin_trgm_ops"},
            info={"only_on": "postgresql"},
        ),
        # Staff filter by room (newest activity first) and the per-place counts of /stats/place-tickets.
        Index("ix_tickets_room_code_updated_at_id", "room_code", "updated_at", "id"),
        Index(
            "ix_tickets_placed_opened_at",
            "opened_at",
            "room_code",
            "category",
            postgresql_where=text("room_code IS NOT NULL"),
            sqlite_where=text("room_code IS NOT NULL"),
        ),
        # Newest tickets of each (room, category) in a window (revision 0008): a range of this index per pair.
        Index(
            "ix_tickets_placed_room_category_opened_at",
            "room_code",
            "category",
            text("opened_at DESC"),
            text("id DESC"),
            postgresql_where=text("room_code IS NOT NULL"),
            sqlite_where=text("room_code IS NOT NULL"),
        ),
        # Closed tickets by closing time (revision 0007).
        Index(
            "ix_tickets_closed_closed_at",
            "closed_at",
            "category",
            postgresql_where=text("status = 'closed'"),
            sqlite_where=text("status = 'closed'"),
        ),
        Index(
            "ix_tickets_follows_up",
            "follows_up",
            postgresql_where=text("follows_up IS NOT NULL"),
            sqlite_where=text("follows_up IS NOT NULL"),
        ),
        # Staff sort "most affected first, then newest activity" (keyset on all three columns).
        Index(
            "ix_tickets_not_closed_affected",
            "affected_count",
            "updated_at",
            "id",
            postgresql_where=text("status <> 'closed'"),
            sqlite_where=text("status <> 'closed'"),
        ),
    )


class Message(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    author_role: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint(_in("author_role", ROLES), name="author_role_valid"),
        CheckConstraint("length(trim(body)) > 0", name="body_not_blank"),
        # PostgreSQL does not index foreign keys by itself; threads are read by ticket.
        Index("ix_messages_ticket_id_id", "ticket_id", "id"),
    )


class TicketEvent(Base):
    """The history of a ticket: every change, with the previous value kept."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    role: Mapped[str] = mapped_column(String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    old_value: Mapped[str | None] = mapped_column(Text, nullable=True)
    new_value: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("kind", EVENT_KINDS), name="kind_valid"),
        CheckConstraint(_in("role", ROLES), name="role_valid"),
        Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),
    )


class IdempotencyKey(Base):
    """The first answer given to a request with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"

    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    response_body: Mapped[str] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ResolutionMonthly(Base):
    """Roll-up of closed tickets per opening month and category, kept in the closing transaction.

    Exact because a closed ticket never reopens: average = total_seconds / closed_count.
    """

    __tablename__ = "resolution_monthly"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "YYYY-MM" of opened_at, UTC
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    closed_count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    total_seconds: Mapped[float] = mapped_column(Float, server_default=text("0"))

    __table_args__ = (CheckConstraint(_in("category", CATEGORIES), name="category_valid"),)


class ResolutionHistogram(Base):
    """Resolution times per opening month and category in log-spaced buckets, for medians.

    Bucket b is `campusdesk_common.contracts.stats.histogram_bucket(t)`; what that means for
    the median's accuracy is stated once, in analytics_resolution_service/median.py.
    """

    __tablename__ = "resolution_histogram"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    bucket: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))


class VerifiedFixesMonthly(Base):
    """The facts of "Verified fixes" per closing month and category (revision 0008), kept by `rollups`.

    Kept in the transactions that close a ticket, answer "Is it fixed?" and file a follow-up; each
    column means what its namesake in `campusdesk_common.contracts.stats.MonthCategoryFixFacts` says.
    """

    __tablename__ = "verified_fixes_monthly"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "YYYY-MM" of closed_at, UTC
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    closed: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    answered: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    confirmed_fixed: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    followed_up: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (CheckConstraint(_in("category", CATEGORIES), name="category_valid"),)


class CategoryCorrection(Base):
    """A helpdesk correction of a category: a labelled example for retraining the classifier."""

    __tablename__ = "category_corrections"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    description: Mapped[str] = mapped_column(Text)
    predicted_category: Mapped[str] = mapped_column(String(32))
    corrected_category: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (CheckConstraint(_in("corrected_category", CATEGORIES), name="corrected_category_valid"),)


class OpenBacklogHourly(Base):
    """Not-closed tickets per opening hour (UTC) and category, kept by `counters` in each mutation.

    `hour` is whole hours since 1970-01-01T00:00Z (day = hour // 24). Rows at zero are deleted,
    so the table holds only hours that still have open or active tickets.
    """

    __tablename__ = "open_backlog_hourly"

    hour: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (CheckConstraint(_in("category", CATEGORIES), name="category_valid"),)


class ActiveCounts(Base):
    """Active tickets per category (always the three rows), kept by `counters` in each mutation."""

    __tablename__ = "active_counts"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))

    __table_args__ = (CheckConstraint(_in("category", CATEGORIES), name="category_valid"),)


class CategoryModelVersion(Base):
    """A trained category model: every process uses the newest version (classifier/storage.py)."""

    __tablename__ = "category_models"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version"),
        CheckConstraint("corrections >= 0", name="corrections"),
    )

    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime)
    corrections: Mapped[int] = mapped_column(Integer)  # helpdesk corrections it learned from
    weights: Mapped[bytes] = mapped_column(LargeBinary)  # the model as the bytes of an .npz file


class CategoryModelTraining(Base):
    """One row: how many corrections the last claimed retraining covered (one claim per 20)."""

    __tablename__ = "category_model_training"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    claimed_corrections: Mapped[int] = mapped_column(Integer)


class Building(Base):
    """A building of the campus directory (kept while any of its rooms is, retired or not)."""

    __tablename__ = "buildings"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))


class Room(Base):
    """A room of the campus directory; `retired` when an upload left it out but tickets refer to it."""

    __tablename__ = "rooms"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    building_code: Mapped[str] = mapped_column(String(32), ForeignKey("buildings.code"))
    floor: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    retired: Mapped[bool] = mapped_column(Boolean, server_default=text("false"))

    __table_args__ = (Index("ix_rooms_building_code", "building_code"),)


class Photo(Base):
    """A photo as re-encoded by the service (no metadata), with its thumbnail.

    Uploaded unattached (both ids null); a ticket's creation or a message attaches it. A message's
    photo also carries the message's ticket, so who may see it is decided by one ticket.
    The id is random (not a sequence), so an unattached photo cannot be found by counting.
    """

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    ticket_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"), nullable=True)
    message_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("messages.id", ondelete="CASCADE"), nullable=True)
    position: Mapped[int] = mapped_column(Integer, server_default=text("0"))  # order within its ticket or message
    content_type: Mapped[str] = mapped_column(String(16))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail: Mapped[bytes] = mapped_column(LargeBinary)
    thumbnail_width: Mapped[int] = mapped_column(Integer)
    thumbnail_height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("message_id IS NULL OR ticket_id IS NOT NULL", name="message_photo_has_ticket"),
        CheckConstraint(_in("content_type", ("image/jpeg", "image/png", "image/webp")), name="content_type_valid"),
        Index("ix_photos_ticket_id_message_id", "ticket_id", "message_id"),
        Index("ix_photos_message_id", "message_id"),
        Index(
            "ix_photos_unattached_created_at",
            "created_at",
            postgresql_where=text("ticket_id IS NULL"),
            sqlite_where=text("ticket_id IS NULL"),
        ),
    )


class PrivateLink(Base):
    """A private link to one ticket (`/t/<token>`): its token only as a SHA-256 hash.

    The token itself is derived from the id and the service's secret (tokens.py), never stored.
    """

    __tablename__ = "private_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    seen_message_id: Mapped[int] = mapped_column(BigInteger, server_default=text("0"))
    fix_answer: Mapped[str | None] = mapped_column(String(8), nullable=True)
    fix_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    follow_up_ticket_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("tickets.id"), nullable=True)
    # E-mail updates for this link alone; erased some days after closure.
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    email_since: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    unsubscribe_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("kind", LINK_KINDS), name="kind_valid"),
        CheckConstraint(f"fix_answer IS NULL OR {_in('fix_answer', FIX_ANSWERS)}", name="fix_answer_valid"),
        Index("ix_private_links_ticket_id", "ticket_id"),
        # Answers to "Is it fixed?" by time (revision 0007).
        Index(
            "ix_private_links_answered_at",
            "fix_answered_at",
            "ticket_id",
            "fix_answer",
            postgresql_where=text("fix_answer IS NOT NULL"),
            sqlite_where=text("fix_answer IS NOT NULL"),
        ),
        # The links with an address, for the sender's erasure 30 days after closure (revision 0009).
        Index(
            "ix_private_links_subscribed",
            "ticket_id",
            postgresql_where=text("email IS NOT NULL"),
            sqlite_where=text("email IS NOT NULL"),
        ),
    )


class MailOutbox(Base):
    """An e-mail update to send, written in the transaction of the event it tells about."""

    __tablename__ = "mail_outbox"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    link_id: Mapped[int] = mapped_column(BigId, ForeignKey("private_links.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(BigId, ForeignKey("tickets.id"))
    event: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    message_id: Mapped[str] = mapped_column(String(200), unique=True)  # stable across retries
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, server_default=text("0"))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (
        CheckConstraint(_in("event", NOTIFICATION_EVENTS), name="event_valid"),
        Index(
            "ix_mail_outbox_unsent_next_attempt_at",
            "next_attempt_at",
            postgresql_where=text("sent_at IS NULL"),
            sqlite_where=text("sent_at IS NULL"),
        ),
    )
