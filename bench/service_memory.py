"""The ticket service's memory at rest, alone: `python -m bench.service_memory [--workers 2]`.

Starts `python -m ticket_service serve` with the given worker count on a throwaway SQLite
database (the model versions live in it: migrations seed version 1), waits until every worker
has answered /ready (so each has loaded its model), classifies one text through each worker,
and prints the PSS and RSS of every process of the service (bench/run.py's `memory_of`).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import httpx

from bench.run import memory_of, process_tree, pss_mb, rss_mb
from tests.support.services import ServiceProcess
from ticket_service.database import migrate


def measure(workers: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="campusdesk-memory-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'tickets.db'}"
        migrate(url)
        env = {"DATABASE_URL": url, "TICKET_SERVICE_WORKERS": str(workers)}
        with ServiceProcess("ticket_service", env=env) as service:
            with httpx.Client(base_url=service.url, timeout=30) as client:
                # Connections spread over the workers; many calls reach each of them.
                for _ in range(20 * workers):
                    client.get("/ready", headers={"Connection": "close"}).raise_for_status()
                    client.post(
                        "/classify", json={"description": "The wifi in the library drops"},
                        headers={"Connection": "close", "X-Role": "user"},
                    ).raise_for_status()  # fmt: skip
            time.sleep(1.0)  # let the allocator settle before reading /proc (a measurement, not a test)
            assert service.process is not None
            pids = process_tree(service.process.pid)
            summary = memory_of(service)
            summary["per_process"] = [
                {"pid": p, "pss_mb": round(pss_mb(p), 1), "rss_mb": round(rss_mb(p), 1)} for p in pids
            ]
            summary["workers"] = workers
            return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(measure(args.workers), indent=2))


if __name__ == "__main__":
    main()
