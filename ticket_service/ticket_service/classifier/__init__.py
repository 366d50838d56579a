"""Automatic categorisation of ticket descriptions.

The service depends only on `CategoryClassifier`; `load_classifier` picks the
implementation at start-up.
"""

from __future__ import annotations

from typing import NamedTuple, Protocol

from ticket_service.settings import Settings


class Prediction(NamedTuple):
    category: str
    confidence: float


class CategoryClassifier(Protocol):
    def predict(self, text: str) -> Prediction: ...


def load_classifier(settings: Settings) -> CategoryClassifier:
    """The classifier the service uses for new and edited tickets."""
    from ticket_service.classifier.keywords import KeywordClassifier

    return KeywordClassifier()
