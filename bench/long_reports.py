"""Long reports against plain reads (issue 12.1): how many concurrent 5,000-character reports a
ticket-service worker absorbs, and what plain reads cost meanwhile.

For each concurrency (clients posting 5,000-character reports back to back, CJK and Latin
alternating, for a few seconds) one more client reads a ticket by id in a loop. A level is
absorbed when every report is answered within the gateway's upstream timeout (1.5 s), so no
person is told "could not be submitted" for a stored ticket. Recorded per level: reports/s,
report p50/p99, and the reads' p50/p99/max; and the largest absorbed level per worker.
`python -m bench.long_reports [--database-url URL] [--workers 2]` runs it alone against a
fresh ticket-service process (SQLite in a temporary directory by default) and prints JSON;
`make bench` runs it against the benchmark's own ticket service.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

from bench.loadgen import percentile
from tests.support.services import ServiceProcess

GATEWAY_TIMEOUT_SECONDS = 1.5
LEVELS = (1, 2, 4, 8, 16, 32)
USER = {"X-Role": "user"}
REPORTS = (
    ("图书馆三楼的无线网络每隔几分钟就断开一次，学生无法提交作业，请尽快派人检查路由器。" * 120)[:5000],
    ("The wifi on the third floor of the library drops every few minutes, please check it. " * 70)[:5000],
)


def _ms(values: list[float], fraction: float) -> float | None:
    return round(percentile(sorted(values), fraction) * 1000, 1) if values else None


async def _level(base: str, ticket_path: str, clients: int, seconds: float) -> dict[str, Any]:
    reports: list[float] = []
    reads: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(base_url=base, timeout=timeout) as session:

        async def report(n: int) -> None:
            nonlocal errors
            i = n
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                body = {"description": REPORTS[i % 2]}
                async with session.post("/tickets", json=body, headers=USER) as response:
                    await response.read()
                    errors += response.status != 201
                reports.append(time.perf_counter() - began)
                i += 1

        async def read() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                async with session.get(ticket_path, headers=USER) as response:
                    await response.read()
                    errors += response.status != 200
                reads.append(time.perf_counter() - began)

        began = time.perf_counter()
        await asyncio.gather(read(), *(report(n) for n in range(clients)))
        elapsed = time.perf_counter() - began
    return {
        "clients": clients,
        "reports": len(reports),
        "errors": errors,
        "reports_per_second": round(len(reports) / elapsed, 1),
        "report_p50_ms": _ms(reports, 0.5),
        "report_p99_ms": _ms(reports, 0.99),
        "report_max_ms": _ms(reports, 1.0),
        "reads": len(reads),
        "read_p50_ms": _ms(reads, 0.5),
        "read_p99_ms": _ms(reads, 0.99),
        "read_max_ms": _ms(reads, 1.0),
        "absorbed": errors == 0 and bool(reports) and max(reports) <= GATEWAY_TIMEOUT_SECONDS,
    }


async def sweep(base: str, workers: int, seconds: float = 4.0) -> dict[str, Any]:
    """Every level in LEVELS (stops after the first level that is not absorbed)."""
    async with aiohttp.ClientSession(base_url=base) as session:
        body = {"description": "The printer in room B12 is jammed"}
        async with session.post("/tickets", json=body, headers=USER) as response:
            ticket_path = f"/tickets/{(await response.json())['id']}"
    levels = []
    for clients in LEVELS:
        levels.append(await _level(base, ticket_path, clients, seconds))
        if not levels[-1]["absorbed"]:
            break
    absorbed = max((level["clients"] for level in levels if level["absorbed"]), default=0)
    return {
        "workers": workers,
        "characters": len(REPORTS[0]),
        "seconds_per_level": seconds,
        "levels": levels,
        "absorbed_concurrent_reports": absorbed,
        "absorbed_per_worker": absorbed / workers,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.long_reports", description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=None, help="a migrated database (default: a fresh SQLite file)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=4.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="campusdesk-long-reports-") as folder:
        url = args.database_url
        if url is None:
            from ticket_service.database import migrate

            url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
            migrate(url)
        env = {"TICKET_SERVICE_DATABASE_URL": url, "TICKET_SERVICE_WORKERS": str(args.workers)}
        with ServiceProcess("ticket_service", env) as service:
            print(json.dumps(asyncio.run(sweep(service.url, args.workers, args.seconds)), indent=2))


if __name__ == "__main__":
    main()
