"""Run CampusDesk services as real processes on free loopback ports (for integration tests)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import httpx

from tests.support.waiting import wait_until

REPO_ROOT = Path(__file__).resolve().parents[2]

# The command line of each service, as the Procfile runs it.
COMMANDS: dict[str, list[str]] = {
    "ticket_service": [sys.executable, "-m", "ticket_service", "serve"],
    "analytics_open_service": [sys.executable, "-m", "analytics_open_service"],
    "analytics_resolution_service": [sys.executable, "-m", "analytics_resolution_service"],
    "analytics_category_service": [sys.executable, "-m", "analytics_category_service"],
    "web_gateway": [sys.executable, "-m", "web_gateway"],
}
ENV_PREFIX = {
    "ticket_service": "TICKET_SERVICE_",
    "analytics_open_service": "ANALYTICS_OPEN_SERVICE_",
    "analytics_resolution_service": "ANALYTICS_RESOLUTION_SERVICE_",
    "analytics_category_service": "ANALYTICS_CATEGORY_SERVICE_",
    "web_gateway": "WEB_GATEWAY_",
}


# A deadline to give up on a service that never starts (the ticket service loads its classifier
# first, and the machine may be busy): it bounds a hang, it does not measure start-up.
START_TIMEOUT = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """One service started with `python -m`; `url` is where it listens."""

    def __init__(self, name: str, env: Mapping[str, str] | None = None, port: int | None = None) -> None:
        self.name = name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {}), f"{ENV_PREFIX[name]}PORT": str(self.port)}
        self.env.setdefault(f"{ENV_PREFIX[name]}LOG_LEVEL", "warning")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = START_TIMEOUT) -> ServiceProcess:
        """Start the process and wait until it answers /health (or exits, or `timeout` passes)."""
        process = self.process = subprocess.Popen(COMMANDS[self.name], env=self.env, cwd=REPO_ROOT)

        def healthy_or_exited() -> bool:
            return process.poll() is not None or httpx.get(f"{self.url}/health", timeout=5).status_code == 200

        started = wait_until(healthy_or_exited, timeout)
        if process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {process.returncode} while starting")
        if not started:
            self.stop()
            raise RuntimeError(f"{self.name} did not answer /health within {timeout} s")
        return self

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to clean up."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
