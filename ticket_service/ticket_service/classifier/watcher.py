"""Every process switches to a new model version within seconds of its being stored.

PostgreSQL: LISTEN on the channel `ModelStore.save` notifies (immediate), with a poll every
POLL_SECONDS as well in case a notification is missed while reconnecting. SQLite (one machine,
no notifications): a poll of the newest version number every POLL_SECONDS, an indexed
max() on a table of a few rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import psycopg

from ticket_service.classifier import CategoryClassifier
from ticket_service.classifier.storage import NOTIFY_CHANNEL, ModelStore
from ticket_service.database import sync_database_url

logger = logging.getLogger(__name__)

POLL_SECONDS = 2.0


class ModelWatcher:
    """Loads the newest stored version whenever it is newer than the one in use."""

    def __init__(
        self,
        store: ModelStore,
        current: Callable[[], CategoryClassifier],
        replace: Callable[[CategoryClassifier], None],
    ) -> None:
        self.store = store
        self._current = current
        self._replace = replace
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="category-model-watcher")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def catch_up(self) -> None:
        """Switch to the newest stored version if it is newer than the one in use."""
        from ticket_service.classifier.embedding import shared_encoder
        from ticket_service.classifier.keywords import KeywordClassifier
        from ticket_service.classifier.service import TrainedClassifier

        classifier = self._current()
        in_use = classifier.model.version if isinstance(classifier, TrainedClassifier) else 0
        if not isinstance(classifier, TrainedClassifier | KeywordClassifier):
            return  # a classifier put in place by hand (tests) is left alone
        newest = await asyncio.to_thread(self.store.newest_version)
        if newest <= in_use:
            return
        model = await asyncio.to_thread(self.store.load, newest)
        if isinstance(classifier, TrainedClassifier):
            classifier.swap(model)
        else:  # the database was not there at start-up: the trained model replaces the keyword rules
            self._replace(TrainedClassifier(model, await asyncio.to_thread(shared_encoder)))
        logger.info("category model version %d in use", model.version)

    async def _run(self) -> None:
        while True:
            try:
                if self.store.is_postgres:
                    await self._listen()
                else:
                    await asyncio.sleep(POLL_SECONDS)
                    await self.catch_up()
            except asyncio.CancelledError:
                raise
            except Exception:  # the database may be down for a while: try again later
                logger.warning("could not check for a new category model", exc_info=True)
                await asyncio.sleep(POLL_SECONDS)

    async def _listen(self) -> None:
        dsn = "postgresql://" + sync_database_url(self.store.database_url).split("://", 1)[1]
        async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as connection:
            await connection.execute(f"LISTEN {NOTIFY_CHANNEL}")
            await self.catch_up()  # anything stored before the LISTEN began
            while True:
                async for _ in connection.notifies(timeout=POLL_SECONDS, stop_after=1):
                    pass
                await self.catch_up()
