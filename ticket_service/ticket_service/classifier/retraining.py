"""Retraining the classifier from helpdesk corrections while the service keeps answering.

After every `corrections_per_retrain` committed corrections, a background task
trains a new model in a worker thread (the event loop stays free), writes it to
the model directory and swaps it into the running classifier. The fitting starts
from the examples stored in the shipped model, so the service needs no data set
(`make retrain` runs the same `retrain` from the tools package).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, select

from ticket_service.classifier import CategoryClassifier
from ticket_service.classifier.embedding import SentenceEncoder, shared_encoder
from ticket_service.classifier.model import CategoryModel, TrainingSet, train
from ticket_service.classifier.storage import PACKAGED_MODEL, new_model_path
from ticket_service.database import sync_database_url
from ticket_service.models import CategoryCorrection
from ticket_service.settings import Settings

logger = logging.getLogger(__name__)

# A helpdesk correction is a deliberate, verified label: it outweighs a generated example.
CORRECTION_WEIGHT = 4.0


@dataclass(frozen=True)
class Correction:
    description: str
    category: str


def read_corrections(database_url: str) -> list[Correction]:
    """Every ticket's latest helpdesk correction (a ticket corrected twice counts once)."""
    engine = create_engine(sync_database_url(database_url))
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                select(
                    CategoryCorrection.ticket_id, CategoryCorrection.description, CategoryCorrection.corrected_category
                ).order_by(CategoryCorrection.at, CategoryCorrection.id)
            ).all()
    finally:
        engine.dispose()
    latest = {ticket_id: Correction(description, category) for ticket_id, description, category in rows}
    return list(latest.values())


def retrain_with_corrections(
    base: CategoryModel, corrections: list[Correction], encoder: SentenceEncoder
) -> CategoryModel:
    """Train on the base model's data-set examples plus `corrections` (weighted up)."""
    keep = [i for i, weight in enumerate(base.example_weights) if weight == 1.0]
    texts = [base.example_texts[i] for i in keep] + [c.description for c in corrections]
    labels = [base.example_labels[i] for i in keep] + [c.category for c in corrections]
    vectors = np.vstack([base.example_vectors[keep], encoder.encode([c.description for c in corrections])])
    weights = np.array([1.0] * len(keep) + [CORRECTION_WEIGHT] * len(corrections), dtype=np.float32)
    return train(TrainingSet(texts, labels, vectors, weights), base.hyper, corrections=len(corrections))


def retrain(settings: Settings, encoder: SentenceEncoder | None = None) -> tuple[CategoryModel, Path]:
    """Read the corrections in the database, train, and write a new model to the model directory."""
    corrections = read_corrections(settings.database_url)
    model = retrain_with_corrections(CategoryModel.load(PACKAGED_MODEL), corrections, encoder or shared_encoder())
    path = new_model_path(settings)
    model.save(path)
    return model, path


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
