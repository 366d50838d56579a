"""The demo campus: five buildings and their rooms, loaded into an empty directory (`make run`, `make seed`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import create_engine, text

from ticket_service import places
from ticket_service.database import create_engine as create_async_engine
from ticket_service.database import sync_database_url

DEMO_CAMPUS = Path(__file__).with_name("data") / "campus.csv"


def load_demo_campus_if_empty(url: str, csv_path: Path = DEMO_CAMPUS) -> bool:
    """Load the demo campus when the directory has no room at all; True when it did.

    Goes through the service's own replacement (the same checks as `PUT /places`), so the demo
    file is held to the rules of any upload.
    """
    csv = csv_path.read_text(encoding="utf-8")

    async def load() -> bool:
        engine = create_async_engine(url)
        try:
            async with engine.begin() as connection:
                if await connection.scalar(text("SELECT count(*) FROM rooms")):
                    return False
                await places.replace(connection, csv)
                return True
        finally:
            await engine.dispose()

    return asyncio.run(load())


def current_room_codes(url: str) -> list[str]:
    """The codes of the directory's current rooms, sorted: where seeded tickets are reported from."""
    engine = create_engine(sync_database_url(url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT code FROM rooms WHERE retired = false ORDER BY code"))
            return [code for (code,) in rows]
    finally:
        engine.dispose()
