"""The classifier the running service uses: a trained model that can be swapped while serving."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from ticket_service.classifier import Prediction
from ticket_service.classifier.embedding import SentenceEncoder, Vectors, shared_encoder
from ticket_service.classifier.model import CategoryModel, word_influence
from ticket_service.classifier.storage import ModelStore

logger = logging.getLogger(__name__)


class TrainedClassifier:
    """Predicts with the current model; `swap` replaces it atomically for every later call.

    Thread-safe: `predict` reads the model reference once, and models are never mutated.
    It also remembers the embeddings of recent texts, so the similar-ticket index does
    not encode a new ticket's description a second time.
    """

    def __init__(self, model: CategoryModel, encoder: SentenceEncoder) -> None:
        self._model = model
        self.encoder = encoder
        self._recent: OrderedDict[str, Vectors] = OrderedDict()
        self._recent_lock = threading.Lock()
        # Explanations (~37 ms of model work each) by (model version, description digest, sizes):
        # a ticket page viewed again, by anyone, costs a dict lookup until the model changes.
        self._explained: OrderedDict[tuple[int, str, int, int], dict[str, Any]] = OrderedDict()

    @classmethod
    def load(cls, store: ModelStore) -> TrainedClassifier:
        """The newest version in the database (the shipped model is stored as version 1 first)."""
        store.ensure_first_version()
        model = store.load()
        logger.info("category model version %d loaded (trained %s)", model.version, model.trained_at.isoformat())
        return cls(model, shared_encoder())

    @property
    def model(self) -> CategoryModel:
        return self._model

    def swap(self, model: CategoryModel) -> None:
        """Use `model` from now on (requests in flight finish with the old one)."""
        self._model = model

    def embed(self, texts: list[str]) -> Vectors:
        """Embeddings of `texts`, reusing those computed recently."""
        with self._recent_lock:
            cached = [self._recent.get(t) for t in texts]
        missing = [t for t, v in zip(texts, cached, strict=True) if v is None]
        fresh = iter(self.encoder.encode(missing)) if missing else iter(())
        vectors = np.empty((len(texts), self.encoder_dim), dtype=np.float32)
        for i, vector in enumerate(cached):
            vectors[i] = vector if vector is not None else next(fresh)
        return vectors

    @property
    def encoder_dim(self) -> int:
        return int(self._model.example_vectors.shape[1])

    def _remember(self, text: str, vector: Vectors) -> None:
        with self._recent_lock:
            self._recent[text] = vector
            self._recent.move_to_end(text)
            while len(self._recent) > 2048:
                self._recent.popitem(last=False)

    def probabilities(self, text: str) -> tuple[CategoryModel, Vectors]:
        """Every category's probability for `text`, and the model that gave them."""
        model = self._model
        vector = self.embed([text])
        return model, model.probabilities(vector, [text])[0]

    def predict(self, text: str) -> Prediction:
        model = self._model
        vector = self.encoder.encode_one(text)
        self._remember(text, vector)
        return model.predict_vector(vector, text)

    def explain(self, text: str, *, examples: int = 5, words: int = 5) -> dict[str, Any]:
        """The prediction, the nearest labelled examples and the words that weighed most (cached per model)."""
        model = self._model
        key = (model.version, hashlib.sha256(text.encode()).hexdigest(), examples, words)
        with self._recent_lock:
            cached = self._explained.get(key)
        if cached is not None:
            return cached
        evidence = self._explain(model, text, examples, words)
        with self._recent_lock:
            self._explained[key] = evidence
            while len(self._explained) > 512:
                self._explained.popitem(last=False)
        return evidence

    def _explain(self, model: CategoryModel, text: str, examples: int, words: int) -> dict[str, Any]:
        vector = self.embed([text])[0]
        prediction = model.predict_vector(vector, text)
        probabilities = model.probabilities(vector[None, :], [text])[0]
        return {
            "category": prediction.category,
            "confidence": prediction.confidence,
            "probabilities": {label: round(float(p), 4) for label, p in zip(model.labels, probabilities, strict=True)},
            "nearest_examples": [
                {"text": t, "category": label, "similarity": s}
                for t, label, s in model.nearest_examples(vector, examples)
            ],
            "influential_words": [
                {"word": w, "weight": weight}
                for w, weight in word_influence(model, self.encoder, text, prediction.category, words)
            ],
            "model_trained_at": model.trained_at,
            "model_version": model.version,
        }
