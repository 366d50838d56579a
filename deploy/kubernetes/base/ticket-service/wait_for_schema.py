"""Init container of the ticket service: wait until the migration Job has brought the database
to this image's newest Alembic revision, so a new version never serves on an old schema.

Runs inside the ticket service image (mounted from a ConfigMap). Exits 0 once the database is
at the head revision, 1 when CAMPUSDESK_SCHEMA_WAIT_SECONDS (default 600) pass without it; the
kubelet then restarts the init container and the pod stays unready meanwhile.
"""

from __future__ import annotations

import os
import sys
import time

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool
from sqlalchemy.exc import SQLAlchemyError

from ticket_service.database import alembic_config, sync_database_url
from ticket_service.settings import Settings

POLL_SECONDS = 2.0


def database_revisions(url: str) -> set[str]:
    """The revisions the database is at; empty when unreachable or never migrated."""
    engine = create_engine(sync_database_url(url), poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            return set(MigrationContext.configure(connection).get_current_heads())
    except SQLAlchemyError as error:  # unreachable, or no credentials yet: keep waiting
        print(f"database not ready: {type(error).__name__}: {error}", file=sys.stderr)
        return set()
    finally:
        engine.dispose()


def main() -> int:
    url = Settings().database_url
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    deadline = time.monotonic() + float(os.environ.get("CAMPUSDESK_SCHEMA_WAIT_SECONDS", "600"))
    while True:
        current = database_revisions(url)
        if current == heads:
            print(f"schema at {', '.join(sorted(heads))}")
            return 0
        if time.monotonic() >= deadline:
            print(f"schema at {sorted(current) or 'nothing'}, this image needs {sorted(heads)}", file=sys.stderr)
            return 1
        time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    sys.exit(main())
