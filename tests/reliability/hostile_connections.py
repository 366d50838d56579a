"""The hostile-connection phase of `make fuzz`: while one service receives oversized heads and
slow clients, it keeps answering `/health`, and every other service answers within 100 ms
(99th percentile of the probes).

Durations are measured and judged here, in a manual run, never in `make test` (where
`test_request_limits.py` checks the same behaviour without a clock).
"""

from __future__ import annotations

import multiprocessing
import socket
import statistics
import threading
import time
from dataclasses import dataclass, field

import httpx

from bench.loadgen import percentile
from tests.reliability.harness import Stack

PROBE_LIMIT = 0.100  # seconds
ATTACK_SECONDS = 3.0
SLOW_CLIENTS = 20


@dataclass
class HostileReport:
    target: str
    probes: dict[str, list[float]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        parts = []
        for name, times in self.probes.items():
            if times:
                p99 = percentile(sorted(times), 0.99)
                parts.append(
                    f"{name} p50 {statistics.median(times) * 1000:.1f} ms p99 {p99 * 1000:.1f} ms "
                    f"max {max(times) * 1000:.1f} ms ({len(times)} probes)"
                )
        return f"under attack: {self.target}: " + "; ".join(parts)


def _slow_client(address: tuple[str, int], stop: threading.Event) -> None:
    """A slowloris: a head that never ends, one byte at a time."""
    try:
        with socket.create_connection(address, timeout=ATTACK_SECONDS + 5) as sock:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
            while not stop.wait(0.2):
                sock.sendall(b"X")
    except OSError:
        pass  # the server closed it: what it should do


def _flood(address: tuple[str, int], head: bytes, filler: bytes, stop: threading.Event) -> None:
    """Oversized heads, again and again: one huge header or thousands of small ones."""
    while not stop.is_set():
        try:
            with socket.create_connection(address, timeout=5) as sock:
                sock.sendall(head)
                for _ in range(128):
                    sock.sendall(filler)
        except OSError:
            pass  # refused with a 431 and closed


def _attack(address: tuple[str, int], stop: threading.Event) -> None:
    """Every kind of hostile connection at once, until `stop` is set."""
    attackers = [threading.Thread(target=_slow_client, args=(address, stop)) for _ in range(SLOW_CLIENTS)]
    attackers.append(threading.Thread(target=_flood, args=(address, b"GET / HTTP/1.1\r\nX-Big: ", b"a" * 65536, stop)))
    many = b"".join(b"X-%d: 1\r\n" % i for i in range(500))
    attackers.append(threading.Thread(target=_flood, args=(address, b"GET / HTTP/1.1\r\n", many, stop)))
    for thread in attackers:
        thread.start()
    for thread in attackers:
        thread.join()


def _attack_process(address: tuple[str, int], seconds: float) -> None:
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    _attack(address, stop)


def attack_and_probe(stack: Stack, target: str) -> HostileReport:
    """Attack `target` from a process of its own (so the probes share no interpreter with it)."""
    services = {service.name: service for service in stack.all()}
    report = HostileReport(target, {name: [] for name in services})
    attacker = multiprocessing.get_context("spawn").Process(
        target=_attack_process, args=(("127.0.0.1", services[target].port), ATTACK_SECONDS)
    )
    attacker.start()
    time.sleep(0.5)  # let the attack get going before the first probe
    with httpx.Client(timeout=2) as client:
        while attacker.is_alive():
            for name, service in services.items():
                started = time.perf_counter()
                try:
                    ok = client.get(f"{service.url}/health").status_code == 200
                except httpx.HTTPError as exc:
                    ok = False
                    report.failures.append(f"{name}: {type(exc).__name__}")
                took = time.perf_counter() - started
                report.probes[name].append(took)
                if not ok:
                    report.failures.append(f"{name}: /health failed")
    attacker.join()
    if attacker.exitcode != 0:
        report.failures.append(f"the attacking process failed (exit code {attacker.exitcode})")
    if not all(report.probes.values()):
        report.failures.append("no probe ran while the attack lasted")
    # Judged on the 99th percentile: on a shared machine one probe in hundreds can wait for a
    # core whatever the services do; the maximum is printed with the summary.
    for name, times in report.probes.items():
        p99 = percentile(sorted(times), 0.99)
        if name != target and len(times) >= 2 and p99 > PROBE_LIMIT:
            report.failures.append(f"{name}: /health p99 {p99 * 1000:.0f} ms")
    return report
