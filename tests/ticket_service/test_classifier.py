"""The data set and the trained category model: targets, thread safety, persistence."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from ticket_service.classifier import load_classifier
from ticket_service.classifier.embedding import SentenceEncoder, shared_encoder
from ticket_service.classifier.model import LABELS, CategoryModel
from ticket_service.classifier.service import TrainedClassifier
from ticket_service.classifier.storage import PACKAGED_MODEL, ModelStore
from ticket_service.models import CategoryModelVersion
from ticket_service_tools.classifier.dataset import LANGUAGES, load_examples, normalise_key


@pytest.fixture(scope="module")
def classifier() -> TrainedClassifier:
    return TrainedClassifier(CategoryModel.load(PACKAGED_MODEL), shared_encoder())


@pytest.fixture
def store(database_url: str) -> Iterator[ModelStore]:
    models = ModelStore(database_url)
    yield models
    models.dispose()


def test_data_set_is_large_balanced_multilingual_and_split() -> None:
    examples = load_examples()
    assert len(examples) >= 1200
    labels = Counter(e.label for e in examples)
    assert set(labels) == set(LABELS)
    assert max(labels.values()) - min(labels.values()) <= 0.05 * len(examples)
    languages = Counter(e.language for e in examples)
    assert set(languages) == set(LANGUAGES)
    assert sum(n for lang, n in languages.items() if lang != "en") / len(examples) >= 0.20
    train = {normalise_key(e.text) for e in examples if e.split == "train"}
    test = {normalise_key(e.text) for e in examples if e.split == "test"}
    assert len(test) >= 300
    assert train.isdisjoint(test)


def test_packaged_model_was_trained_on_the_training_split_only() -> None:
    model = CategoryModel.load(PACKAGED_MODEL)
    test = {e.text for e in load_examples(split="test")}
    assert not test & set(model.example_texts)


def test_held_out_accuracy_meets_the_targets(classifier: TrainedClassifier) -> None:
    examples = load_examples(split="test")
    right: Counter[str] = Counter()
    for example in examples:
        right[example.language] += classifier.predict(example.text).category == example.label
    total = Counter(e.language for e in examples)
    assert sum(right.values()) / len(examples) >= 0.95
    for language in LANGUAGES:
        assert right[language] / total[language] >= 0.90, language


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("the WiFi in the canteen is down", "technical_it"),
        ("the canteen's food is cold", "services_complaints"),
        ("lights flicker in the computer lab", "facility_management"),
        ("Der Aufzug im Hauptgebäude steckt fest", "facility_management"),
        ("la impresora de la biblioteca no imprime", "technical_it"),
        ("la navetta per il campus è sempre in ritardo", "services_complaints"),
        ("je n'arrive pas à me connecter au VPN", "technical_it"),
        ("teh elevatr is brokn agian", "facility_management"),
    ],
)
def test_predicts_the_category_of_the_problem_reported(classifier: TrainedClassifier, text: str, category: str) -> None:
    prediction = classifier.predict(text)
    assert prediction.category == category
    assert 1 / 3 < prediction.confidence <= 1


def test_the_shipped_model_loads_into_a_fresh_encoder_and_predicts() -> None:
    # How fast it loads and predicts is measured by `make bench` (bench/classifier.py), not asserted here.
    classifier = TrainedClassifier(CategoryModel.load(PACKAGED_MODEL), SentenceEncoder())
    examples = load_examples(split="test")[:20]
    predictions = [classifier.predict(e.text) for e in examples]
    assert [p.category for p in predictions] == [e.label for e in examples]
    assert all(1 / 3 < p.confidence <= 1 for p in predictions)


def test_predict_is_thread_safe(classifier: TrainedClassifier) -> None:
    texts = [e.text for e in load_examples(split="test")[:60]]
    sequential = [classifier.predict(t) for t in texts]
    with ThreadPoolExecutor(4) as pool:
        parallel = list(pool.map(classifier.predict, texts))
    assert [p.category for p in parallel] == [p.category for p in sequential]
    assert [p.confidence for p in parallel] == pytest.approx([p.confidence for p in sequential], abs=1e-3)


def test_explanation_gives_nearest_examples_and_weighing_words(classifier: TrainedClassifier) -> None:
    evidence = classifier.explain("The elevator in building B is stuck on the second floor")
    assert evidence["category"] == "facility_management"
    assert len(evidence["nearest_examples"]) == 5
    assert evidence["nearest_examples"][0]["category"] == "facility_management"
    sims = [e["similarity"] for e in evidence["nearest_examples"]]
    assert sims == sorted(sims, reverse=True)
    assert "elevator" in [w["word"] for w in evidence["influential_words"]]


def test_saved_model_loads_with_the_same_predictions(classifier: TrainedClassifier, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    classifier.model.save(path)
    again = CategoryModel.load(path)
    vector = classifier.encoder.encode_one("my password expired")
    assert again.predict_vector(vector, "my password expired") == classifier.model.predict_vector(
        vector, "my password expired"
    )
    assert again.trained_at == classifier.model.trained_at


def test_the_shipped_model_is_version_1_and_the_newest_version_wins(store: ModelStore) -> None:
    first = load_classifier(store)
    assert isinstance(first, TrainedClassifier)
    assert first.model.version == 1
    store.ensure_first_version()  # again, as a second process would: still one version
    assert store.newest_version() == 1
    retrained = CategoryModel.load(PACKAGED_MODEL)
    retrained.corrections = 3
    assert store.save(retrained) == 2
    newest = load_classifier(store)
    assert isinstance(newest, TrainedClassifier)
    assert (newest.model.version, newest.model.corrections) == (2, 3)


def test_a_broken_model_falls_back_to_keyword_rules(store: ModelStore) -> None:
    store.ensure_first_version()
    with store.engine.begin() as connection:
        connection.execute(
            insert(CategoryModelVersion).values(
                version=2, trained_at=datetime.now(UTC), corrections=0, weights=b"not a model"
            )
        )
    fallback = load_classifier(store)
    assert not isinstance(fallback, TrainedClassifier)
    assert fallback.predict("wifi down").category == "technical_it"
