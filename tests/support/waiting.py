"""Waiting on a condition, never on time: poll a predicate until it holds or a deadline to give up passes.

The deadline only bounds a hang; it is generous and never part of what a test asserts.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

# How often a condition is polled; short, so a test goes on as soon as the condition holds.
POLL_INTERVAL = 0.05


def wait_until(predicate: Callable[[], bool], give_up_after: float) -> bool:
    """True once `predicate()` holds (a transport error counts as not yet), False if it never did in time."""
    deadline = time.monotonic() + give_up_after
    while True:
        try:
            if predicate():
                return True
        except httpx.TransportError:
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(POLL_INTERVAL)
