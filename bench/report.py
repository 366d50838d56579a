"""Turn bench/results/<scale>.json into bench/results/REPORT.md: every figure, its ratio to the limit, the targets."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench import issue13
from bench.classifier import LOAD_TARGET_SECONDS, PREDICT_TARGET_MS

ORDER = ("10k", "100k", "1m", "10m")
NOTES = Path(__file__).with_name("NOTES.md")

# Which physical limit each figure is compared with.
HTTP_REFERENCE = {
    "get_by_id": "read_by_id",
    "first_page": "read_by_id",
    "deep_page": "read_by_id",
    "create": "insert",
    "post_message": "insert",
    "status_change": "insert",
}
SQL_REFERENCE = {
    "open_tickets_7d": "open_tickets_7d",
    "open_tickets_24h": "open_tickets_24h",
    "resolution_time": "resolution_rollup_12_months",
    "active_by_category": "active_by_category",
}
LABELS = {
    "get_by_id": "GET /tickets/{id}",
    "first_page": "GET /tickets (first page, 50)",
    "deep_page": "GET /tickets (deep page, 50)",
    "create": "POST /tickets (with classification)",
    "post_message": "POST /tickets/{id}/messages",
    "status_change": "PATCH /tickets/{id} (open → active)",
    "open_tickets_7d": "GET /open-tickets?days=7",
    "open_tickets_24h": "GET /open-tickets?hours=24",
    "resolution_time": "GET /resolution-time (12 months)",
    "active_by_category": "GET /active-by-category",
    "recurring_problems": "GET /recurring-problems",
    "verified_fixes": "GET /verified-fixes (12 months)",
    "entry_page": "/ (entry page)",
    "ticket_list_page": "/tickets (helpdesk list page)",
    "ticket_list_all_page": "/tickets?status=all",
    "ticket_page_20_messages": "/tickets/{id} (20 messages)",
    "analytics_page": "/analytics (whole page)",
    "fragment_open-panel": "/analytics fragment: open tickets",
    "fragment_resolution-panel": "/analytics fragment: resolution time",
    "fragment_category-panel": "/analytics fragment: active by category",
    "fragment_recurring-panel": "/analytics fragment: recurring problems",
    "fragment_verified-panel": "/analytics fragment: verified fixes",
}


def _f(value: Any, digits: int = 2) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and value != value:  # NaN
        return "–"
    if isinstance(value, int | float) and abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _ratio(numerator: Any, denominator: Any) -> str:
    if not numerator or not denominator:
        return "–"
    return f"{numerator / denominator:.2f}×"


def load(folder: Path) -> dict[str, dict[str, Any]]:
    runs = {}
    for scale in ORDER:
        path = folder / f"{scale}.json"
        if path.exists():
            runs[scale] = json.loads(path.read_text())
    return runs


def _mark(ok: bool | None) -> str:
    return "–" if ok is None else ("met" if ok else "**missed**")


def targets(runs: dict[str, dict[str, Any]]) -> list[tuple[str, str, str, str]]:
    """(scale, target, measured, met/missed) for every run."""
    rows: list[tuple[str, str, str, str]] = []
    small = runs.get("10k", {}).get("analytics", {})
    for scale, run in runs.items():
        tickets = run.get("ticket_service", {})
        physical = run.get("physical", {}).get("http", {})
        for name, result in run.get("analytics", {}).items():
            p50 = result["single"]["p50_ms"]
            rows.append((scale, f"{LABELS[name]}: p50 ≤ 5 ms (1 client)", f"{_f(p50)} ms", _mark(p50 <= 5)))
            if scale != "10k" and name in small:
                base = small[name]["single"]["p50_ms"]
                growth = p50 / base if base else None
                rows.append(
                    (scale, f"{LABELS[name]}: p50 ≤ 1.5× its 10k p50", f"{_f(growth)}× ({_f(base)} ms at 10k)",
                     _mark(growth is not None and growth <= 1.5))
                )  # fmt: skip
        if "get_by_id" in tickets and "read_by_id" in physical:
            ours = tickets["get_by_id"]["concurrent"]["throughput"]
            limit = physical["read_by_id"]["concurrent"]["throughput"]
            share = ours / limit if ours and limit else None
            rows.append(
                (scale, "GET /tickets/{id} at 32 clients ≥ 50% of the minimal raw-psycopg endpoint",
                 f"{_f(ours)} vs {_f(limit)} req/s = {share:.0%}" if share else "–",
                 _mark(share is not None and share >= 0.5))
            )  # fmt: skip
        if "deep_page" in tickets and "first_page" in tickets:
            deep, first = tickets["deep_page"]["single"]["p50_ms"], tickets["first_page"]["single"]["p50_ms"]
            depth = tickets["deep_page"].get("depth", 0)
            rows.append(
                (scale, f"page {depth:,} deep p50 ≤ 1.5× first page p50", f"{_f(deep)} vs {_f(first)} ms",
                 _mark(deep <= 1.5 * first))
            )  # fmt: skip
        if "create" in tickets:
            p50 = tickets["create"]["single"]["p50_ms"]
            rate = tickets["create"]["concurrent"]["throughput"] or 0
            rows.append((scale, "POST /tickets p50 ≤ 10 ms (1 client)", f"{_f(p50)} ms", _mark(p50 <= 10)))
            rows.append((scale, "POST /tickets ≥ 400/s (32 clients)", f"{_f(rate)}/s", _mark(rate >= 400)))
        page = run.get("gateway", {}).get("ticket_list_page")
        if page and scale in ("1m", "10m"):
            p50 = page["single"]["p50_ms"]
            rows.append((scale, "gateway ticket list page p50 ≤ 15 ms (1 client)", f"{_f(p50)} ms", _mark(p50 <= 15)))
        seeder = run.get("seeder")
        if seeder:
            rate = seeder["tickets_per_second"]
            copy = seeder.get("copy_tickets_per_second")
            rows.append(
                (scale, "seeder ≥ 50,000 tickets/s into PostgreSQL (end to end, indexes included)",
                 f"{_f(rate)}/s (COPY phase {_f(copy)}/s)", _mark(rate >= 50_000))
            )  # fmt: skip
        model = run.get("classifier")
        if model:
            load, p50 = model["load_cpu_seconds"], model["predict_cpu"]["p50_ms"]
            rows.append(
                (scale, f"category model loads (encoder + model) in ≤ {LOAD_TARGET_SECONDS:g} s of CPU",
                 f"{_f(load)} s CPU ({_f(model['load_seconds'])} s wall)", _mark(load <= LOAD_TARGET_SECONDS))
            )  # fmt: skip
            rows.append(
                (scale, f"category prediction p50 ≤ {PREDICT_TARGET_MS:g} ms of CPU per description",
                 f"{_f(p50)} ms CPU ({_f(model['predict_wall']['p50_ms'])} ms wall)", _mark(p50 <= PREDICT_TARGET_MS))
            )  # fmt: skip
        for name, memory in run.get("memory", {}).items():
            limit = 350 if name == "ticket_service" else 150
            # PSS summed over the service's processes: its real share of memory (RSS sums count shared pages twice).
            total = memory.get("total_pss_mb", memory["total_mb"])
            rows.append(
                (scale, f"{name} resident memory < {limit} MB (PSS of all its processes)",
                 f"{_f(total, 0)} MB in {memory['processes']} processes "
                 f"(RSS sum {_f(memory['total_mb'], 0)}, largest process {_f(memory['largest_process_mb'], 0)})",
                 _mark(total < limit))
            )  # fmt: skip
        load_test = run.get("load_test")
        if load_test:
            overall = load_test["overall"]
            rows.append(
                (scale, f"load test, {load_test['users']} users × {load_test['seconds']:.0f} s: zero errors",
                 f"{overall['errors']} errors in {overall['requests'] + overall['errors']:,} requests",
                 _mark(overall["errors"] == 0))
            )  # fmt: skip
    return rows


def _http_table(
    title: str, group: dict[str, Any], reference: dict[str, Any], sql: dict[str, Any], kind: str
) -> list[str]:
    lines = [
        f"#### {title}",
        "",
        "| endpoint | p50 1 client (ms) | p99 1 client (ms) | req/s at 32 clients | p50 at 32 (ms) | p99 at 32 (ms) "
        "| errors | limit | p50 ÷ limit | req/s ÷ limit |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|---:|",
    ]
    for name, result in group.items():
        single, concurrent = result["single"], result["concurrent"]
        limit_single, limit_rate, limit_name = None, None, "–"
        if kind == "analytics" and name in SQL_REFERENCE and SQL_REFERENCE[name] in sql:
            limit_name = f"SQL {SQL_REFERENCE[name]}"
            limit_single = sql[SQL_REFERENCE[name]]["p50_ms"]
        else:
            ref = HTTP_REFERENCE.get(name, "read_by_id")
            if ref in reference:
                limit_name = f"minimal {ref.replace('_', ' ')}"
                limit_single = reference[ref]["single"]["p50_ms"]
                limit_rate = reference[ref]["concurrent"]["throughput"]
        label = LABELS.get(name, name)
        if name == "deep_page":
            label += f" at {result.get('depth', 0):,}"
        lines.append(
            f"| {label} | {_f(single['p50_ms'])} | {_f(single['p99_ms'])} | {_f(concurrent['throughput'], 0)} "
            f"| {_f(concurrent['p50_ms'])} | {_f(concurrent['p99_ms'])} | {single['errors'] + concurrent['errors']} "
            f"| {limit_name} | {_ratio(single['p50_ms'], limit_single)} "
            f"| {_ratio(concurrent['throughput'], limit_rate)} |"
        )
    lines.append("")
    return lines


def run_section(scale: str, run: dict[str, Any]) -> list[str]:
    machine = run["machine"]
    database = run.get("database", {})
    settings = ", ".join(f"{k}={v}" for k, v in database.get("settings", {}).items())
    lines = [
        f"## {scale}: {run['tickets']:,} tickets",
        "",
        f"Run {run['started_at']} in {run.get('wall_seconds', 0):.0f} s on {machine['cpu']} ({machine['cores']} cores, "
        f"{machine['memory_gib']} GiB), {machine['os']}, Python {machine['python']}, PostgreSQL "
        f"{database.get('postgresql', '?')} ({settings}). "
        f"Load average at start: {', '.join(f'{x:.2f}' for x in machine['load_average_at_start'])}. "
        f"Workers: {', '.join(f'{k} {v}' for k, v in run['settings']['workers'].items())}."
        + (
            f" Measured once the services were idle, {run['settled_seconds']:g} s after they started "
            "(each ticket-service worker first embeds the open and active tickets for similar-ticket search)."
            if "settled_seconds" in run
            else ""
        ),
        "",
    ]
    if database.get("status_counts"):
        counts = database["status_counts"]
        lines += [
            f"Data: {', '.join(f'{v:,} {k}' for k, v in counts.items())} tickets; "
            f"sizes {', '.join(f'{k} {v}' for k, v in database.get('sizes', {}).items())}.",
            "",
        ]
    seeder = run.get("seeder")
    if seeder:
        phases = ", ".join(f"{k} {v} s" for k, v in seeder["phases"].items())
        lines += [
            "#### Seeder",
            "",
            f"{seeder['tickets']:,} tickets, {seeder['messages']:,} messages, {seeder['events']:,} history events in "
            f"{seeder['seconds']} s: **{seeder['tickets_per_second']:,} tickets/s end to end** "
            f"({seeder['rows_per_second']:,} rows/s); COPY phase alone {_f(seeder.get('copy_tickets_per_second'))} "
            f"tickets/s. Phases: {phases}. Indexes dropped and rebuilt: {seeder['rebuilt_indexes']}.",
            "",
        ]
    model = run.get("classifier")
    if model:
        wall, cpu = model["predict_wall"], model["predict_cpu"]
        lines += [
            "#### Category model (fresh interpreter)",
            "",
            f"Imports {model['import_seconds']} s, load of encoder and shipped model {model['load_seconds']} s "
            f"({model['load_cpu_seconds']} s CPU). Prediction of {model['predictions']} held-out descriptions, one at "
            f"a time: p50 {_f(wall['p50_ms'])} ms, p95 {_f(wall['p95_ms'])} ms, p99 {_f(wall['p99_ms'])} ms, "
            f"max {_f(wall['max_ms'])} ms (CPU p50 {_f(cpu['p50_ms'])} ms).",
            "",
        ]
    lines += _long_reports(run.get("long_reports"))
    sql = run.get("physical", {}).get("sql", {})
    if sql:
        lines += [
            "#### Physical limits: raw SQL on the same database (psycopg, 1 client, no HTTP)",
            "",
            "| question | p50 (ms) | p99 (ms) | runs |",
            "|---|---:|---:|---:|",
        ]
        lines += [
            f"| {name} | {_f(r['p50_ms'], 3)} | {_f(r['p99_ms'], 3)} | {r['requests']} |" for name, r in sql.items()
        ]
        lines.append("")
    reference = run.get("physical", {}).get("http", {})
    if reference:
        lines += _http_table(
            "Physical limits: minimal FastAPI + raw psycopg endpoint (same workers)", reference, {}, sql, "x"
        )
    for key, title, kind in (
        ("ticket_service", "Ticket service", "tickets"),
        ("analytics", "Analytics services (measured at each analytics service: 2 hops + database)", "analytics"),
        ("gateway", "Web gateway pages (helpdesk role)", "gateway"),
    ):
        if run.get(key):
            lines += _http_table(title, run[key], reference, sql, kind)
    memory = run.get("memory")
    if memory:
        lines += [
            "#### Resident memory after the run",
            "",
            "| service | PSS total MB | RSS total MB | processes | largest process RSS MB |",
        ]
        lines.append("|---|---:|---:|---:|---:|")
        for name, m in memory.items():
            pss = m.get("total_pss_mb", float("nan"))
            lines.append(
                f"| {name} | {pss:.0f} | {m['total_mb']:.0f} | {m['processes']} | {m['largest_process_mb']:.0f} |"
            )
        lines.append("")
    form = run.get("report_form")
    if form:
        lines += [
            f"#### Reporting through the web form: {form['clients']} simple users at once, {form['seconds']:.0f} s",
            "",
            f"**{form['requests']:,} tickets, {form['errors']} errors, {_f(form['throughput'])} tickets/s, "
            f"p50 {_f(form['p50_ms'])} ms, p99 {_f(form['p99_ms'])} ms** (POST /tickets with the form, answered "
            "by the 303 to the new ticket).",
            "",
        ]
    load_test = run.get("load_test")
    if load_test:
        overall = load_test["overall"]
        lines += [
            f"#### Load test through the gateway: {load_test['users']} users, {load_test['seconds']:.0f} s, "
            f"pause {load_test['think_time_s'][0]}-{load_test['think_time_s'][1]} s between actions",
            "",
            f"**{overall['requests']:,} requests, {overall['errors']} errors, {_f(overall['throughput'], 0)} req/s, "
            f"p50 {_f(overall['p50_ms'])} ms, p99 {_f(overall['p99_ms'])} ms.**",
            "",
            "| action | share | requests | errors | p50 (ms) | p99 (ms) |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, r in load_test["by_action"].items():
            lines.append(
                f"| {name} | {load_test['mix'][name]:.0%} | {r['requests']:,} | {r['errors']} "
                f"| {_f(r['p50_ms'])} | {_f(r['p99_ms'])} |"
            )
        if overall.get("error_samples"):
            lines += ["", "Error samples: " + "; ".join(overall["error_samples"])]
        lines.append("")
    missing = [k for k in ("ticket_service", "analytics", "gateway") if not run.get(k)]
    if missing:
        lines += [f"Not measured in this run (not available yet): {', '.join(missing)}.", ""]
    return lines


def _long_reports(sweep: dict[str, Any] | None) -> list[str]:
    if not sweep:
        return []
    lines = [
        f"#### Long reports against plain reads ({sweep['workers']} workers, {sweep['characters']:,}-character "
        "reports, CJK and Latin alternating)",
        "",
        f"**{sweep['absorbed_concurrent_reports']} concurrent reports absorbed "
        f"({sweep['absorbed_per_worker']:g} per worker)**: every report answered within the gateway's 1.5 s.",
        "",
        "| clients | reports/s | report p99 (ms) | read p50 (ms) | read p99 (ms) | read max (ms) | absorbed |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for level in sweep["levels"]:
        lines.append(
            f"| {level['clients']} | {level['reports_per_second']} | {_f(level['report_p99_ms'])} "
            f"| {_f(level['read_p50_ms'])} | {_f(level['read_p99_ms'])} | {_f(level['read_max_ms'])} "
            f"| {'yes' if level['absorbed'] else 'no'} |"
        )
    return [*lines, ""]


def render(runs: dict[str, dict[str, Any]]) -> str:
    lines = [
        "# CampusDesk benchmark report",
        "",
        "Produced by `make bench SCALE=<10k|1m|10m>` (bench/run.py, bench/report.py). Every figure is the median (p50) "
        "or tail (p99) of every recorded latency after a warm-up, measured on loopback on the same 2-core machine that "
        "runs PostgreSQL, the five services and the load generator; the physical limits are measured in the same run, "
        "so the ratios are what to read (absolute times drift with the load of the shared machine).",
        "",
        "## Issue 13 targets (1m and 10m runs)",
        "",
        "| scale | target | measured | |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {scale} | {target} | {measured} | {mark} |" for scale, target, measured, mark in issue13.targets(runs)
    ]
    lines += [
        "",
        "## Earlier targets",
        "",
        "| scale | target | measured | |",
        "|---|---|---|---|",
    ]
    lines += [f"| {scale} | {target} | {measured} | {mark} |" for scale, target, measured, mark in targets(runs)]
    lines.append("")
    if NOTES.exists():
        lines += [NOTES.read_text().strip(), ""]
    for scale, run in runs.items():
        lines += run_section(scale, run)
    return "\n".join(lines).rstrip() + "\n"


def write(folder: Path) -> Path:
    path = folder / "REPORT.md"
    path.write_text(render(load(folder)))
    return path


if __name__ == "__main__":
    print(write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("results")))
