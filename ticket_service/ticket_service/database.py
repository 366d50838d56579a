"""Engines for PostgreSQL (psycopg 3) and SQLite from one DATABASE_URL, and migrations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

_ALEMBIC_INI = Path(__file__).with_name("alembic.ini")


def sync_database_url(url: str) -> str:
    """The URL for synchronous use (migrations, seeding): psycopg 3 for PostgreSQL."""
    if url.startswith(("postgresql://", "postgres://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("sqlite+aiosqlite://"):
        return "sqlite://" + url.split("://", 1)[1]
    return url


def async_database_url(url: str) -> str:
    """The URL for the service's async engine: psycopg 3 async, or aiosqlite."""
    url = sync_database_url(url)
    if url.startswith("sqlite://"):
        return "sqlite+aiosqlite://" + url.split("://", 1)[1]
    return url


def is_sqlite(url: str) -> bool:
    return sync_database_url(url).startswith("sqlite")


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder of a file-based SQLite database (`make run` keeps it under ./var)."""
    if not is_sqlite(url):
        return
    path = sync_database_url(url).split("sqlite:///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def configure_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    """Per-connection SQLite settings: WAL for concurrent readers, FKs on, wait for locks."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's LIKE and lower() fold ASCII only; ticket search is case-insensitive in every language.
    dbapi_connection.create_function("campusdesk_casefold", 1, _casefold, deterministic=True)


def _casefold(value: str | None) -> str | None:
    return value.casefold() if isinstance(value, str) else value


def create_engine(url: str, *, pool_size: int = 10, statement_timeout: float = 5.0) -> AsyncEngine:
    """The service's async engine for `url`."""
    if is_sqlite(url):
        ensure_sqlite_directory(url)
        engine = create_async_engine(async_database_url(url), connect_args={"timeout": statement_timeout})
        event.listen(engine.sync_engine, "connect", configure_sqlite_connection)
        return engine
    return create_async_engine(
        async_database_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        # No pre-ping: it costs a round trip on every request. After a database restart the first
        # query on a stale connection fails (503) and SQLAlchemy then invalidates the whole pool.
        pool_pre_ping=False,
        pool_timeout=statement_timeout,
        connect_args={
            "connect_timeout": max(1, int(statement_timeout)),
            "options": f"-c statement_timeout={int(statement_timeout * 1000)}",
        },
    )


def alembic_config(url: str) -> Config:
    config = Config(str(_ALEMBIC_INI))
    config.set_main_option("sqlalchemy.url", sync_database_url(url).replace("%", "%%"))
    return config


def migrate(url: str) -> None:
    """Apply every migration up to the newest (what `make run` and the container do first)."""
    ensure_sqlite_directory(url)
    command.upgrade(alembic_config(url), "head")
