"""The schema comes only from Alembic; migrations run up and down on both databases."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa
from alembic import command

from ticket_service import models
from ticket_service.database import alembic_config, migrate, sync_database_url

TABLES = {
    "tickets",
    "messages",
    "ticket_events",
    "idempotency_keys",
    "resolution_monthly",
    "resolution_histogram",
    "verified_fixes_monthly",
    "category_corrections",
    "buildings",
    "rooms",
    "photos",
    "private_links",
    "mail_outbox",
    "alembic_version",
}


def _tables(url: str) -> set[str]:
    engine = sa.create_engine(sync_database_url(url))
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_create_every_table_and_downgrade_cleanly(database_url: str) -> None:
    assert _tables(database_url) >= TABLES
    command.downgrade(alembic_config(database_url), "base")
    assert _tables(database_url) == {"alembic_version"}
    migrate(database_url)
    migrate(database_url)  # running again is a no-op
    assert _tables(database_url) >= TABLES


def test_schema_constraints_hold_on_both_databases(database_url: str) -> None:
    engine = sa.create_engine(sync_database_url(database_url))
    insert = sa.text(
        "INSERT INTO tickets (description, category, status, opened_at, updated_at, closed_at) "
        "VALUES (:d, :c, :s, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, :closed)"
    )
    bad_rows = [
        {"d": "   ", "c": "technical_it", "s": "open", "closed": None},
        {"d": "x", "c": "plumbing", "s": "open", "closed": None},
        {"d": "x", "c": "technical_it", "s": "reopened", "closed": None},
        {"d": "x", "c": "technical_it", "s": "closed", "closed": None},
    ]
    try:
        for row in bad_rows:
            with engine.begin() as conn:
                try:
                    conn.execute(insert, row)
                except sa.exc.IntegrityError:
                    continue
                raise AssertionError(f"the schema accepted {row}")
        with engine.begin() as conn:
            conn.execute(insert, {"d": "lift stuck", "c": "facility_management", "s": "open", "closed": None})
            assert conn.execute(sa.text("SELECT status, version, message_count FROM tickets")).one() == ("open", 1, 0)
    finally:
        engine.dispose()


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None:
            modules.add(node.module)
    return modules


def test_revisions_import_no_application_code() -> None:
    """A past migration must do what it did when written: its SQL is frozen in it, never borrowed."""
    revisions = sorted((Path(models.__file__).parent / "migrations" / "versions").glob("*.py"))
    assert len(revisions) >= 2
    for path in revisions:
        roots = {module.split(".")[0] for module in _imported_modules(path)}
        assert roots <= {"__future__", "collections", "typing", "sqlalchemy", "alembic"}, (path.name, roots)


def test_private_link_schema_holds_on_both_databases(database_url: str) -> None:
    """Revision 0006: one token hash per link, known kinds and answers, counts start at one."""
    engine = sa.create_engine(sync_database_url(database_url))
    ticket = sa.text(
        "INSERT INTO tickets (description, category, status, opened_at, updated_at) "
        "VALUES ('lift stuck', 'facility_management', 'open', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
    )
    link = sa.text(
        "INSERT INTO private_links (ticket_id, kind, token_hash, created_at, fix_answer) "
        "VALUES (:t, :kind, :hash, CURRENT_TIMESTAMP, :answer)"
    )
    try:
        with engine.begin() as conn:
            conn.execute(ticket)
            ticket_id = conn.execute(sa.text("SELECT max(id) FROM tickets")).scalar_one()
            assert conn.execute(
                sa.text("SELECT affected_count, follows_up FROM tickets WHERE id = :t"), {"t": ticket_id}
            ).one() == (1, None)
            conn.execute(link, {"t": ticket_id, "kind": "reporter", "hash": "a" * 64, "answer": None})
            assert conn.execute(sa.text("SELECT seen_message_id FROM private_links")).scalar_one() == 0
        bad_links = [
            {"t": ticket_id, "kind": "reporter", "hash": "a" * 64, "answer": None},  # the same hash twice
            {"t": ticket_id, "kind": "owner", "hash": "b" * 64, "answer": None},
            {"t": ticket_id, "kind": "follower", "hash": "c" * 64, "answer": "maybe"},
        ]
        for row in bad_links:
            with engine.begin() as conn:
                try:
                    conn.execute(link, row)
                except sa.exc.IntegrityError:
                    continue
                raise AssertionError(f"the schema accepted {row}")
    finally:
        engine.dispose()


def _migrated_indexes(url: str) -> set[tuple[str, str]]:
    engine = sa.create_engine(sync_database_url(url))
    try:
        inspector = sa.inspect(engine)
        return {
            (table, index["name"])
            for table in inspector.get_table_names()
            for index in inspector.get_indexes(table)
            if index["name"] and not index.get("duplicates_constraint")  # a UNIQUE constraint's own index
        }
    finally:
        engine.dispose()


def test_the_models_declare_exactly_the_indexes_the_migrations_make(database_url: str) -> None:
    # The models are what the code and its readers see: an index only a migration knows is easy to lose.
    dialect = sa.make_url(sync_database_url(database_url)).get_backend_name()
    declared = {
        (table.name, index.name)
        for table in models.Base.metadata.tables.values()
        for index in table.indexes
        if index.info.get("only_on", dialect) == dialect
    }
    assert _migrated_indexes(database_url) == declared
