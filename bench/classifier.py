"""The category model's cold load time and its prediction latency per description (wall and CPU time).

These were once unit-test assertions (load < 2 s, median prediction < 10 ms of CPU), which a
busy machine failed; `make bench` records them instead, in bench/results/<scale>.json and
REPORT.md. The measurement runs in a fresh interpreter, so the load is a cold one.
`python -m bench.classifier` prints the figures as JSON.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.loadgen import percentile

REPO_ROOT = Path(__file__).resolve().parents[1]
LOAD_TARGET_SECONDS = 2.0
PREDICT_TARGET_MS = 10.0
WARM_UP = 10


def _milliseconds(seconds: list[float]) -> dict[str, float]:
    values = sorted(seconds)
    return {
        "p50_ms": round(percentile(values, 0.50) * 1000, 3),
        "p95_ms": round(percentile(values, 0.95) * 1000, 3),
        "p99_ms": round(percentile(values, 0.99) * 1000, 3),
        "max_ms": round(values[-1] * 1000, 3),
    }


def measure() -> dict[str, Any]:
    """Import, load (encoder + shipped model), then predict every held-out description once."""
    began, began_cpu = time.perf_counter(), time.process_time()
    from ticket_service.classifier.embedding import SentenceEncoder
    from ticket_service.classifier.model import CategoryModel
    from ticket_service.classifier.service import TrainedClassifier
    from ticket_service.classifier.storage import PACKAGED_MODEL
    from ticket_service_tools.classifier.dataset import load_examples

    imported, imported_cpu = time.perf_counter(), time.process_time()
    classifier = TrainedClassifier(CategoryModel.load(PACKAGED_MODEL), SentenceEncoder())
    loaded, loaded_cpu = time.perf_counter(), time.process_time()

    texts = [e.text for e in load_examples(split="test")]
    for text in texts[:WARM_UP]:
        classifier.predict(text)
    wall: list[float] = []
    cpu: list[float] = []
    for text in texts:
        t0, c0 = time.perf_counter(), time.process_time()
        classifier.predict(text)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return {
        "import_seconds": round(imported - began, 3),
        "import_cpu_seconds": round(imported_cpu - began_cpu, 3),
        "load_seconds": round(loaded - imported, 3),
        "load_cpu_seconds": round(loaded_cpu - imported_cpu, 3),
        "predictions": len(texts),
        "predict_wall": _milliseconds(wall),
        "predict_cpu": _milliseconds(cpu),
    }


def measure_in_fresh_process() -> dict[str, Any]:
    """`measure()` in a new interpreter: nothing is imported or loaded yet."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.classifier"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


if __name__ == "__main__":
    print(json.dumps(measure()))
