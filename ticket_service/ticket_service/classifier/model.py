"""The trained category model: softmax regression on sentence embeddings plus hashed character n-grams.

Embeddings carry the meaning across languages ("Aufzug kaputt" ~ "lift broken");
character n-grams catch typos and the words the embedding blurs. Everything is
numpy, and a trained model is one small `.npz` file.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from campusdesk_common.vocabulary import CATEGORIES
from ticket_service.classifier import Prediction
from ticket_service.classifier.embedding import EMBEDDING_DIM, SentenceEncoder

Matrix = npt.NDArray[np.float32]
LABELS = CATEGORIES  # the model's output columns, in this order
HASH_DIM = 1 << 13
NGRAM_SIZES = (3, 4, 5)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"\w[\w'’-]*", re.UNICODE)


def normalise(text: str) -> str:
    """Lower case, no accents, single spaces: how n-grams see a text."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " " + _SPACES.sub(" ", text).strip() + " "


def char_ngrams(text: str) -> list[int]:
    """Stable hashed ids of the character n-grams of a text (crc32, so ids survive restarts)."""
    norm = normalise(text[:4000])[:2000]  # normalising 5,000 characters to keep 2,000 is wasted work
    ids = []
    for n in NGRAM_SIZES:
        for i in range(len(norm) - n + 1):
            ids.append(zlib.crc32(norm[i : i + n].encode()) % HASH_DIM)
    return ids


def ngram_features(texts: list[str]) -> Matrix:
    """Log-scaled, L2-normalised n-gram counts, one row per text."""
    features = np.zeros((len(texts), HASH_DIM), dtype=np.float32)
    for row, text in enumerate(texts):
        ids = char_ngrams(text)
        if ids:
            np.add.at(features[row], ids, 1.0)
    np.log1p(features, out=features)
    norms = np.linalg.norm(features, axis=1, keepdims=True)
    features /= np.maximum(norms, 1e-6)
    return features


@dataclass
class TrainingSet:
    """Texts, their labels and embeddings, and a weight per example (corrections weigh more)."""

    texts: list[str]
    labels: list[str]
    vectors: Matrix
    weights: npt.NDArray[np.float32]

    def __len__(self) -> int:
        return len(self.texts)


@dataclass
class Hyperparameters:
    # Chosen on the held-out split (see `make eval-classifier`): n-grams weighted 2:1.
    embedding_scale: float = 1.0
    ngram_scale: float = 2.0
    l2: float = 1e-4
    epochs: int = 100
    learning_rate: float = 0.1


@dataclass
class CategoryModel:
    """A trained model and the labelled examples it learned from (for explanations)."""

    weights: Matrix  # (features, labels)
    bias: Matrix  # (labels,)
    hyper: Hyperparameters
    example_texts: list[str]
    example_labels: list[str]
    example_vectors: Matrix
    example_weights: npt.NDArray[np.float32]
    trained_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    corrections: int = 0
    labels: tuple[str, ...] = LABELS
    version: int = 0  # its version in the database (classifier/storage.py); 0 until stored

    # ---------- features and scores ----------
    def features(self, vectors: Matrix, texts: list[str]) -> Matrix:
        return np.hstack([vectors * self.hyper.embedding_scale, ngram_features(texts) * self.hyper.ngram_scale])

    def probabilities(self, vectors: Matrix, texts: list[str]) -> Matrix:
        return _softmax(self.features(vectors, texts) @ self.weights + self.bias)

    def predict_vector(self, vector: Matrix, text: str) -> Prediction:
        probs = self.probabilities(vector[None, :], [text])[0]
        best = int(np.argmax(probs))
        return Prediction(self.labels[best], round(float(probs[best]), 4))

    def nearest_examples(self, vector: Matrix, limit: int) -> list[tuple[str, str, float]]:
        """The labelled examples closest in meaning: (text, label, cosine similarity)."""
        similarity = self.example_vectors.astype(np.float32) @ vector
        top = np.argsort(-similarity)[:limit]
        return [(self.example_texts[i], self.example_labels[i], round(float(similarity[i]), 4)) for i in top]

    # ---------- persistence ----------
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        tmp.write_bytes(self.to_bytes())
        tmp.replace(path)  # readers never see a half-written model

    def to_bytes(self) -> bytes:
        """The model as an .npz file (what the database stores)."""
        buffer = io.BytesIO()
        np.savez_compressed(
            buffer,
            weights=self.weights,
            bias=self.bias,
            labels=np.array(self.labels),
            hyper=np.array(
                [
                    self.hyper.embedding_scale,
                    self.hyper.ngram_scale,
                    self.hyper.l2,
                    self.hyper.epochs,
                    self.hyper.learning_rate,
                ],
                dtype=np.float64,
            ),
            example_texts=np.array(self.example_texts),
            example_labels=np.array(self.example_labels),
            example_vectors=self.example_vectors.astype(np.float16),
            example_weights=self.example_weights,
            trained_at=np.array(self.trained_at.isoformat()),
            corrections=np.array(self.corrections),
        )
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, version: int = 0) -> CategoryModel:
        model = cls.load(io.BytesIO(data))
        model.version = version
        return model

    @classmethod
    def load(cls, path: Path | io.BytesIO) -> CategoryModel:
        with np.load(path, allow_pickle=False) as z:
            h = z["hyper"]
            return cls(
                weights=z["weights"].astype(np.float32),
                bias=z["bias"].astype(np.float32),
                hyper=Hyperparameters(float(h[0]), float(h[1]), float(h[2]), int(h[3]), float(h[4])),
                example_texts=[str(t) for t in z["example_texts"]],
                example_labels=[str(t) for t in z["example_labels"]],
                example_vectors=z["example_vectors"].astype(np.float32),
                example_weights=z["example_weights"].astype(np.float32),
                trained_at=datetime.fromisoformat(str(z["trained_at"])),
                corrections=int(z["corrections"]),
                labels=tuple(str(t) for t in z["labels"]),
            )


def _softmax(logits: Matrix) -> Matrix:
    shifted = logits - logits.max(axis=1, keepdims=True)
    np.exp(shifted, out=shifted)
    result: Matrix = shifted / shifted.sum(axis=1, keepdims=True)
    return result


def train(data: TrainingSet, hyper: Hyperparameters | None = None, *, corrections: int = 0) -> CategoryModel:
    """Fit weighted softmax regression with L2 by full-batch Adam (deterministic; ~1.5 s for 1,400 examples)."""
    hyper = hyper or Hyperparameters()
    model = CategoryModel(
        weights=np.zeros((EMBEDDING_DIM + HASH_DIM, len(LABELS)), dtype=np.float32),
        bias=np.zeros(len(LABELS), dtype=np.float32),
        hyper=hyper,
        example_texts=list(data.texts),
        example_labels=list(data.labels),
        example_vectors=data.vectors.astype(np.float32),
        example_weights=data.weights.astype(np.float32),
        corrections=corrections,
    )
    x = model.features(data.vectors, data.texts)
    y = np.zeros((len(data), len(LABELS)), dtype=np.float32)
    y[np.arange(len(data)), [LABELS.index(label) for label in data.labels]] = 1.0
    sample = (data.weights / data.weights.sum()).astype(np.float32)[:, None]
    w, b = model.weights, model.bias
    m_w, v_w = np.zeros_like(w), np.zeros_like(w)
    m_b, v_b = np.zeros_like(b), np.zeros_like(b)
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, hyper.epochs + 1):
        error = (_softmax(x @ w + b) - y) * sample
        grad_w = x.T @ error + hyper.l2 * w
        grad_b = error.sum(axis=0)
        for param, grad, m, v in ((w, grad_w, m_w, v_w), (b, grad_b, m_b, v_b)):
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            param -= hyper.learning_rate * (m / (1 - beta1**step)) / (np.sqrt(v / (1 - beta2**step)) + eps)
    return model


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def word_influence(model: CategoryModel, encoder: SentenceEncoder, text: str, label: str, limit: int) -> list[Any]:
    """The words whose removal lowers the probability of `label` the most (leave-one-word-out)."""
    tokens = words(text)[:40]
    if not tokens:
        return []
    unique = list(dict.fromkeys(t.lower() for t in tokens))
    variants = [_without(text, word) for word in unique]
    vectors = encoder.encode([text, *variants])
    probs = model.probabilities(vectors, [text, *variants])
    column = model.labels.index(label)
    drops = probs[0, column] - probs[1:, column]
    order = np.argsort(-drops)[:limit]
    return [(unique[i], round(float(drops[i]), 4)) for i in order if drops[i] > 0]


def _without(text: str, word: str) -> str:
    return re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", " ", text, flags=re.IGNORECASE)
