"""Training the shipped model (`data/model.npz` of the runtime package) from the data set's training split.

Retraining with helpdesk corrections is runtime code (`ticket_service.classifier.retraining`):
the running service does it too, and needs no data set for it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ticket_service.classifier.embedding import SentenceEncoder, shared_encoder
from ticket_service.classifier.model import CategoryModel, TrainingSet, train
from ticket_service.classifier.storage import PACKAGED_MODEL
from ticket_service_tools.classifier.dataset import load_examples


def dataset_training_set(encoder: SentenceEncoder) -> TrainingSet:
    """The training split of the data set, embedded (the test split is never used here)."""
    examples = load_examples(split="train")
    texts = [e.text for e in examples]
    return TrainingSet(texts, [e.label for e in examples], encoder.encode(texts), np.ones(len(texts), np.float32))


def build_packaged_model(path: Path = PACKAGED_MODEL) -> CategoryModel:
    """Train on the training split and write the model the service ships with."""
    model = train(dataset_training_set(shared_encoder()))
    model.save(path)
    return model
