"""Fresh, migrated databases for tests: a PostgreSQL database per test cloned from a
migrated template, and a SQLite file per test copied from a migrated one."""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import psycopg

from ticket_service.database import migrate

TEMPLATE_DB = "campusdesk_template"


def server_url() -> str | None:
    return os.environ.get("CAMPUSDESK_TEST_POSTGRES_URL")


def _admin_dsn(url: str, database: str = "postgres") -> str:
    # psycopg wants a libpq URL: drop the SQLAlchemy driver suffix and swap the database.
    plain = "postgresql://" + url.split("://", 1)[1]
    return plain.rsplit("/", 1)[0] + f"/{database}"


def with_database(url: str, database: str) -> str:
    return url.rsplit("/", 1)[0] + f"/{database}"


def create_template(url: str) -> None:
    """Create (again) the template database with every migration applied."""
    with psycopg.connect(_admin_dsn(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    migrate(with_database(url, TEMPLATE_DB))


def create_database_from_template(url: str) -> str:
    name = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_admin_dsn(url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{TEMPLATE_DB}"')
    return with_database(url, name)


def drop_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(_admin_dsn(url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_sqlite_template(folder: Path) -> Path:
    path = folder / "template.sqlite3"
    migrate(f"sqlite:///{path}")
    return path


def copy_sqlite(template: Path, folder: Path) -> str:
    target = folder / f"{uuid.uuid4().hex[:8]}.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"
