"""`make eval-classifier`: accuracy, per-category precision/recall, per-language accuracy,
the confusion matrix and timing of a model on the held-out test split."""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from pathlib import Path

from ticket_service.classifier.embedding import SentenceEncoder
from ticket_service.classifier.model import LABELS, CategoryModel
from ticket_service.classifier.storage import PACKAGED_MODEL
from ticket_service_tools.classifier.dataset import DATA_DIR, load_examples

HANDWRITTEN = DATA_DIR / "handwritten.jsonl"


def evaluate(model_path: Path = PACKAGED_MODEL) -> str:
    started, started_cpu = time.perf_counter(), time.process_time()
    from ticket_service.classifier.embedding import shared_encoder

    encoder = shared_encoder()
    model = CategoryModel.load(model_path)
    load_seconds = time.perf_counter() - started
    load_cpu = time.process_time() - started_cpu

    examples = load_examples(split="test")
    predicted: list[str] = []
    timings: list[float] = []
    cpu_timings: list[float] = []
    for example in examples:
        t0, c0 = time.perf_counter(), time.process_time()
        predicted.append(model.predict_vector(encoder.encode_one(example.text), example.text).category)
        timings.append((time.perf_counter() - t0) * 1000)
        cpu_timings.append((time.process_time() - c0) * 1000)

    truth = [e.label for e in examples]
    correct = [p == t for p, t in zip(predicted, truth, strict=True)]
    lines = [f"model {model_path} (trained {model.trained_at:%Y-%m-%d %H:%M} UTC, {len(model.example_texts)} examples)"]
    lines.append(f"held-out test split: {len(examples)} descriptions never seen in training")
    lines.append(f"accuracy {sum(correct) / len(correct):.2%}")
    lines.append("")
    lines.append(f"{'category':22} {'precision':>9} {'recall':>7} {'support':>7}")
    for label in LABELS:
        tp = sum(p == t == label for p, t in zip(predicted, truth, strict=True))
        npred, nreal = predicted.count(label), truth.count(label)
        precision = tp / npred if npred else 0.0
        lines.append(f"{label:22} {precision:9.2%} {tp / nreal:7.2%} {nreal:7}")
    lines.append("")
    lines.append(f"{'language':10} {'accuracy':>8} {'support':>7}")
    total, right = Counter(e.language for e in examples), Counter[str]()
    for example, ok in zip(examples, correct, strict=True):
        right[example.language] += ok
    for language in sorted(total, key=lambda lang: -total[lang]):
        lines.append(f"{language:10} {right[language] / total[language]:8.2%} {total[language]:7}")
    lines.append("")
    lines.append("confusion matrix (rows: true category, columns: predicted)")
    short = {"facility_management": "facility", "technical_it": "it", "services_complaints": "services"}
    lines.append(f"{'':22}" + "".join(f"{short[label]:>10}" for label in LABELS))
    pairs = Counter(zip(truth, predicted, strict=True))
    for label in LABELS:
        lines.append(f"{label:22}" + "".join(f"{pairs[(label, other)]:10}" for other in LABELS))
    lines.append("")
    ordered = sorted(timings)
    lines.append(
        f"timing: model + encoder load {load_seconds:.2f} s (CPU {load_cpu:.2f} s); "
        f"per description median {statistics.median(timings):.2f} ms, "
        f"p95 {ordered[int(len(ordered) * 0.95)]:.2f} ms, max {ordered[-1]:.2f} ms "
        f"(CPU time median {statistics.median(cpu_timings):.2f} ms)"
    )
    lines.append("")
    lines += _handwritten_check(model, encoder)
    wrong = [(e, p) for e, p, ok in zip(examples, predicted, correct, strict=True) if not ok]
    if wrong:
        lines.append("")
        lines.append("misclassified:")
        lines += [f"  [{e.language}] {e.label} -> {p}: {e.text}" for e, p in wrong]
    return "\n".join(lines)


def _handwritten_check(model: CategoryModel, encoder: SentenceEncoder) -> list[str]:
    """A second, harder test: descriptions written by hand, outside the generator's templates."""
    rows = [json.loads(line) for line in HANDWRITTEN.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = []
    right = Counter[str]()
    for row in rows:
        category = model.predict_vector(encoder.encode_one(row["text"]), row["text"]).category
        right[row["language"]] += category == row["label"]
        if category != row["label"]:
            lines.append(f"  [{row['language']}] {row['label']} -> {category}: {row['text']}")
    total = Counter(row["language"] for row in rows)
    per_language = ", ".join(f"{lang} {right[lang]}/{n}" for lang, n in total.items())
    header = f"hand-written check (outside the templates, never trained on): {sum(right.values())}/{len(rows)} "
    return [header + f"= {sum(right.values()) / len(rows):.2%} ({per_language})", *lines]
