"""The targets of issue 13, judged from one run's results (bench/results/<scale>.json)."""

from __future__ import annotations

from typing import Any

Row = tuple[str, str, str, str]


def _mark(ok: bool | None, miss: str = "") -> str:
    if ok is None:
        return "not measured"
    return "met" if ok else f"**missed**{f' ({miss})' if miss else ''}"


def _p50(group: dict[str, Any], name: str) -> float | None:
    result = group.get(name)
    return float(result["single"]["p50_ms"]) if result else None


def _memory(run: dict[str, Any], scale: str) -> list[Row]:
    memory = run.get("memory_at_rest") or run.get("memory") or {}
    when = "at rest" if run.get("memory_at_rest") else "after the run"
    rows: list[Row] = []
    ticket = memory.get("ticket_service")
    if ticket:
        pss = ticket["total_pss_mb"]
        rows.append(
            (scale, "1: ticket service ≤ 200 MB PSS with 2 workers", f"{pss:.0f} MB {when} ({ticket['processes']} "
             "processes)", _mark(pss <= 200, f"+{pss - 200:.0f} MB"))
        )  # fmt: skip
    if memory:
        total = sum(m["total_pss_mb"] for m in memory.values())
        rows.append(
            (scale, "1: whole stack ≤ 400 MB PSS at rest", f"{total:.0f} MB {when} ({len(memory)} services)",
             _mark(total <= 400, f"+{total - 400:.0f} MB"))
        )  # fmt: skip
    return rows


def _pages(run: dict[str, Any], scale: str) -> list[Row]:
    tickets, gateway = run.get("ticket_service", {}), run.get("gateway", {})
    rows: list[Row] = []
    page, by_id = _p50(gateway, "ticket_page_20_messages"), _p50(tickets, "get_by_id")
    if page and by_id:
        ratio = page / by_id
        rows.append(
            (scale, "2: helpdesk ticket page p50 ≤ 3× GET /tickets/{id} p50",
             f"{page:.2f} vs {by_id:.2f} ms = {ratio:.1f}×", _mark(ratio <= 3, f"{ratio / 3:.1f}× over"))
        )  # fmt: skip
        rows.append((scale, "2: helpdesk ticket page p50 ≤ 15 ms", f"{page:.2f} ms", _mark(page <= 15)))
    form = run.get("report_form")
    if form:
        rate = form["throughput"] or 0
        rows.append(
            (scale, f"2: report through the form ≥ 150 tickets/s ({form['clients']} clients)",
             f"{rate:,.0f}/s (p50 {form['p50_ms'] or 0:.2f} ms, {form['errors']} errors)",
             _mark(rate >= 150 and form["errors"] == 0, f"{rate / 150:.0%}"))
        )  # fmt: skip
    else:
        rows.append((scale, "2: report through the form ≥ 150 tickets/s (8 clients)", "–", _mark(None)))
    create = tickets.get("create")
    if create:
        rate = create["concurrent"]["throughput"] or 0
        rows.append(
            (scale, "2: POST /tickets ≥ 400/s (32 clients)", f"{rate:,.0f}/s", _mark(rate >= 400, f"{rate / 400:.0%}"))
        )  # fmt: skip
    return rows


def _analytics(run: dict[str, Any], scale: str) -> list[Row]:
    rows: list[Row] = []
    for name, result in run.get("analytics", {}).items():
        p50 = result["single"]["p50_ms"]
        rows.append(
            (scale, f"3: {name} p50 ≤ 3 ms at the service", f"{p50:.2f} ms", _mark(p50 <= 3, f"{p50 / 3:.1f}×"))
        )
    page = _p50(run.get("gateway", {}), "analytics_page")
    if page:
        rows.append(
            (scale, "3: /analytics page (all its panels) ≤ 10 ms", f"{page:.2f} ms",
             _mark(page <= 10, f"{page / 10:.1f}×"))
        )  # fmt: skip
    return rows


def _medians(run: dict[str, Any], scale: str) -> list[Row]:
    medians = run.get("medians")
    if not medians or medians.get("max_relative_error") is None:
        return [(scale, "4: medians within the stated bound (≤ 0.5%), no false ties", "–", _mark(None))]
    worst, bound = medians["max_relative_error"], medians["stated_bound"]
    months = len(medians["months"])
    # The stated bound holds before rounding to 0.01 h; a reported value may be off by that rounding too.
    slack = max(0.005 / r["exact_hours"] for r in medians["months"])
    ok = worst <= bound + slack and not medians["collisions"] and bound <= 0.005
    return [
        (scale, "4: medians within the stated bound (≤ 0.5%), no two months equal unless their data agree",
         f"worst {worst:.3%} over {months} months (bound {bound:.1%} + rounding); {medians['distinct_reported']} "
         f"distinct values, {len(medians['collisions'])} false ties", _mark(ok))
    ]  # fmt: skip


def _reads_and_load(run: dict[str, Any], scale: str) -> list[Row]:
    rows: list[Row] = []
    tickets, physical = run.get("ticket_service", {}), run.get("physical", {}).get("http", {})
    if "get_by_id" in tickets and "read_by_id" in physical:
        ours = tickets["get_by_id"]["concurrent"]["throughput"]
        limit = physical["read_by_id"]["concurrent"]["throughput"]
        share = ours / limit
        rows.append(
            (scale, "5: GET /tickets/{id} ≥ 50% of the raw-psycopg endpoint (32 clients)",
             f"{ours:,.0f} vs {limit:,.0f} req/s = {share:.0%}", _mark(share >= 0.5))
        )  # fmt: skip
    load = run.get("load_test")
    if load:
        overall = load["overall"]
        rate, p99, errors = overall["throughput"], overall["p99_ms"], overall["errors"]
        rows.append(
            (scale, f"6: {load['users']} users ≥ 150 req/s, p99 ≤ 500 ms, 0 errors",
             f"{rate:,.0f} req/s, p99 {p99:,.0f} ms, {errors} errors",
             _mark(rate >= 150 and p99 <= 500 and errors == 0))
        )  # fmt: skip
    return rows


def targets(runs: dict[str, dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    for scale, run in runs.items():
        if scale not in ("1m", "10m"):
            continue
        if "memory_at_rest" not in run:  # a run made before issue 13's measurements existed
            rows.append((scale, "every target of issue 13", "not re-run since issue 13's changes", _mark(None)))
            continue
        for part in (_memory, _pages, _analytics, _medians, _reads_and_load):
            rows += part(run, scale)
    return rows
