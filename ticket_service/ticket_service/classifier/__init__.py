"""Automatic categorisation of ticket descriptions.

The service depends only on `CategoryClassifier`; `load_classifier` picks the
implementation at start-up: the newest model version in the database (the shipped
`data/model.npz` is version 1), or keyword rules if none loads.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NamedTuple, Protocol

if TYPE_CHECKING:  # storage imports the model, which imports Prediction from here
    from ticket_service.classifier.storage import ModelStore

logger = logging.getLogger(__name__)


class Prediction(NamedTuple):
    category: str
    confidence: float


class CategoryClassifier(Protocol):
    def predict(self, text: str) -> Prediction: ...


def load_classifier(store: ModelStore) -> CategoryClassifier:
    """The classifier the service uses for new and edited tickets."""
    from ticket_service.classifier.service import TrainedClassifier

    try:
        return TrainedClassifier.load(store)
    except Exception:  # a missing or corrupt model must not keep the service from starting
        logger.exception("no trained category model could be loaded; using keyword rules")
        from ticket_service.classifier.keywords import KeywordClassifier

        return KeywordClassifier()
