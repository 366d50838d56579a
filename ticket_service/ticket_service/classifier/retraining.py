"""Retraining the classifier from helpdesk corrections while the service keeps answering.

Corrections are rows in the database, so every process counts the same ones: after each
committed correction a process tries to claim a retraining (`ModelStore.claim_retraining`:
due every 20 corrections, claimed by exactly one process of all replicas). The claimant
trains in a worker thread (the event loop stays free) from the examples of version 1 (the
shipped model) plus every correction, and stores the result as the next version; every
process, the claimant included, then switches to it (classifier/watcher.py).
`make retrain` runs the same `retrain` from the tools package.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, select

from ticket_service.classifier import CategoryClassifier
from ticket_service.classifier.embedding import SentenceEncoder, shared_encoder
from ticket_service.classifier.model import CategoryModel, TrainingSet, train
from ticket_service.classifier.storage import ModelStore
from ticket_service.models import CategoryCorrection

logger = logging.getLogger(__name__)

# A helpdesk correction is a deliberate, verified label: it outweighs a generated example.
CORRECTION_WEIGHT = 4.0
CORRECTIONS_PER_RETRAIN = 20


@dataclass(frozen=True)
class Correction:
    description: str
    category: str


def read_corrections(engine: Engine) -> list[Correction]:
    """Every ticket's latest helpdesk correction (a ticket corrected twice counts once)."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(
                CategoryCorrection.ticket_id, CategoryCorrection.description, CategoryCorrection.corrected_category
            ).order_by(CategoryCorrection.at, CategoryCorrection.id)
        ).all()
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


def retrain(store: ModelStore, encoder: SentenceEncoder | None = None) -> CategoryModel:
    """Train on version 1's examples and every correction; store the result as the next version."""
    store.ensure_first_version()
    corrections = read_corrections(store.engine)
    model = retrain_with_corrections(store.load(1), corrections, encoder or shared_encoder())
    store.save(model)
    return model


class Retrainer:
    """Told about every committed category correction; claims and runs the retrainings due."""

    def __init__(
        self,
        classifier: CategoryClassifier | None = None,
        store: ModelStore | None = None,
        corrections_per_retrain: int = CORRECTIONS_PER_RETRAIN,
    ) -> None:
        self.classifier = classifier
        self.store = store
        self.corrections_per_retrain = corrections_per_retrain
        self.retrain_count = 0
        self._task: asyncio.Task[None] | None = None

    async def correction_recorded(self) -> None:
        """Called by the ticket routes after a helpdesk correction has been committed."""
        if self.store is None or self.running:
            return  # a retraining in progress claims again when it ends
        claimed = await asyncio.to_thread(self.store.claim_retraining, self.corrections_per_retrain)
        if claimed is not None:
            self._task = asyncio.create_task(self._retrain(self.store), name="retrain-classifier")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def _retrain(self, store: ModelStore) -> None:
        from ticket_service.classifier.service import TrainedClassifier

        classifier = self.classifier
        encoder = classifier.encoder if isinstance(classifier, TrainedClassifier) else None
        try:
            model = await asyncio.to_thread(retrain, store, encoder)
        except Exception:  # a failed retrain keeps the current model; the next 20 corrections try again
            logger.exception("retraining the category model failed")
            return
        if isinstance(classifier, TrainedClassifier) and model.version > classifier.model.version:
            classifier.swap(model)  # the other processes switch through their watchers
        self.retrain_count += 1
        logger.info("category model version %d trained with %d corrections", model.version, model.corrections)
        self._task = None
        await self.correction_recorded()  # corrections that arrived meanwhile

    async def wait_idle(self) -> None:
        """Wait for a retraining in progress (tests, shutdown)."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
