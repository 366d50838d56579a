"""Automatic categorisation of ticket descriptions.

The service depends only on `CategoryClassifier`; `load_classifier` picks the
implementation at start-up: the newest trained model (retrained ones in the model
directory, else the one shipped in `data/model.npz`), or keyword rules if none loads.
"""

from __future__ import annotations

import logging
from typing import NamedTuple, Protocol

from ticket_service.settings import Settings

logger = logging.getLogger(__name__)


class Prediction(NamedTuple):
    category: str
    confidence: float


class CategoryClassifier(Protocol):
    def predict(self, text: str) -> Prediction: ...


def load_classifier(settings: Settings) -> CategoryClassifier:
    """The classifier the service uses for new and edited tickets."""
    from ticket_service.classifier.service import TrainedClassifier

    try:
        return TrainedClassifier.load(settings)
    except Exception:  # a missing or corrupt model must not keep the service from starting
        logger.exception("no trained category model could be loaded; using keyword rules")
        from ticket_service.classifier.keywords import KeywordClassifier

        return KeywordClassifier()
