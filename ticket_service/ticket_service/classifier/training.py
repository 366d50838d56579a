"""Training: the shipped model from the data set, and retrained models from data set plus corrections.

`python -m ticket_service.classifier.training build` rebuilds `data/model.npz`;
`python -m ticket_service.classifier.training retrain` is `make retrain`.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, select

from ticket_service.classifier.dataset import load_examples
from ticket_service.classifier.embedding import SentenceEncoder, shared_encoder
from ticket_service.classifier.model import CategoryModel, TrainingSet, train
from ticket_service.classifier.storage import PACKAGED_MODEL, new_model_path
from ticket_service.database import sync_database_url
from ticket_service.models import CategoryCorrection
from ticket_service.settings import Settings

# A helpdesk correction is a deliberate, verified label: it outweighs a generated example.
CORRECTION_WEIGHT = 4.0


@dataclass(frozen=True)
class Correction:
    description: str
    category: str


def dataset_training_set(encoder: SentenceEncoder) -> TrainingSet:
    """The training split of the data set, embedded (the test split is never used here)."""
    examples = load_examples(split="train")
    texts = [e.text for e in examples]
    return TrainingSet(texts, [e.label for e in examples], encoder.encode(texts), np.ones(len(texts), np.float32))


def build_packaged_model(path: Path = PACKAGED_MODEL) -> CategoryModel:
    model = train(dataset_training_set(shared_encoder()))
    model.save(path)
    return model


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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="train the shipped model from the data set's training split")
    again = commands.add_parser("retrain", help="retrain from the data set plus the corrections in DATABASE_URL")
    again.add_argument("--database-url", default=None)
    again.add_argument("--model-dir", default=None)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.command == "build":
        model = build_packaged_model()
        print(f"trained on {len(model.example_texts)} examples -> {PACKAGED_MODEL}")
    else:
        overrides = {k: v for k, v in (("database_url", args.database_url), ("model_dir", args.model_dir)) if v}
        settings = Settings(**overrides)
        model, path = retrain(settings)
        print(f"trained on {len(model.example_texts)} examples ({model.corrections} corrections) -> {path}")
    print(f"took {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
