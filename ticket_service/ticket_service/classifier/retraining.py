"""Retraining the classifier from helpdesk corrections while the service keeps answering.

After every `corrections_per_retrain` committed corrections, a background task
trains a new model in a worker thread (the event loop stays free), writes it to
the model directory and swaps it into the running classifier.
"""

from __future__ import annotations

import asyncio
import logging

from ticket_service.classifier import CategoryClassifier
from ticket_service.settings import Settings

logger = logging.getLogger(__name__)


class Retrainer:
    """Told about every committed category correction; retrains after enough of them."""

    def __init__(
        self,
        classifier: CategoryClassifier | None = None,
        settings: Settings | None = None,
        corrections_per_retrain: int = 20,
    ) -> None:
        self.classifier = classifier
        self.settings = settings
        self.corrections_per_retrain = corrections_per_retrain
        self.pending_corrections = 0
        self.retrain_count = 0
        self._task: asyncio.Task[None] | None = None

    async def correction_recorded(self) -> None:
        """Called by the ticket routes after a helpdesk correction has been committed."""
        self.pending_corrections += 1
        self._maybe_start()

    def _maybe_start(self) -> None:
        from ticket_service.classifier.service import TrainedClassifier

        if not isinstance(self.classifier, TrainedClassifier) or self.settings is None:
            return  # keyword rules do not learn
        if self.pending_corrections < self.corrections_per_retrain or self.running:
            return
        self.pending_corrections = 0
        self._task = asyncio.create_task(self._retrain(self.classifier, self.settings), name="retrain-classifier")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _retrain(self, classifier: object, settings: Settings) -> None:
        from ticket_service.classifier.service import TrainedClassifier
        from ticket_service.classifier.training import retrain

        assert isinstance(classifier, TrainedClassifier)
        try:
            model, path = await asyncio.to_thread(retrain, settings, classifier.encoder)
        except Exception:  # a failed retrain keeps the current model; the next 20 corrections try again
            logger.exception("retraining the category model failed")
            return
        classifier.swap(model, path)
        self.retrain_count += 1
        self._task = None
        logger.info("category model retrained with %d corrections -> %s", model.corrections, path)
        self._maybe_start()  # corrections that arrived meanwhile

    async def wait_idle(self) -> None:
        """Wait for a retraining in progress (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
