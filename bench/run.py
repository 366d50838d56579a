"""`python -m bench.run --scale 1m`: seed a throwaway PostgreSQL, start the stack, measure it against its limits.

Steps (each measurement after a warm-up; 1 client for latency, 32 for throughput):
1. a throwaway PostgreSQL (scripts/throwaway_postgres.py: fsync, synchronous_commit and
   full_page_writes off, shared_buffers 256 MB), migrated and seeded with the project's seeder;
2. physical limits: the raw SQL of each analytics question (psycopg, no HTTP), and a minimal
   FastAPI + raw psycopg app (bench/minimal_app.py, same worker count as the ticket service)
   reading one ticket by id and inserting one;
3. the five services with their production settings (docker-compose.yml: 2 workers for the
   ticket service and the gateway, 1 for each analytics service), their endpoints and pages;
4. each service's resident memory, then a 60 s load test of a realistic mix through the gateway;
5. the category model's cold load and prediction latency in a fresh interpreter (bench/classifier.py);
6. concurrent 5,000-character reports against plain reads (bench/long_reports.py).
Whatever is not there yet (a route that answers 404/405) is recorded as missing, not fatal.
Results go to bench/results/<scale>.json, then bench/report.py rewrites bench/results/REPORT.md.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import psycopg

from bench import classifier, long_reports, medians, report
from bench.loadgen import measure, new_session, summarise
from campusdesk_common.vocabulary import STATUSES
from tests.support.services import ServiceProcess, free_port
from ticket_service.database import migrate
from ticket_service_tools.seed import seed_database

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
SECRET = "campusdesk-bench-secret-key-0123456789abcdef"
CSRF_COOKIE_VALUE = "bench-csrf-cookie"
CSRF_TOKEN = hmac.new(SECRET.encode(), b"csrf:" + CSRF_COOKIE_VALUE.encode(), hashlib.sha256).hexdigest()
HELPDESK = {"X-Role": "helpdesk"}
# Issue 13's "report a ticket through the form" is measured with this many people at once.
REPORT_FORM_CLIENTS = 8
# The gateway limits anonymous writes per client address; the benchmark's clients all share 127.0.0.1.
UNLIMITED_WRITES = {"WEB_GATEWAY_RATE_LIMIT_TICKETS": "1000000000", "WEB_GATEWAY_RATE_LIMIT_MESSAGES": "1000000000"}
WORKERS = {
    "ticket_service": 2,
    "web_gateway": 2,
    "analytics_open_service": 1,
    "analytics_resolution_service": 1,
    "analytics_category_service": 1,
}
DESCRIPTIONS = (
    "The wifi in the library keeps disconnecting since this morning.",
    "The heating in room B-214 is broken and it is freezing.",
    "I was charged twice for the tuition fee instalment.",
    "The printer on the second floor says it is offline.",
    "Water is leaking from the ceiling of lecture hall A.",
    "Nobody answers the phone at the registrar's office.",
)


def log(message: str) -> None:
    print(f"==> {message}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- machine and database


def machine_info() -> dict[str, Any]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = next(
        int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "load_average_at_start": os.getloadavg(),
    }


class Postgres:
    """The throwaway cluster of scripts/throwaway_postgres.py."""

    def __init__(self) -> None:
        self.env: dict[str, str] = {}

    def start(self) -> str:
        out = subprocess.run(
            [sys.executable, str(REPO / "scripts" / "throwaway_postgres.py"), "start"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        for line in out.splitlines():
            if line.startswith("export "):
                key, value = line[len("export ") :].split("=", 1)
                self.env[key] = value.strip("'")
        return self.env["CAMPUSDESK_TEST_POSTGRES_URL"]

    def stop(self) -> None:
        if self.env:
            subprocess.run(
                [
                    sys.executable,
                    str(REPO / "scripts" / "throwaway_postgres.py"),
                    "stop",
                    self.env["CAMPUSDESK_TEST_PGBASE"],
                ],
                check=False,
            )


def libpq(url: str) -> str:
    return "postgresql://" + url.split("://", 1)[1]


def database_facts(url: str) -> dict[str, Any]:
    with psycopg.connect(libpq(url)) as connection:
        version = connection.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
        settings = dict(
            connection.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN "
                "('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections')"
            ).fetchall()
        )
        sizes = dict(
            connection.execute(
                "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
                "WHERE relname IN ('tickets', 'messages', 'ticket_events')"
            ).fetchall()
        )
        counts = connection.execute(
            "SELECT count(*) FILTER (WHERE status = 'open'), count(*) FILTER (WHERE status = 'active'), "
            "count(*) FILTER (WHERE status = 'closed') FROM tickets"
        ).fetchone()
    return {
        "postgresql": version,
        "settings": settings,
        "sizes": sizes,
        "status_counts": dict(zip(STATUSES, counts or (), strict=False)),
    }


# ---------------------------------------------------------------- physical limits: SQL


def sql_questions(now: datetime) -> dict[str, tuple[str, tuple[Any, ...], int]]:
    """name -> (SQL, parameters, max iterations): the analytics questions and the basic reads."""
    months = [(now.replace(day=1) - timedelta(days=31 * k)).strftime("%Y-%m") for k in range(11, -1, -1)]
    categories = ["facility_management", "technical_it", "services_complaints"]
    rollup = """
        WITH totals AS (
            SELECT month, SUM(closed_count) AS closed_count, SUM(total_seconds) AS total_seconds
            FROM resolution_monthly WHERE month >= %(first)s AND month <= %(last)s AND category = ANY(%(c)s)
            GROUP BY month),
        histogram AS (
            SELECT month, bucket, SUM(count) AS n FROM resolution_histogram
            WHERE month >= %(first)s AND month <= %(last)s AND category = ANY(%(c)s) GROUP BY month, bucket),
        running AS (
            SELECT month, bucket, SUM(n) OVER (PARTITION BY month ORDER BY bucket ROWS UNBOUNDED PRECEDING) AS cum,
                   SUM(n) OVER (PARTITION BY month) AS total FROM histogram),
        medians AS (
            SELECT month, MIN(CASE WHEN 2 * cum >= total THEN bucket END) AS lower_bucket,
                   MIN(CASE WHEN 2 * cum > total THEN bucket END) AS upper_bucket FROM running GROUP BY month)
        SELECT totals.month, totals.closed_count, totals.total_seconds, lower_bucket, upper_bucket
        FROM totals JOIN medians USING (month) ORDER BY totals.month"""
    open_sql = (
        "SELECT floor(extract(epoch FROM opened_at) / %(w)s)::bigint AS bucket, category, count(*) FROM tickets "
        "WHERE status <> 'closed' AND opened_at >= %(since)s AND opened_at < %(until)s GROUP BY 1, 2 ORDER BY 1, 2"
    )
    columns = "id, description, category, status, opened_at, updated_at, closed_at, version, message_count"
    return {
        "open_tickets_7d": (open_sql, ({"w": 86400, "since": now - timedelta(days=7), "until": now},), 400),
        "open_tickets_24h": (open_sql, ({"w": 3600, "since": now - timedelta(hours=24), "until": now},), 400),
        "active_by_category": (
            "SELECT category, count(*) FROM tickets WHERE status = 'active' GROUP BY category",
            (),
            400,
        ),
        "resolution_rollup_12_months": (rollup, ({"first": months[0], "last": months[-1], "c": categories},), 400),
        "resolution_scan_without_rollup": (
            "SELECT to_char(opened_at AT TIME ZONE 'UTC', 'YYYY-MM'), count(*), "
            "avg(extract(epoch FROM closed_at - opened_at)) FROM tickets WHERE status = 'closed' "
            "AND opened_at >= %(since)s GROUP BY 1",
            ({"since": now - timedelta(days=365)},),
            3,
        ),
        "ticket_by_id": (f"SELECT {columns} FROM tickets WHERE id = %(id)s", (), 2000),  # noqa: S608
        "first_page_50": (f"SELECT {columns} FROM tickets ORDER BY updated_at DESC, id DESC LIMIT 50", (), 1000),  # noqa: S608
    }


def measure_sql(url: str, tickets: int, now: datetime, budget: float) -> dict[str, Any]:
    results: dict[str, Any] = {}
    rng = random.Random(1)
    with psycopg.connect(libpq(url), autocommit=True) as connection:
        for name, (sql, params, iterations) in sql_questions(now).items():
            latencies: list[float] = []
            began = time.perf_counter()
            warmup = 20 if iterations > 20 else 1
            for i in range(iterations + warmup):
                arguments = params[0] if params else {"id": rng.randint(1, tickets)} if "%(id)s" in sql else None
                start = time.perf_counter()
                connection.execute(sql, arguments).fetchall()  # type: ignore[arg-type]
                if i >= warmup:
                    latencies.append(time.perf_counter() - start)
                if time.perf_counter() - began > budget and latencies:
                    break
            results[name] = summarise(name, 1, latencies, 0, sum(latencies), []).as_dict()
            log(f"SQL {name}: p50 {results[name]['p50_ms']} ms")
    return results


# ---------------------------------------------------------------- processes


class MinimalApp:
    """bench/minimal_app.py under uvicorn, with the ticket service's worker count."""

    def __init__(self, url: str, workers: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [
            sys.executable, "-m", "uvicorn", "bench.minimal_app:create_app", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(workers),
            "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        self.env = {**os.environ, "BENCH_DATABASE_URL": url}
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MinimalApp:
        self.process = subprocess.Popen(self.command, env=self.env, cwd=REPO)
        wait_healthy(self.url, self.process, 30)
        return self

    def __exit__(self, *_: object) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(15)


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited with {process.returncode} while starting")
        try:
            if httpx.get(f"{url}/health", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer /health within {timeout} s")


def process_tree(pid: int) -> list[int]:
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in children:
            pids.extend(process_tree(int(child)))
    return pids


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def pss_mb(pid: int) -> float:
    """Proportional set size: shared pages are split between the processes that map them."""
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory_of(service: ServiceProcess) -> dict[str, Any]:
    """A service's memory: summed RSS counts the interpreter and libraries once per worker, PSS does not."""
    assert service.process is not None
    pids = [pid for pid in process_tree(service.process.pid) if Path(f"/proc/{pid}").exists()]
    rss = {pid: round(rss_mb(pid), 1) for pid in pids}
    pss = {pid: round(pss_mb(pid), 1) for pid in pids}
    return {
        "total_mb": round(sum(rss.values()), 1),
        "total_pss_mb": round(sum(pss.values()), 1),
        "largest_process_mb": max(rss.values()),
        "processes": len(pids),
    }


def cpu_seconds(service: ServiceProcess) -> float:
    """User and system CPU time of the service's processes so far."""
    assert service.process is not None
    total = 0
    for pid in process_tree(service.process.pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def wait_until_idle(services: dict[str, ServiceProcess], *, limit: float = 600.0) -> float:
    """Seconds until no service uses more than 5% of a core over a second (or `limit`): each ticket-service
    worker embeds the open and active tickets for similar-ticket search when it starts, and a measurement
    made meanwhile times that work, not the request."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before = {name: cpu_seconds(s) for name, s in services.items()}
        time.sleep(1.0)
        if all(cpu_seconds(s) - before[name] < 0.05 for name, s in services.items()):
            break
    return round(time.monotonic() - started, 1)


def start_services(url: str, var_dir: Path) -> dict[str, ServiceProcess]:
    ports = {name: free_port() for name in WORKERS}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    common = {
        "DATABASE_URL": url,
        "TICKET_SERVICE_URL": urls["ticket_service"],
        "ANALYTICS_OPEN_SERVICE_URL": urls["analytics_open_service"],
        "ANALYTICS_RESOLUTION_SERVICE_URL": urls["analytics_resolution_service"],
        "ANALYTICS_CATEGORY_SERVICE_URL": urls["analytics_category_service"],
        "WEB_GATEWAY_SECRET_KEY": SECRET,
        "WEB_GATEWAY_VAR_DIR": str(var_dir),
    }
    prefixes = {
        "ticket_service": "TICKET_SERVICE_",
        "analytics_open_service": "ANALYTICS_OPEN_SERVICE_",
        "analytics_resolution_service": "ANALYTICS_RESOLUTION_SERVICE_",
        "analytics_category_service": "ANALYTICS_CATEGORY_SERVICE_",
        "web_gateway": "WEB_GATEWAY_",
    }
    services: dict[str, ServiceProcess] = {}
    for name, workers in WORKERS.items():
        env = {**common, f"{prefixes[name]}WORKERS": str(workers), f"{prefixes[name]}LOG_LEVEL": "warning"}
        if name == "web_gateway":
            env.update(UNLIMITED_WRITES)  # every bench client shares one address: no per-address limit
        service = ServiceProcess(name, env=env, port=ports[name])
        try:
            service.start(timeout=180)
            services[name] = service
            log(f"{name} on {service.url} ({workers} worker(s))")
        except RuntimeError as exc:
            log(f"{name} did not start: {exc}")
    return services


# ---------------------------------------------------------------- HTTP measurements


def get(url: str, headers: dict[str, str] | None = None, params: Any = None) -> Callable[..., Awaitable[int]]:
    async def call(session: aiohttp.ClientSession, _i: int) -> int:
        async with session.get(url, headers=headers, params=params, allow_redirects=False) as response:
            await response.read()
            return response.status

    return call


async def pair(
    name: str, call: Callable[..., Awaitable[int]], config: argparse.Namespace, *, max_requests: int | None = None,
    cookies: dict[str, str] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """1-client latency, then 32-client throughput, of one request kind."""
    # A bounded supply (tickets to move) is shared: at most half of it for the 1-client run.
    single_cap = min(config.single_requests, max_requests // 2) if max_requests else config.single_requests
    single = await measure(
        name, call, clients=1, seconds=config.single_seconds, max_requests=single_cap, warmup=20, cookies=cookies
    )
    remaining = None if max_requests is None else max(0, max_requests - single.requests - single.errors - 20)
    concurrent = await measure(
        name, call, clients=config.clients, seconds=config.concurrent_seconds, max_requests=remaining,
        warmup=config.clients, cookies=cookies,
    )  # fmt: skip
    log(
        f"{name}: 1 client p50 {single.p50_ms} ms p99 {single.p99_ms} ms; "
        f"{config.clients} clients {concurrent.throughput} req/s, errors {single.errors}+{concurrent.errors}"
    )
    return {"single": single.as_dict(), "concurrent": concurrent.as_dict()}


async def exists(url: str, headers: dict[str, str] | None = None, cookies: dict[str, str] | None = None) -> bool:
    async with new_session(1, cookies) as session, session.get(url, headers=headers, allow_redirects=False) as r:
        await r.read()
        return r.status not in (404, 405)


async def minimal_limits(url: str, config: argparse.Namespace, tickets: int) -> dict[str, Any]:
    with MinimalApp(url, WORKERS["ticket_service"]) as app:
        rng = random.Random(2)

        async def read(session: aiohttp.ClientSession, _i: int) -> int:
            async with session.get(f"{app.url}/tickets/{rng.randint(1, tickets)}") as response:
                await response.read()
                return response.status

        async def insert(session: aiohttp.ClientSession, i: int) -> int:
            body = {"description": f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]} (minimal {i})"}
            async with session.post(f"{app.url}/tickets", json=body) as response:
                await response.read()
                return response.status

        return {
            "read_by_id": await pair("minimal read by id", read, config),
            "insert": await pair("minimal insert", insert, config),
        }


async def ticket_service_endpoints(
    base: str, config: argparse.Namespace, tickets: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    results: dict[str, Any] = {}
    state: dict[str, Any] = {"created": [], "deep_depth": 0}
    rng = random.Random(3)
    if not await exists(f"{base}/tickets/1", HELPDESK):
        log("ticket service: GET /tickets/{id} not there yet; skipped")
        return results, state

    async def by_id(session: aiohttp.ClientSession, _i: int) -> int:
        async with session.get(f"{base}/tickets/{rng.randint(1, tickets)}", headers=HELPDESK) as response:
            await response.read()
            return response.status

    results["get_by_id"] = await pair("GET /tickets/{id}", by_id, config)
    results["first_page"] = await pair(
        "GET /tickets (first page)", get(f"{base}/tickets", HELPDESK, {"limit": "50"}), config
    )

    # Walk to a page 100,000 tickets deep (or half the tickets at small scales) with the API's own cursors.
    depth_target = min(100_000, tickets // 2)
    cursor, depth = None, 0
    async with new_session(1) as session:
        while depth < depth_target:
            params = {"limit": "200", **({"cursor": cursor} if cursor else {})}
            async with session.get(f"{base}/tickets", headers=HELPDESK, params=params) as response:
                page = await response.json()
            cursor = page.get("next_cursor")
            depth += len(page.get("items", []))
            if not cursor:
                break
    state["deep_depth"] = depth
    if cursor:
        results["deep_page"] = await pair(
            f"GET /tickets ({depth:,} deep)",
            get(f"{base}/tickets", HELPDESK, {"limit": "50", "cursor": cursor}),
            config,
        )
        results["deep_page"]["depth"] = depth

    created: list[int] = state["created"]

    async def create(session: aiohttp.ClientSession, i: int) -> int:
        body = {"description": f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]} (bench {i})"}
        async with session.post(f"{base}/tickets", json=body, headers={"X-Role": "user"}) as response:
            data = await response.json(content_type=None)
            if response.status == 201:
                created.append(int(data["id"]))
            return response.status

    results["create"] = await pair("POST /tickets", create, config)

    async def post_message(session: aiohttp.ClientSession, i: int) -> int:
        ticket = created[i % len(created)]
        body = {"body": f"Any update on this? ({i})"}
        async with session.post(f"{base}/tickets/{ticket}/messages", json=body, headers=HELPDESK) as response:
            await response.read()
            return response.status

    if created:
        results["post_message"] = await pair("POST /tickets/{id}/messages", post_message, config)

    # Each status change moves a distinct open ticket (created above) to active.
    to_start = list(reversed(created))
    available = len(to_start)

    async def start(session: aiohttp.ClientSession, _i: int) -> int:
        ticket = to_start.pop()
        async with session.patch(f"{base}/tickets/{ticket}", json={"status": "active"}, headers=HELPDESK) as response:
            await response.read()
            return response.status

    if available > 100:
        results["status_change"] = await pair("PATCH /tickets/{id} status", start, config, max_requests=available)
    return results, state


async def analytics_endpoints(services: dict[str, ServiceProcess], config: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {}
    targets = {
        "open_tickets_7d": ("analytics_open_service", "/open-tickets", {"days": "7"}),
        "open_tickets_24h": ("analytics_open_service", "/open-tickets", {"hours": "24"}),
        "resolution_time": ("analytics_resolution_service", "/resolution-time", None),
        "active_by_category": ("analytics_category_service", "/active-by-category", None),
        # The Analytics page's two newer panels (issues 13 and 14), with their defaults.
        "recurring_problems": ("analytics_category_service", "/recurring-problems", None),
        "verified_fixes": ("analytics_resolution_service", "/verified-fixes", None),
    }
    for name, (service, path, params) in targets.items():
        if service not in services:
            continue
        url = services[service].url + path
        if not await exists(url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")):
            log(f"{service}{path} not there yet; skipped")
            continue
        results[name] = await pair(f"GET {path}", get(url, None, params), config)
    return results


def gateway_cookies() -> dict[str, str]:
    return {"campusdesk_role": "helpdesk", "campusdesk_csrf": CSRF_COOKIE_VALUE}


async def gateway_pages(
    base: str, ticket_base: str | None, config: argparse.Namespace, tickets: int
) -> tuple[dict[str, Any], int | None]:
    results: dict[str, Any] = {}
    cookies = gateway_cookies()
    if not await exists(f"{base}/tickets", cookies=cookies):
        log("gateway: /tickets not there yet; skipped")
        return results, None
    results["entry_page"] = await pair("gateway /", get(f"{base}/"), config, cookies=cookies)
    results["ticket_list_page"] = await pair("gateway /tickets", get(f"{base}/tickets"), config, cookies=cookies)
    results["ticket_list_all_page"] = await pair(
        "gateway /tickets?status=all", get(f"{base}/tickets", params={"status": "all"}), config, cookies=cookies
    )
    thread_ticket = None
    if ticket_base:
        async with httpx.AsyncClient(base_url=ticket_base, timeout=10) as client:
            response = await client.post("/tickets", json={"description": DESCRIPTIONS[0]}, headers={"X-Role": "user"})
            thread_ticket = int(response.json()["id"])
            for k in range(20):
                role = "helpdesk" if k % 2 else "user"
                await client.post(
                    f"/tickets/{thread_ticket}/messages",
                    json={"body": f"Message {k + 1} of the thread."},
                    headers={"X-Role": role},
                )
        results["ticket_page_20_messages"] = await pair(
            "gateway /tickets/{id} (20 messages)", get(f"{base}/tickets/{thread_ticket}"), config, cookies=cookies
        )
    results["analytics_page"] = await pair("gateway /analytics", get(f"{base}/analytics"), config, cookies=cookies)
    for panel in ("open-panel", "resolution-panel", "category-panel", "recurring-panel", "verified-panel"):
        headers = {"HX-Request": "true", "HX-Target": panel}
        results[f"fragment_{panel}"] = await pair(
            f"gateway /analytics #{panel}", get(f"{base}/analytics", headers), config, cookies=cookies
        )
    return results, thread_ticket


async def report_form(base: str, config: argparse.Namespace) -> dict[str, Any]:
    """People reporting through the web form: a simple user's POST /tickets (form, CSRF token, a one-time
    submission key), answered by the 303 to the new ticket's page; `REPORT_FORM_CLIENTS` at once."""
    cookies = {"campusdesk_role": "user", "campusdesk_csrf": CSRF_COOKIE_VALUE}

    async def report(session: aiohttp.ClientSession, i: int) -> int:
        form = {
            "csrf_token": CSRF_TOKEN,
            "submission_key": uuid.uuid4().hex,
            "description": f"{DESCRIPTIONS[i % len(DESCRIPTIONS)]} (form {i})",
        }
        async with session.post(f"{base}/tickets", data=form, allow_redirects=False) as response:
            await response.read()
            # Only the redirect to the new ticket counts: a form shown again (422, 429) is a failure.
            return response.status if response.status == 303 else 599

    measured = await measure(
        "gateway report form", report, clients=REPORT_FORM_CLIENTS, seconds=config.concurrent_seconds * 2,
        warmup=REPORT_FORM_CLIENTS, cookies=cookies,
    )  # fmt: skip
    log(
        f"gateway report form: {REPORT_FORM_CLIENTS} clients {measured.throughput} tickets/s, "
        f"p50 {measured.p50_ms} ms, errors {measured.errors}"
    )
    return measured.as_dict()


async def load_test(base: str, config: argparse.Namespace, tickets: int, open_ids: list[int]) -> dict[str, Any]:
    """`users` people for `seconds`, each choosing its next action from a realistic mix after a short pause."""
    mix = (
        ("ticket_list", 0.28),
        ("ticket_search", 0.05),
        ("ticket_page", 0.25),
        ("post_message", 0.10),
        ("create_ticket", 0.10),
        ("analytics_page", 0.12),
        ("analytics_fragment", 0.10),
    )
    names = [name for name, _ in mix]
    weights = [weight for _, weight in mix]
    latencies: dict[str, list[float]] = {name: [] for name in names}
    errors: dict[str, int] = dict.fromkeys(names, 0)
    samples: list[str] = []
    cookies = gateway_cookies()
    form = {"csrf_token": CSRF_TOKEN}
    deadline = time.perf_counter() + config.load_seconds

    async def act(session: aiohttp.ClientSession, rng: random.Random, action: str, n: int) -> int:
        if action == "ticket_list":
            request = session.get(f"{base}/tickets", params=rng.choice(({}, {"status": "all"}, {"status": "active"})))
        elif action == "ticket_search":
            request = session.get(
                f"{base}/tickets", params={"q": rng.choice(("wifi", "heating", "printer")), "status": "all"}
            )
        elif action == "ticket_page":
            request = session.get(f"{base}/tickets/{rng.randint(1, tickets)}")
        elif action == "post_message":
            ticket = rng.choice(open_ids) if open_ids else rng.randint(1, tickets)
            request = session.post(
                f"{base}/tickets/{ticket}/messages", data={**form, "body": f"Load test message {n}."}
            )
        elif action == "create_ticket":
            request = session.post(
                f"{base}/tickets", data={**form, "description": f"{rng.choice(DESCRIPTIONS)} (load {n})"}
            )
        elif action == "analytics_page":
            request = session.get(f"{base}/analytics")
        else:
            panel = rng.choice(("open-panel", "resolution-panel", "category-panel"))
            request = session.get(f"{base}/analytics", headers={"HX-Request": "true", "HX-Target": panel})
        async with request as response:
            await response.read()
            return response.status

    async def user(number: int) -> None:
        rng = random.Random(1000 + number)
        async with new_session(1, cookies) as session:
            n = 0
            while time.perf_counter() < deadline:
                action = rng.choices(names, weights)[0]
                n += 1
                start = time.perf_counter()
                try:
                    status = await act(session, rng, action, number * 100_000 + n)
                except Exception as exc:
                    status, detail = 0, f"{action}: {type(exc).__name__}: {exc}"
                else:
                    detail = f"{action}: HTTP {status}"
                elapsed = time.perf_counter() - start
                if 200 <= status < 400:
                    latencies[action].append(elapsed)
                else:
                    errors[action] += 1
                    samples.append(detail)
                await asyncio.sleep(rng.uniform(config.think_min, config.think_max))

    began = time.perf_counter()
    await asyncio.gather(*(user(k) for k in range(config.load_users)))
    took = time.perf_counter() - began
    every = [value for values in latencies.values() for value in values]
    overall = summarise("load test (all)", config.load_users, every, sum(errors.values()), took, samples)
    by_action = {
        name: summarise(name, config.load_users, latencies[name], errors[name], took, []).as_dict() for name in names
    }
    log(
        f"load test: {overall.requests} requests, {overall.errors} errors, "
        f"p50 {overall.p50_ms} ms, p99 {overall.p99_ms} ms"
    )
    return {
        "users": config.load_users,
        "seconds": config.load_seconds,
        "think_time_s": [config.think_min, config.think_max],
        "mix": dict(mix),
        "overall": overall.as_dict(),
        "by_action": by_action,
    }


# ---------------------------------------------------------------- main


async def measure_stack(url: str, config: argparse.Namespace, tickets: int, results: dict[str, Any]) -> None:
    log("physical limit: minimal FastAPI + raw psycopg app")
    results["physical"]["http"] = await minimal_limits(url, config, tickets)
    with tempfile.TemporaryDirectory(prefix="campusdesk-bench-") as var:
        services = start_services(url, Path(var))
        results["services_started"] = sorted(services)
        try:
            # At rest: every service started, each worker has loaded what it loads, nothing measured yet.
            results["memory_at_rest"] = {name: memory_of(s) for name, s in services.items()}
            results["settled_seconds"] = wait_until_idle(services)
            log(f"services idle {results['settled_seconds']} s after start")
            ticket_base = services["ticket_service"].url if "ticket_service" in services else None
            state: dict[str, Any] = {"created": []}
            if ticket_base:
                results["ticket_service"], state = await ticket_service_endpoints(ticket_base, config, tickets)
            if ticket_base:
                log("long reports: concurrent 5,000-character reports against plain reads")
                results["long_reports"] = await long_reports.sweep(ticket_base, WORKERS["ticket_service"])
            results["analytics"] = await analytics_endpoints(services, config)
            if "analytics_resolution_service" in services:
                log("medians: /resolution-time against percentile_cont over the closed tickets")
                results["medians"] = await medians.check(services["analytics_resolution_service"].url, libpq(url))
            if "web_gateway" in services:
                results["gateway"], _ = await gateway_pages(services["web_gateway"].url, ticket_base, config, tickets)
                if results["gateway"]:
                    results["report_form"] = await report_form(services["web_gateway"].url, config)
            results["memory_after_measurements"] = {name: memory_of(s) for name, s in services.items()}
            if "web_gateway" in services and results.get("gateway") and not config.skip_load:
                log(f"load test: {config.load_users} users for {config.load_seconds} s through the gateway")
                open_ids = state.get("created", [])[-500:]
                results["load_test"] = await load_test(services["web_gateway"].url, config, tickets, open_ids)
            results["memory"] = {name: memory_of(s) for name, s in services.items()}
        finally:
            for service in services.values():
                service.stop()


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--scale", default="1m", choices=sorted(SCALES))
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--single-seconds", type=float, default=3.0, help="time budget of each 1-client run")
    parser.add_argument("--single-requests", type=int, default=400, help="requests of each 1-client run at most")
    parser.add_argument("--concurrent-seconds", type=float, default=4.0, help="length of each 32-client run")
    parser.add_argument("--load-seconds", type=float, default=60.0)
    parser.add_argument("--load-users", type=int, default=50)
    parser.add_argument("--think-min", type=float, default=0.1, help="pause between a user's actions (s)")
    parser.add_argument("--think-max", type=float, default=0.5)
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--database-url", default=None, help="use this (already seeded) database instead")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    config = parse(argv)
    tickets = SCALES[config.scale]
    began = time.perf_counter()
    results: dict[str, Any] = {
        "scale": config.scale,
        "tickets": tickets,
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "settings": {
            "clients": config.clients,
            "single_seconds": config.single_seconds,
            "single_requests": config.single_requests,
            "concurrent_seconds": config.concurrent_seconds,
            "workers": WORKERS,
        },
        "physical": {},
    }
    postgres = Postgres()
    try:
        if config.database_url:
            url = config.database_url
        else:
            url = postgres.start()
            log(f"throwaway PostgreSQL at {url}")
            migrate(url)
            log(f"seeding {tickets:,} tickets")
            seeded = seed_database(url, tickets=tickets, seed=config.seed)
            results["seeder"] = {
                "tickets": seeded.tickets,
                "messages": seeded.messages,
                "events": seeded.events,
                "seconds": round(seeded.seconds, 2),
                "tickets_per_second": round(seeded.tickets_per_second),
                "copy_tickets_per_second": round(seeded.tickets / seeded.phases["copy"])
                if seeded.phases.get("copy")
                else None,
                "rows_per_second": round((seeded.tickets + seeded.messages + seeded.events) / seeded.seconds),
                "phases": {k: round(v, 2) for k, v in seeded.phases.items()},
                "rebuilt_indexes": seeded.rebuilt_indexes,
            }
        log("category model: cold load and prediction latency")
        results["classifier"] = classifier.measure_in_fresh_process()
        results["database"] = database_facts(url)
        log("physical limit: raw SQL")
        results["physical"]["sql"] = measure_sql(url, tickets, datetime.now(UTC), budget=config.single_seconds)
        runner = asyncio.Runner(loop_factory=_loop_factory())
        with runner:
            runner.run(measure_stack(url, config, tickets, results))
    finally:
        postgres.stop()
        results["wall_seconds"] = round(time.perf_counter() - began, 1)
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{config.scale}.json"
        path.write_text(json.dumps(results, indent=2, default=str) + "\n")
        log(f"wrote {path.relative_to(REPO)} after {results['wall_seconds']} s")
        report.write(RESULTS)
        log(f"wrote {(RESULTS / 'REPORT.md').relative_to(REPO)}")


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


if __name__ == "__main__":
    main()
